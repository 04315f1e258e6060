"""Private iCalendar feeds: one secret URL per user (token kept hashed, revocable) that
lists the user's own appointments (owner or attendee) and open tasks with a due time,
only what the access policy lets that user see (SECURITY B7: calendar feed)."""

import datetime as dt
import hashlib
import secrets

from icalendar import Event

from accord.core import access, invitations
from accord.core.db import write
from accord.core.models import Appointment, Attendee, Task, User, utcnow
from accord.core.models.calendar import CalendarFeedToken

FEED_LIMIT = 5000
TASK_MINUTES = 30


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate(user):
    """A new token for `user` (the old one stops working); returns it, shown once."""
    token = secrets.token_urlsafe(32)
    with write():
        CalendarFeedToken.delete().where(CalendarFeedToken.user == user.id).execute()
        CalendarFeedToken.create(user=user.id, token_hash=_hash(token))
    return token


def revoke(user):
    with write():
        CalendarFeedToken.delete().where(CalendarFeedToken.user == user.id).execute()


def has_feed(user):
    return CalendarFeedToken.select().where(CalendarFeedToken.user == user.id).exists()


def user_for_token(token):
    """The active user a token belongs to, else None."""
    if not token or len(token) > 100:
        return None
    row = CalendarFeedToken.get_or_none(CalendarFeedToken.token_hash == _hash(token))
    if row is None:
        return None
    user = User.get_or_none((User.id == row.user_id) & User.active)
    if user is not None and (
        row.last_used_at is None or utcnow() - row.last_used_at > dt.timedelta(hours=1)
    ):
        with write():
            CalendarFeedToken.update(last_used_at=utcnow()).where(
                CalendarFeedToken.id == row.id
            ).execute()
    return user


def feed_appointments(user):
    attending = Attendee.select(Attendee.appointment).where(Attendee.user == user.id)
    query = Appointment.select().where(
        (Appointment.owner == user.id) | Appointment.id.in_(attending)
    )
    query = access.visible(query, user, Appointment)
    return list(query.order_by(Appointment.starts_at.desc()).limit(FEED_LIMIT))


def feed_tasks(user):
    query = Task.select().where(
        (Task.owner == user.id) & (Task.done == False) & Task.due_at.is_null(False)  # noqa: E712
    )
    query = access.visible(query, user, Task)
    return list(query.order_by(Task.due_at.desc()).limit(FEED_LIMIT))


def feed_ics(config, user):
    cal = invitations.calendar(None)
    cal.add("x-wr-calname", f"Accord – {user.name}")
    owners = {}
    shown = feed_appointments(user)
    guests = {}
    ids = [a.id for a in shown] or [0]
    for row in Attendee.select().where(Attendee.appointment.in_(ids)).order_by(Attendee.email):
        guests.setdefault(row.appointment_id, []).append((row.email, row.name, row.response))
    for appointment in shown:
        if appointment.owner_id not in owners:
            owners[appointment.owner_id] = (
                User.get_or_none(User.id == appointment.owner_id) if appointment.owner_id else None
            )
        owner = owners[appointment.owner_id]
        data = invitations.appointment_data(appointment, owner)
        rows = guests.get(appointment.id, [])
        organizer = invitations.organizer_of(config, owner)
        cal.add_component(invitations.vevent(data, None, organizer, rows))
    for task in feed_tasks(user):
        event = Event()
        event.add("uid", f"task-{task.id}@accord")
        event.add("dtstamp", utcnow().replace(tzinfo=dt.UTC))
        start = task.due_at.replace(tzinfo=dt.UTC)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(minutes=TASK_MINUTES))
        event.add("summary", f"To-do: {task.name}")
        if task.content != task.name:
            event.add("description", task.content)
        cal.add_component(event)
    return cal.to_ical()
