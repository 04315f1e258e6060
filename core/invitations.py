"""Appointment invitations: the iCalendar object (RFC 5545/5546), signed RSVP links and
the email carrying both. Sent from the outbox job (core/default_invitations.py), never
from a request; each (appointment, sequence, attendee, method) is sent once.
"""

import datetime as dt
import html
import logging
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText
from itsdangerous import BadData, URLSafeTimedSerializer

from accord.core import effects, mail
from accord.core.db import write
from accord.core.models import Appointment, Attendee, User, utcnow
from accord.core.services import appointments as appointment_service
from accord.core.services import branding

log = logging.getLogger(__name__)

PRODID = "-//Accord CRM//Accord//EN"
RSVP_SALT = "accord.rsvp"
RSVP_MAX_AGE = 400 * 24 * 3600  # links stay valid a little over a year
PARTSTAT = {
    "needs-action": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentative": "TENTATIVE",
}


# Signed RSVP links -------------------------------------------------------------------


def _serializer(config):
    return URLSafeTimedSerializer(config.load_secret_key(), salt=RSVP_SALT)


def rsvp_token(config, attendee):
    """A token naming one attendee of one appointment; it cannot be edited to another."""
    return _serializer(config).dumps(
        {"a": attendee.id, "e": attendee.email.lower(), "u": attendee.appointment.ical_uid}
    )


def rsvp_url(config, attendee, answer=None):
    url = f"{config.base_url}/rsvp/{rsvp_token(config, attendee)}"
    return f"{url}?answer={answer}" if answer else url


def attendee_for_token(config, token):
    """The attendee a valid token names, else None (forged, tampered, expired, removed)."""
    try:
        data = _serializer(config).loads(token, max_age=RSVP_MAX_AGE)
        attendee_id, email, uid = int(data["a"]), str(data["e"]), str(data["u"])
    except (BadData, KeyError, TypeError, ValueError):
        return None
    attendee = (
        Attendee.select(Attendee, Appointment)
        .join(Appointment)
        .where((Attendee.id == attendee_id) & (Appointment.ical_uid == uid))
        .first()
    )
    if attendee is None or attendee.email.lower() != email:
        return None
    return attendee


# The iCalendar object ---------------------------------------------------------------


def zone_of(user):
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def _utc(value):
    return value.replace(tzinfo=dt.UTC)


def add_times(event, starts_at, ends_at, all_day, zone):
    """DTSTART/DTEND: UTC date-times, or DATE values (end exclusive) for all-day ones."""
    if all_day:
        first = _utc(starts_at).astimezone(zone).date()
        last = _utc(ends_at).astimezone(zone).date()
        event.add("dtstart", first)
        event.add("dtend", max(last, first) + dt.timedelta(days=1))
    else:
        event.add("dtstart", _utc(starts_at))
        event.add("dtend", _utc(max(ends_at, starts_at)))


def address(email, name=""):
    cal_address = vCalAddress(f"mailto:{mail.one_line(email)}")
    if name:
        # One line, no quotes: a name cannot open a new property or parameter.
        cal_address.params["cn"] = vText(mail.one_line(name).replace('"', "'"))
    return cal_address


def organizer_of(config, owner):
    if owner is not None:
        return owner.email, owner.name
    from email.utils import parseaddr

    name, addr = parseaddr(config.mail_from)
    return addr, name or "Accord"


def calendar(method):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def vevent(data, method, organizer, attendee_rows):
    """A VEVENT from plain values (a live appointment or a deleted one's snapshot)."""
    event = Event()
    event.add("uid", data["ical_uid"])
    event.add("sequence", data["sequence"])
    event.add("dtstamp", _utc(utcnow()))
    add_times(event, data["starts_at"], data["ends_at"], data["all_day"], data["zone"])
    event.add("summary", data["title"])
    if data.get("location"):
        event.add("location", data["location"])
    if data.get("description"):
        event.add("description", data["description"])
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", address(*organizer))
    for email, name, response in attendee_rows:
        who = address(email, name)
        who.params["role"] = "REQ-PARTICIPANT"
        who.params["partstat"] = PARTSTAT.get(response, "NEEDS-ACTION")
        if method == "REQUEST":
            who.params["rsvp"] = "TRUE"
        event.add("attendee", who)
    return event


def appointment_data(appointment, owner):
    return {
        "ical_uid": appointment.ical_uid,
        "sequence": appointment.sequence or 0,
        "title": appointment.title,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "all_day": bool(appointment.all_day),
        "location": appointment.location,
        "description": appointment.description,
        "zone": zone_of(owner),
    }


def ics(data, method, organizer, attendee_rows):
    cal = calendar(method)
    cal.add_component(vevent(data, method, organizer, attendee_rows))
    return cal.to_ical()


# The email ------------------------------------------------------------------------------


def when_text(data):
    zone = data["zone"]
    start = _utc(data["starts_at"]).astimezone(zone)
    if data["all_day"]:
        return start.strftime("%Y-%m-%d")
    end = _utc(data["ends_at"]).astimezone(zone)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({zone.key})"


def message(config, data, method, organizer, attendee, attendee_rows, links=None, logo=None):
    """One invitation (or cancellation) email to `attendee` = (email, name)."""
    title = mail.one_line(data["title"])
    when = when_text(data)
    if method == "CANCEL":
        subject = f"Cancelled: {title} ({when})"
        intro = "This appointment was cancelled."
    elif data["sequence"]:
        subject = f"Updated invitation: {title} ({when})"
        intro = "This appointment was changed."
    else:
        subject = f"Invitation: {title} ({when})"
        intro = "You are invited to this appointment."
    lines = [intro, "", title, when]
    if data.get("location"):
        lines.append(data["location"])
    if data.get("description"):
        lines += ["", data["description"]]
    lines += ["", f"Organizer: {organizer[1]} <{organizer[0]}>"]
    if links:
        lines += ["", f"Accept: {links['accepted']}", f"Decline: {links['declined']}"]
    text = "\n".join(lines) + "\n"
    html_body = _html(data, intro, title, when, organizer, links, logo)
    attachment = (
        "invite.ics" if method == "REQUEST" else "cancel.ics",
        "text",
        "calendar",
        ics(data, method, organizer, attendee_rows),
        {"method": method, "charset": "utf-8"},
    )
    msg = mail.build_message(
        sender=mail.sender_for(config, organizer[1]),
        to=[attendee],
        subject=subject,
        text=text,
        html=html_body,
        attachments=[attachment],
    )
    if logo is not None:
        msg.get_body(preferencelist=("html",)).add_related(
            logo.data, maintype="image", subtype=logo.subtype, cid="<company-logo@accord>"
        )
    return msg


def _html(data, intro, title, when, organizer, links, logo):
    e = html.escape
    parts = ["<!doctype html><html><body style='font-family:sans-serif'>"]
    if logo is not None:
        parts.append("<p><img src='cid:company-logo@accord' alt='' style='max-height:60px'></p>")
    parts.append(f"<p>{e(intro)}</p><h2>{e(title)}</h2><p>{e(when)}</p>")
    if data.get("location"):
        parts.append(f"<p>{e(data['location'])}</p>")
    if data.get("description"):
        parts.append(f"<p style='white-space:pre-wrap'>{e(data['description'])}</p>")
    parts.append(f"<p>Organizer: {e(organizer[1])} &lt;{e(organizer[0])}&gt;</p>")
    if links:
        parts.append(
            f"<p><a href='{e(links['accepted'])}'>Accept</a> · "
            f"<a href='{e(links['declined'])}'>Decline</a></p>"
        )
    parts.append("</body></html>")
    return "".join(parts)


# Sending, exactly once --------------------------------------------------------------------


def effect_key(appointment_id, sequence, email, method):
    return f"invitation:{appointment_id}:{sequence}:{email.lower()}:{method}"


def _send_once(config, key, build):
    """Send the message `build()` makes unless `key` was done; key and send commit together
    (a failed send rolls the key back, so the outbox retries it)."""
    if not config.smtp_url:
        log.info("email is not configured: invitation %s not sent", key)
        return False
    with write():
        if not effects.once(key):
            return False
        mail.send(config, build())
    return True


def send_requests(config, appointment_id):
    """REQUEST to every attendee of the appointment as it is now."""
    appointment = Appointment.get_or_none(Appointment.id == appointment_id)
    if appointment is None:
        return 0
    owner = User.get_or_none(User.id == appointment.owner_id) if appointment.owner_id else None
    organizer = organizer_of(config, owner)
    data = appointment_data(appointment, owner)
    rows = appointment_service.attendees(appointment)
    listed = [(a.email, a.name, a.response) for a in rows]
    logo = branding.current_logo(config)
    sent = 0
    for attendee in rows:
        attendee.appointment = appointment
        links = {answer: rsvp_url(config, attendee, answer) for answer in ("accepted", "declined")}
        key = effect_key(appointment.id, data["sequence"], attendee.email, "REQUEST")
        sent += _send_once(
            config,
            key,
            lambda a=attendee, links=links: message(
                config, data, "REQUEST", organizer, (a.email, a.name), listed, links, logo
            ),
        )
    return sent


def send_cancels(config, appointment_id, snapshot, recipients):
    """CANCEL to `recipients` [{"email", "name"}] from a snapshot of the appointment."""
    owner = User.get_or_none(User.id == snapshot["owner_id"]) if snapshot["owner_id"] else None
    organizer = organizer_of(config, owner)
    data = {
        **snapshot,
        "starts_at": _naive(snapshot["starts_at"]),
        "ends_at": _naive(snapshot["ends_at"]),
        "zone": zone_of(owner),
    }
    logo = branding.current_logo(config)
    sent = 0
    for person in recipients:
        email, name = person["email"], person.get("name", "")
        key = effect_key(appointment_id, data["sequence"], email, "CANCEL")
        sent += _send_once(
            config,
            key,
            lambda email=email, name=name: message(
                config,
                data,
                "CANCEL",
                organizer,
                (email, name),
                [(email, name, "needs-action")],
                logo=logo,
            ),
        )
    return sent


def _naive(value):
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
