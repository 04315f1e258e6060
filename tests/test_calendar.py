"""Calendar pages (month/week/day/agenda) and the appointment form: only what the policy
oracle allows, the user filter kept to the user's scope, times in the user's zone,
prefilled "new" links, attendees with clear errors, scoped linked-record lookups."""

import datetime as dt
import json
import re

import pytest

from accord.core.models import Appointment, Attendee
from accord.core.services import records
from tests.oracle import expected
from tests.web import csrf_token, login
from tests.world import OWNERS

# build_world() puts every appointment and task at 2030-01-01 09:00 UTC (a Tuesday).
DAY = "2030-01-01"


def page(client, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/admin/calendar/?{query}")


@pytest.mark.parametrize("view", ["month", "week", "day", "agenda"])
@pytest.mark.parametrize("user_key", ["A", "M", "N1", "N4", "R"])
def test_pages_show_only_what_the_oracle_allows(client, world, view, user_key):
    user = world.users[user_key]
    login(client, user.email)
    response = page(client, view=view, date=DAY)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for owner_key in OWNERS:
        for entity in ("appointment", "task"):
            record = world.record(entity, owner_key)
            link = f"/admin/{entity}/details/?id={record.id}"
            assert (link in html) == expected(user, "view", record), (entity, owner_key)


def test_the_user_filter_stays_within_scope(app, client, world):
    login(client, world.M.email)
    mine = page(client, view="week", date=DAY, user=world.N3.id)
    assert mine.status_code == 200
    html = mine.get_data(as_text=True)
    assert "Meeting of N3" in html and "Meeting of N1" not in html
    assert "Task of N3" in html and "Task of R" not in html
    # N4 is outside M's tree; N1 (normal) may filter on no one but themselves.
    assert page(client, view="week", date=DAY, user=world.N4.id).status_code == 400
    client = app.test_client()
    login(client, world.N1.email)
    assert page(client, view="week", date=DAY, user=world.N3.id).status_code == 400
    assert page(client, view="week", date=DAY, user=world.N1.id).status_code == 200


def test_an_attendee_sees_it_under_their_name(client, world):
    from accord.core.services import appointments

    appointment = world.record("appointment", "N4")
    appointments.set_attendees(world.A, appointment, [world.N3.id], [])
    login(client, world.M.email)
    html = page(client, view="week", date=DAY, user=world.N3.id).get_data(as_text=True)
    assert "Meeting of N4" in html


@pytest.mark.parametrize(
    "args",
    [
        {"view": "year"},
        {"date": "2030-13-01"},
        {"date": "yesterday"},
        {"user": "abc"},
        {"user": "99999"},
        {"sort": "1"},
    ],
)
def test_bad_arguments_are_refused(client, world, args):
    login(client, world.A.email)
    assert page(client, **args).status_code == 400


def test_times_are_shown_in_the_users_zone(client, world):
    user = world.N1
    user.timezone = "Asia/Tokyo"  # UTC+9: 09:00 UTC is 18:00 there
    user.save()
    login(client, user.email)
    html = page(client, view="day", date=DAY).get_data(as_text=True)
    slot = re.search(r'data-slot="2030-01-01T18">(.*?)</td>', html, re.S).group(1)
    assert "Meeting of N1" in slot
    assert "Asia/Tokyo" in html


def test_navigation_and_new_links(client, world):
    login(client, world.A.email)
    html = page(client, view="week", date=DAY).get_data(as_text=True)
    assert "date=2029-12-25" in html and "date=2030-01-08" in html  # prev / next week
    assert "start=2030-01-01T14:00" in html  # a slot's new-appointment link
    assert "due=2030-01-01T14:00" in html  # and its new-task link
    month = page(client, view="month", date=DAY).get_data(as_text=True)
    assert "date=2029-12-01" in month and "date=2030-02-01" in month


def test_calendar_is_in_the_menu(client, world):
    login(client, world.N1.email)
    assert 'href="/admin/calendar/"' in client.get("/admin/").get_data(as_text=True)


def test_anonymous_goes_to_login(client, world):
    response = client.get("/admin/calendar/")
    assert response.status_code in (302, 401)


# The appointment form ---------------------------------------------------------------------


def test_new_appointment_is_prefilled_from_a_slot_and_a_deal(app, client, world):
    deal = world.record("deal", "N1")
    login(client, world.N1.email)
    html = client.get(f"/admin/appointment/new/?start=2030-01-02T14:00&deal={deal.id}").get_data(
        as_text=True
    )
    assert "2030-01-02 14:00" in html
    assert deal.name in html
    # A deal the user may not see is not filled in (nor named).
    hidden = world.record("deal", "N1")
    client = app.test_client()
    login(client, world.R.email)
    html = client.get(f"/admin/appointment/new/?deal={hidden.id}").get_data(as_text=True)
    assert hidden.name not in html


def _form(client, **fields):
    token = csrf_token(client, "/admin/appointment/new/")
    data = {
        "title": "Review",
        "starts_at": "2030-02-03 10:00:00",
        "ends_at": "2030-02-03 11:00:00",
        "location": "",
        "description": "",
        "reminder": "",
        "attendee_emails": "",
        "csrf_token": token,
        **fields,
    }
    return client.post("/admin/appointment/new/", data=data)


def test_create_with_attendees_through_the_form(client, world):
    login(client, world.N1.email)
    response = _form(
        client,
        attendee_users=[str(world.N3.id)],
        attendee_emails="Ann Smith <ann@partner.test>\nbob@partner.test",
        reminder="1h",
    )
    assert response.status_code == 302
    appointment = Appointment.get(Appointment.title == "Review")
    assert appointment.reminder == "1h"
    assert appointment.remind_at == dt.datetime(2030, 2, 3, 9, 0)
    rows = {a.email: (a.name, a.user_id) for a in Attendee.select()}
    assert rows == {
        "n3@world.test": ("N3 World", world.N3.id),
        "ann@partner.test": ("Ann Smith", None),
        "bob@partner.test": ("", None),
    }
    # Editing keeps them listed and a removal sticks.
    edit = client.get(f"/admin/appointment/edit/?id={appointment.id}").get_data(as_text=True)
    assert "Ann Smith &lt;ann@partner.test&gt;" in edit


def test_bad_attendee_email_is_explained_and_nothing_is_lost(client, world):
    login(client, world.N1.email)
    response = _form(
        client,
        title="Keep me",
        location="Room 7",
        attendee_emails="ann@partner.test\nnot an address",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not an email address: not an address" in html
    assert 'value="Keep me"' in html and 'value="Room 7"' in html
    assert "ann@partner.test" in html
    assert not Appointment.select().where(Appointment.title == "Keep me").exists()


def test_unknown_user_attendee_is_refused(client, world):
    login(client, world.N1.email)
    response = _form(client, title="Ghost", attendee_users=[str(world.D.id)])
    assert response.status_code == 200
    assert not Appointment.select().where(Appointment.title == "Ghost").exists()


@pytest.mark.parametrize("name", ["lead", "contact", "deal"])
@pytest.mark.parametrize("user_key", ["R", "N1"])
def test_linked_record_lookups_are_scoped(client, world, name, user_key):
    user = world.users[user_key]
    login(client, user.email)
    response = client.get(f"/admin/appointment/ajax/lookup/?name={name}&query=&limit=50")
    assert response.status_code == 200
    ids = {row[0] for row in json.loads(response.get_data(as_text=True))}
    entities = ("contact", "company") if name == "contact" else (name,)
    for entity in entities:
        for owner_key in OWNERS:
            record = world.record(entity, owner_key)
            assert (record.id in ids) == expected(user, "view", record), (entity, owner_key)


def test_appointment_shows_on_the_deals_datasheet_with_a_new_link(client, world):
    deal = world.record("deal", "N1")
    records.create(
        world.N1,
        Appointment,
        {"title": "Demo call", "starts_at": dt.datetime(2030, 5, 1, 9), "deal": deal.id},
    )
    login(client, world.N1.email)
    html = client.get(f"/admin/deal/details/?id={deal.id}").get_data(as_text=True)
    assert "Demo call" in html
    assert "/admin/appointment/new/?url=" in html and f"deal={deal.id}" in html
