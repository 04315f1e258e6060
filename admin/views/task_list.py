"""The task list's quick tabs — Mine, Overdue, Today, This week — as list filters.

Each tab is an ordinary Flask-Admin filter, so it combines with the others (action type,
status, assignee, done) and with the search; "today" and "this week" are the user's own
day and week (time zone, and the locale's first day of the week).
"""

import datetime as dt
from urllib.parse import urlencode

from babel import Locale
from flask import request
from flask_admin.contrib.peewee.filters import BasePeeweeFilter
from flask_babel import lazy_gettext as _l

from accord.admin.views.base import _FILTER_ARG, _user_zone
from accord.admin.views.gate import current_user
from accord.core.models import REMINDERS, Task, utcnow

REMINDER_CHOICES = [
    ("", _l("No reminder")),
    ("1w", _l("1 week before")),
    ("1d", _l("1 day before")),
    ("1h", _l("1 hour before")),
    ("30m", _l("30 minutes before")),
    ("15m", _l("15 minutes before")),
    ("5m", _l("5 minutes before")),
    ("due", _l("At the due time")),
]
assert {c for c, _label in REMINDER_CHOICES} == set(REMINDERS)

DUE_OPTIONS = {
    "overdue": _l("Overdue"),
    "today": _l("Today"),
    "week": _l("This week"),
}
# Positions of the tabs' filter arguments, after any the filter bar adds.
MINE_POSITION, DUE_POSITION = 98, 99


class MineFilter(BasePeeweeFilter):
    """Tasks assigned to the viewer."""

    def __init__(self):
        super().__init__(Task.owner, _l("Assigned to me"), options=(("1", _l("Yes")),))

    def validate(self, value):
        return value == "1"

    def apply(self, query, value):
        user = current_user()
        return query.where(Task.owner == (user.id if user else 0))

    def operation(self):
        return _l("is")


def local_bounds(now_utc, zone, first_weekday=0):
    """(today start, tomorrow start, week start, next week start) as naive UTC."""
    local = now_utc.replace(tzinfo=dt.UTC).astimezone(zone)
    today = local.date()
    week_start = today - dt.timedelta(days=(today.weekday() - first_weekday) % 7)

    def utc(day):
        start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
        return start.astimezone(dt.UTC).replace(tzinfo=None)

    return (
        utc(today),
        utc(today + dt.timedelta(days=1)),
        utc(week_start),
        utc(week_start + dt.timedelta(days=7)),
    )


def first_weekday():
    user = current_user()
    try:
        return Locale.parse(getattr(user, "locale", None) or "en").first_week_day
    except Exception:
        return 0  # Monday


class DueFilter(BasePeeweeFilter):
    """Overdue (open and due before now), due today, or due this week."""

    fixed_sql = False  # its bounds follow the clock (list_sql)

    def __init__(self):
        super().__init__(Task.due_at, _l("Due"), options=list(DUE_OPTIONS.items()))

    def validate(self, value):
        return value in DUE_OPTIONS

    def apply(self, query, value):
        now = utcnow()
        if value == "overdue":
            return query.where((Task.done == False) & (Task.due_at < now))  # noqa: E712
        today, tomorrow, week, next_week = local_bounds(now, _user_zone(), first_weekday())
        if value == "today":
            return query.where((Task.due_at >= today) & (Task.due_at < tomorrow))
        return query.where((Task.due_at >= week) & (Task.due_at < next_week))

    def operation(self):
        return _l("is")


def filters():
    return [MineFilter(), DueFilter()]


def tabs(view):
    """[(key, label, url, active)] for the tabs above the task list."""
    mine_arg = due_arg = None
    for arg, (_index, flt) in (view._filter_args or {}).items():
        if isinstance(flt, MineFilter):
            mine_arg = arg
        elif isinstance(flt, DueFilter):
            due_arg = arg
    kept, mine, due = [], False, None
    for key in request.args:
        match = _FILTER_ARG.fullmatch(key)
        values = request.args.getlist(key)
        if match and match.group(2) == mine_arg:
            mine = mine or values == ["1"]
        elif match and match.group(2) == due_arg:
            due = values[0] if values and values[0] in DUE_OPTIONS else due
        elif key != "page":
            kept.extend((key, value) for value in values)

    def url(with_mine, with_due):
        args = list(kept)
        if with_mine:
            args.append((f"flt{MINE_POSITION}_{mine_arg}", "1"))
        if with_due:
            args.append((f"flt{DUE_POSITION}_{due_arg}", with_due))
        query = urlencode(args)
        return view.get_url(".index_view") + (f"?{query}" if query else "")

    result = [
        ("all", _l("All"), url(False, None), not mine and due is None),
        ("mine", _l("Mine"), url(not mine, due), mine),
    ]
    for key, label in DUE_OPTIONS.items():
        active = due == key
        result.append((key, label, url(mine, None if active else key), active))
    return result
