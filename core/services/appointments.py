"""Appointments with attendees: create/update with the attendee list, RSVP answers.

Field writes go through services.records (policy, derived fields, events); this module
adds the attendees. A changed attendee list bumps the appointment's SEQUENCE (the
organizer's copy changed, RFC 5546) and emits `appointment.attendees_changed` with the
added and removed addresses, so invitations and cancellations follow from events.
"""

from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email

from accord.core import access, events
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import Appointment, Attendee, User, utcnow
from accord.core.services import records
from accord.core.services.errors import Forbidden, ValidationError

MAX_ATTENDEES = 100
RESPONSES = ("accepted", "declined", "tentative")


def parse_emails(text):
    """Outside attendees typed one per line (or comma-separated), as "Name <a@b.c>" or
    "a@b.c" -> [(email, name)]; every bad line is named in one ValidationError."""
    found, bad = [], []
    for part in (text or "").replace(",", "\n").splitlines():
        part = part.strip()
        if not part:
            continue
        name, addr = parseaddr(part)
        try:
            checked = validate_email(addr, check_deliverability=False, test_environment=True)
        except EmailNotValidError:
            bad.append(part)
            continue
        found.append((checked.normalized, name.strip()))
    if bad:
        raise ValidationError(
            {"attendee_emails": _("Not an email address: %(bad)s") % {"bad": ", ".join(bad)}}
        )
    return found


def wanted_attendees(user_ids, emails):
    """[(email, name, user_id)] without duplicates; users must be active."""
    ids = sorted({int(i) for i in user_ids or ()})
    users = list(User.select().where(User.id.in_(ids or [0]) & User.active))
    if len(users) != len(ids):
        raise ValidationError({"attendee_users": _("Unknown or inactive user.")})
    wanted, seen = [], set()
    for u in sorted(users, key=lambda u: u.id):
        if u.email.lower() not in seen:
            seen.add(u.email.lower())
            wanted.append((u.email, u.name, u.id))
    for email, name in emails or ():
        if email.lower() not in seen:
            seen.add(email.lower())
            wanted.append((email, name, None))
    if len(wanted) > MAX_ATTENDEES:
        raise ValidationError({"attendee_emails": _("Too many attendees.")})
    return wanted


def attendees(appointment):
    return list(
        Attendee.select()
        .where(Attendee.appointment == appointment.id)
        .order_by(Attendee.email, Attendee.id)
    )


def _set(actor, appointment, wanted, bump):
    """Make the attendee rows match `wanted`; inside a write(). Returns (added, removed)."""
    current = {a.email.lower(): a for a in attendees(appointment)}
    keep = {email.lower() for email, _name, _uid in wanted}
    added, removed = [], []
    for email, name, user_id in wanted:
        if email.lower() in current:
            continue
        Attendee.create(appointment=appointment.id, email=email, name=name, user=user_id)
        added.append({"email": email, "name": name})
    for key, row in current.items():
        if key not in keep:
            removed.append({"email": row.email, "name": row.name})
            row.delete_instance()
    if added or removed:
        if bump:
            appointment.sequence = (appointment.sequence or 0) + 1
            Appointment.update(sequence=appointment.sequence, updated_at=utcnow()).where(
                Appointment.id == appointment.id
            ).execute()
        events.emit(
            "appointment.attendees_changed",
            appointment,
            actor,
            added=added,
            removed=removed,
            sequence=appointment.sequence,
        )
    return added, removed


def set_attendees(actor, appointment, user_ids=(), emails=()):
    """Replace the attendee list of `appointment` as `actor` (who must may edit it)."""
    if not access.can(actor, "edit", appointment):
        raise Forbidden("edit")
    wanted = wanted_attendees(user_ids, emails)
    with write():
        return _set(actor, appointment, wanted, bump=True)


def create(actor, data, user_ids=(), emails=(), **owner):
    """A new appointment with its attendees, in one transaction (SEQUENCE stays 0)."""
    wanted = wanted_attendees(user_ids, emails)
    with write():
        appointment = records.create(actor, Appointment, data, **owner)
        _set(actor, appointment, wanted, bump=False)
    return appointment


def update(actor, appointment, data, user_ids=None, emails=None, **owner):
    """Change fields and the attendee list together (one SEQUENCE bump for both).
    `user_ids` and `emails` both None: the attendees stay as they are."""
    if not access.can(actor, "edit", appointment):
        raise Forbidden("edit")
    keep = user_ids is None and emails is None
    wanted = None if keep else wanted_attendees(user_ids, emails)
    with write():
        before = appointment.sequence
        if data or owner:
            records.update(actor, appointment, data, **owner)
        if wanted is not None:
            _set(actor, appointment, wanted, bump=appointment.sequence == before)
    return appointment


def respond(attendee, response):
    """An attendee's answer from a signed RSVP link (no logged-in user: actor None)."""
    if response not in RESPONSES:
        raise ValidationError({"response": _("Unknown answer.")})
    if attendee.response == response:
        return attendee
    with write():
        attendee.response = response
        attendee.responded_at = utcnow()
        attendee.save()
        events.emit(
            "appointment.attendee_responded",
            attendee.appointment,
            None,
            email=attendee.email,
            response=response,
        )
    return attendee


def snapshot(appointment, bump=1):
    """What a cancellation needs once the appointment (or the attendee) is gone; a
    deleted appointment's CANCEL carries the next SEQUENCE."""
    return {
        "ical_uid": appointment.ical_uid,
        "sequence": (appointment.sequence or 0) + bump,
        "title": appointment.title,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "all_day": bool(appointment.all_day),
        "owner_id": appointment.owner_id,
        "attendees": [{"email": a.email, "name": a.name} for a in attendees(appointment)],
    }
