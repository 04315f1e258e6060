"""Invitations by email: a real SMTP server (aiosmtpd) receives them; the .ics parses with
icalendar; SEQUENCE follows changes; CANCEL on delete and for removed attendees; RSVP
links are signed; names with CR/LF never add recipients (SECURITY C19)."""

import datetime as dt
import re

import pytest
from icalendar import Calendar

from accord.core import invitations
from accord.core.models import Appointment, Attendee, Deal
from accord.core.services import appointments, records
from tests.web import login
from tests.world import make_user

WHEN = dt.datetime(2031, 3, 4, 9, 30)


@pytest.fixture
def people(rt):
    owner = make_user("Olga", "normal")
    guest = make_user("Gus", "normal")
    return owner, guest


def ics_of(msg):
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0], Calendar.from_ical(parts[0].get_payload(decode=True))


def event_of(cal):
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def make(owner, guests=(), emails=(), **data):
    base = {"title": "Kick-off", "starts_at": WHEN, "ends_at": WHEN + dt.timedelta(hours=1)}
    return appointments.create(owner, {**base, **data}, [g.id for g in guests], emails)


def test_each_attendee_gets_a_parseable_request(rt, smtp, people):
    owner, guest = people
    appointment = make(owner, [guest], [("outside@partner.test", "Pat Partner")], location="Room 1")
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == [
        "gus@world.test",
        "outside@partner.test",
    ]
    msg = smtp.to("outside@partner.test")[0]
    part, cal = ics_of(msg)
    assert part.get_param("method") == "REQUEST"
    assert str(cal["METHOD"]) == "REQUEST"
    event = event_of(cal)
    assert str(event["UID"]) == appointment.ical_uid
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Kick-off"
    assert str(event["LOCATION"]) == "Room 1"
    assert event.decoded("DTSTART") == WHEN.replace(tzinfo=dt.UTC)
    assert event.decoded("DTEND") == (WHEN + dt.timedelta(hours=1)).replace(tzinfo=dt.UTC)
    assert str(event["ORGANIZER"]) == "mailto:olga@world.test"
    attendees = {str(a): a.params["PARTSTAT"] for a in event["ATTENDEE"]}
    assert attendees == {
        "mailto:gus@world.test": "NEEDS-ACTION",
        "mailto:outside@partner.test": "NEEDS-ACTION",
    }
    assert "Kick-off" in msg["Subject"]
    # It imports cleanly: the round trip gives the same calendar.
    assert Calendar.from_ical(cal.to_ical()).to_ical() == cal.to_ical()


def test_all_day_uses_date_values_in_the_owners_zone(rt, smtp, people):
    owner, guest = people
    owner.timezone = "Europe/Berlin"
    owner.save()
    # 23:30 UTC on the 3rd is already the 4th in Berlin.
    start = dt.datetime(2031, 3, 3, 23, 30)
    make(owner, [guest], all_day=True, starts_at=start, ends_at=start)
    event = event_of(ics_of(smtp.to("gus@world.test")[0])[1])
    assert event.decoded("DTSTART") == dt.date(2031, 3, 4)
    assert event.decoded("DTEND") == dt.date(2031, 3, 5)


def test_a_change_bumps_the_sequence_and_sends_once(rt, smtp, people):
    owner, guest = people
    appointment = make(owner, [guest])
    assert len(smtp.to("gus@world.test")) == 1
    records.update(owner, appointment, {"location": "Room 2"})
    mails = smtp.to("gus@world.test")
    assert len(mails) == 2
    event = event_of(ics_of(mails[-1])[1])
    assert int(event["SEQUENCE"]) == 1
    assert str(event["LOCATION"]) == "Room 2"
    assert mails[-1]["Subject"].startswith("Updated invitation")
    # Re-running the same events (the outbox is at-least-once) sends nothing new.
    from accord.core.models import OutboxEvent

    for row in OutboxEvent.select().where(OutboxEvent.entity_kind == "appointment"):
        rt.pm.hook.accord_event(event=_event(row), runtime=rt)
    assert len(smtp.to("gus@world.test")) == 2


def _event(row):
    from accord.core.events import Event

    return Event.from_row(row)


def test_delete_sends_cancel_with_a_higher_sequence(rt, smtp, people):
    owner, guest = people
    appointment = make(owner, [guest], [("x@partner.test", "X")])
    uid = appointment.ical_uid
    records.delete(owner, appointment)
    for address in ("gus@world.test", "x@partner.test"):
        mails = smtp.to(address)
        assert len(mails) == 2
        part, cal = ics_of(mails[-1])
        assert part.get_param("method") == "CANCEL"
        assert str(cal["METHOD"]) == "CANCEL"
        event = event_of(cal)
        assert str(event["UID"]) == uid
        assert int(event["SEQUENCE"]) == 1
        assert str(event["STATUS"]) == "CANCELLED"


def test_removed_attendee_gets_cancel_and_new_one_request(rt, smtp, people):
    owner, guest = people
    appointment = make(owner, [guest])
    appointments.set_attendees(owner, appointment, [], [("new@partner.test", "")])
    gus = smtp.to("gus@world.test")
    assert [ics_of(m)[0].get_param("method") for m in gus] == ["REQUEST", "CANCEL"]
    new = smtp.to("new@partner.test")
    assert [ics_of(m)[0].get_param("method") for m in new] == ["REQUEST"]
    assert int(event_of(ics_of(new[0])[1])["SEQUENCE"]) == 1
    assert [a.email for a in appointments.attendees(appointment)] == ["new@partner.test"]


def test_no_smtp_configured_creates_without_error(rt, people):
    owner, guest = people
    appointment = make(owner, [guest])
    assert Attendee.select().where(Attendee.appointment == appointment.id).count() == 1


def test_bad_email_is_a_clear_error_and_writes_nothing(rt, people):
    owner, _guest = people
    from accord.core.services import ValidationError

    with pytest.raises(ValidationError) as caught:
        appointments.parse_emails("ok@partner.test\nnot-an-address\nalso bad@")
    assert "not-an-address" in caught.value.errors["attendee_emails"]
    assert Appointment.select().count() == 0


def test_names_with_crlf_never_add_recipients(rt, smtp, people):
    owner, _guest = people
    owner.first_name = "Olga\r\nBcc: owner-spy@evil.test"
    owner.save()
    sly = make_user("Sly", "normal")
    sly.first_name = "Sly\r\nBcc: spy@evil.test\r\nX-Evil: 1"
    sly.save()
    make(
        owner,
        [sly],
        [("Eve\r\nCc: eve-spy@evil.test <eve@partner.test>".replace("\r\n", " "), "")],
        title="Hello\r\nBcc: title-spy@evil.test",
    )
    # Also a name given straight to the service (not parsed from text) with CR/LF.
    appointment = Appointment.get()
    appointments.set_attendees(
        owner, appointment, [sly.id], [("eve@partner.test", "Eve\r\nBcc: spy2@evil.test")]
    )
    assert smtp.messages
    for rcpts, msg in smtp.messages:
        assert len(rcpts) == 1
        assert not any("evil" in r for r in rcpts)
        assert msg["Bcc"] is None and msg["Cc"] is None and msg["X-Evil"] is None
        assert "\n" not in msg["Subject"] and "\n" not in msg["To"]
        raw = ics_of(msg)[0].get_payload(decode=True).decode()
        # No line of the calendar starts with an injected property.
        assert not re.search(r"^(BCC|X-EVIL)", raw, re.M | re.I)


def test_invitation_carries_the_logo_inline(rt, smtp, people, tmp_path):
    from accord.core.services import branding

    owner, guest = people
    admin = make_user("Ada", "admin")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    branding.set_logo(admin, rt.config, png)
    try:
        make(owner, [guest])
        msg = smtp.to("gus@world.test")[0]
        images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
        assert len(images) == 1 and images[0].get_payload(decode=True) == png
        assert images[0]["Content-ID"] == "<company-logo@accord>"
        assert "cid:company-logo@accord" in msg.get_body(("html",)).get_content()
    finally:
        branding.remove_logo(admin, rt.config)


# RSVP ---------------------------------------------------------------------------------


def links_in(msg):
    text = msg.get_body(("plain",)).get_content()
    return dict(re.findall(r"(Accept|Decline): \S+/rsvp/([^\s?]+)", text))


def test_rsvp_changes_only_the_named_attendee(rt, client, smtp, people):
    owner, guest = people
    appointment = make(owner, [guest], [("x@partner.test", "X")])
    token = links_in(smtp.to("x@partner.test")[0])["Accept"]
    # GET shows a page and changes nothing (SECURITY C17).
    page = client.get(f"/rsvp/{token}?answer=accepted")
    assert page.status_code == 200 and "Kick-off" in page.get_data(as_text=True)
    assert {a.email: a.response for a in appointments.attendees(appointment)} == {
        "gus@world.test": "needs-action",
        "x@partner.test": "needs-action",
    }
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(f"/rsvp/{token}", data={"answer": "declined", "csrf_token": csrf})
    assert done.status_code == 200
    assert {a.email: a.response for a in appointments.attendees(appointment)} == {
        "gus@world.test": "needs-action",
        "x@partner.test": "declined",
    }
    # The owner sees who declined on the appointment's page.
    login(client, owner.email)
    details = client.get(f"/admin/appointment/details/?id={appointment.id}")
    text = details.get_data(as_text=True)
    assert "x@partner.test" in text and "Declined" in text


def test_forged_and_tampered_tokens_change_nothing(rt, client, smtp, people):
    owner, guest = people
    appointment = make(owner, [guest], [("x@partner.test", "X")])
    token = links_in(smtp.to("x@partner.test")[0])["Accept"]
    gus = Attendee.get(Attendee.email == "gus@world.test")
    page = client.get(f"/rsvp/{token}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    other_secret = invitations.URLSafeTimedSerializer("not-the-secret", salt="accord.rsvp")
    forged = other_secret.dumps({"a": gus.id, "e": gus.email, "u": appointment.ical_uid})
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, tampered, "garbage", token + "x"):
        assert client.get(f"/rsvp/{bad}").status_code == 404
        answer = client.post(f"/rsvp/{bad}", data={"answer": "accepted", "csrf_token": csrf})
        assert answer.status_code == 404
    # A valid token of one attendee never answers for another.
    client.post(f"/rsvp/{token}", data={"answer": "accepted", "csrf_token": csrf})
    assert Attendee.get_by_id(gus.id).response == "needs-action"
    # A removed attendee's token no longer works.
    appointments.set_attendees(owner, appointment, [guest.id], [])
    assert client.get(f"/rsvp/{token}").status_code == 404


def test_rsvp_rejects_unknown_answers(rt, client, smtp, people):
    owner, guest = people
    make(owner, [guest])
    token = links_in(smtp.to("gus@world.test")[0])["Accept"]
    page = client.get(f"/rsvp/{token}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert (
        client.post(f"/rsvp/{token}", data={"answer": "owned", "csrf_token": csrf}).status_code
        == 400
    )
    assert Attendee.get().response == "needs-action"


def test_appointment_from_a_deal_keeps_its_link(rt, smtp, people):
    owner, guest = people
    deal = records.create(owner, Deal, {"name": "Big deal"})
    appointment = make(owner, [guest], deal=deal.id)
    assert appointment.deal_id == deal.id


def test_expired_token_changes_nothing(rt, client, smtp, people, monkeypatch):
    owner, guest = people
    make(owner, [guest])
    token = links_in(smtp.to("gus@world.test")[0])["Accept"]
    assert client.get(f"/rsvp/{token}").status_code == 200
    monkeypatch.setattr(invitations, "RSVP_MAX_AGE", -1)  # every token is now too old
    assert client.get(f"/rsvp/{token}").status_code == 404
    assert Attendee.get().response == "needs-action"
