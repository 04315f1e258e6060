"""What a calendar page shows: the appointments and open tasks in a date range, for one
user, scoped by the access policy. Plain data (no Flask): the admin view renders it."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from accord.core import access
from accord.core.models import Appointment, Attendee, Task, User

VIEWS = ("month", "week", "day", "agenda")
AGENDA_DAYS = 30
MAX_ITEMS = 2000


@dataclass
class Item:
    kind: str  # appointment | task
    id: int
    title: str
    start: dt.datetime  # local, naive
    end: dt.datetime
    all_day: bool
    owner_id: int | None
    location: str = ""

    def days(self):
        """Local dates this item covers (an all-day or multi-day one spans several)."""
        first, last = self.start.date(), max(self.end, self.start).date()
        if not self.all_day and self.end > self.start and self.end.time() == dt.time(0):
            last -= dt.timedelta(days=1)  # ends at midnight: not on the next day
        day = first
        while day <= last:
            yield day
            day += dt.timedelta(days=1)


def zone(user):
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def date_range(view, day):
    """[first, last] local dates a `view` around `day` covers."""
    if view == "day":
        return day, day
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if view == "month":
        first_of_month = day.replace(day=1)
        first = first_of_month - dt.timedelta(days=first_of_month.weekday())
        return first, first + dt.timedelta(days=41)  # six full weeks
    return day, day + dt.timedelta(days=AGENDA_DAYS - 1)


def step(view, day, direction):
    """The day `direction` (+1/-1) pages away in `view`."""
    if view == "day":
        return day + dt.timedelta(days=direction)
    if view == "week":
        return day + dt.timedelta(days=7 * direction)
    if view == "agenda":
        return day + dt.timedelta(days=AGENDA_DAYS * direction)
    month = day.month - 1 + direction
    year = day.year + month // 12
    return dt.date(year, month % 12 + 1, 1)


def user_choices(user):
    """Users whose calendar `user` may filter on: their reporting scope (DESIGN §5)."""
    scope = access.report_scope(user)
    query = User.select().where(User.active == True)  # noqa: E712
    if scope is not None:
        query = query.where(User.id.in_(sorted(scope) or [0]))
    return list(query.order_by(User.first_name, User.last_name, User.email))


def _to_utc(local, tz):
    return local.replace(tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)


def _to_local(value, tz):
    return value.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)


def items(user, first, last, only_user_id=None):
    """Appointments and open tasks between local dates `first` and `last` (inclusive)."""
    tz = zone(user)
    start = _to_utc(dt.datetime.combine(first, dt.time(0)), tz)
    end = _to_utc(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0)), tz)
    found = []
    appointments = Appointment.select().where(
        (Appointment.starts_at < end) & (Appointment.ends_at >= start)
    )
    if only_user_id is not None:
        attending = Attendee.select(Attendee.appointment).where(Attendee.user == only_user_id)
        appointments = appointments.where(
            (Appointment.owner == only_user_id) | Appointment.id.in_(attending)
        )
    appointments = access.visible(appointments, user, Appointment)
    for row in appointments.order_by(Appointment.starts_at, Appointment.id).limit(MAX_ITEMS):
        found.append(
            Item(
                "appointment",
                row.id,
                row.title,
                _to_local(row.starts_at, tz),
                _to_local(row.ends_at, tz),
                bool(row.all_day),
                row.owner_id,
                row.location or "",
            )
        )
    tasks = Task.select().where(
        (Task.done == False) & (Task.due_at >= start) & (Task.due_at < end)  # noqa: E712
    )
    if only_user_id is not None:
        tasks = tasks.where(Task.owner == only_user_id)
    tasks = access.visible(tasks, user, Task)
    for row in tasks.order_by(Task.due_at, Task.id).limit(MAX_ITEMS):
        due = _to_local(row.due_at, tz)
        found.append(Item("task", row.id, row.name, due, due, False, row.owner_id))
    found.sort(key=lambda item: (not item.all_day, item.start, item.kind, item.id))
    return found


def by_day(found, first, last):
    """{local date: [items]} for every day from `first` to `last`."""
    days = {}
    day = first
    while day <= last:
        days[day] = []
        day += dt.timedelta(days=1)
    for item in found:
        for covered in item.days():
            if covered in days:
                days[covered].append(item)
    return days
