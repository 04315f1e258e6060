"""The calendar pages at /admin/calendar/: month, week, day and agenda views of the
appointments and open tasks the user may see, in the user's time zone. Server-rendered
HTML and CSS only; every slot links to a new appointment or task prefilled with it."""

import datetime as dt

from flask import abort, request, url_for
from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l

from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core import calendar_range as cr

VIEW_LABELS = {
    "month": _l("Month"),
    "week": _l("Week"),
    "day": _l("Day"),
    "agenda": _l("Agenda"),
}
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
HOURS = range(24)
ALLOWED_ARGS = {"view", "date", "user"}


def _arg_date(raw, today):
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw[:10]) if len(raw) == 10 else abort(400)
    except ValueError:
        abort(400)


class CalendarView(GateMixin, BaseView):
    access_policy = "authenticated"  # rows scoped by access.visible (records views are model views)

    @expose("/")
    def index(self):
        if set(request.args) - ALLOWED_ARGS:
            abort(400)
        user = current_user()
        view = request.args.get("view") or "week"
        if view not in cr.VIEWS:
            abort(400)
        tz = cr.zone(user)
        today = dt.datetime.now(tz).date()
        day = _arg_date(request.args.get("date", ""), today)
        if not dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31):
            abort(400)
        choices = cr.user_choices(user)
        only = None
        if request.args.get("user"):
            only = parse_id(request.args.get("user"))
            if only is None or only not in {u.id for u in choices}:
                abort(400)  # outside the user's scope: refused, never widened
        first, last = cr.date_range(view, day)
        found = cr.items(user, first, last, only)
        days = cr.by_day(found, first, last)
        return self.render(
            "accord/calendar/page.html",
            view=view,
            day=day,
            today=today,
            first=first,
            last=last,
            days=days,
            weeks=[list(days)[i : i + 7] for i in range(0, len(days), 7)],
            hours=HOURS,
            weekdays=WEEKDAYS,
            view_labels=VIEW_LABELS,
            choices=choices,
            only=only,
            zone_name=tz.key,
            nav=self.nav_urls(view, day, only, today),
            here=request.full_path.rstrip("?"),
        )

    def page_url(self, view, day, only):
        args = {"view": view, "date": day.isoformat()}
        if only is not None:
            args["user"] = only
        return url_for(".index", **args)

    def nav_urls(self, view, day, only, today):
        return {
            "prev": self.page_url(view, cr.step(view, day, -1), only),
            "next": self.page_url(view, cr.step(view, day, +1), only),
            "today": self.page_url(view, today, only),
            "views": {v: self.page_url(v, day, only) for v in cr.VIEWS},
        }

    # Links the template uses ---------------------------------------------------------

    def item_url(self, item):
        return url_for(f"{item.kind}.details_view", id=item.id)

    def new_appointment_url(self, day, hour=None):
        start = day.isoformat() if hour is None else f"{day.isoformat()}T{hour:02d}:00"
        return url_for("appointment.create_view", start=start, url=request.full_path)

    def new_task_url(self, day, hour=None):
        due = f"{day.isoformat()}T{9 if hour is None else hour:02d}:00"
        return url_for("quick_add.add", kind="task", due=due, next=request.full_path)

    def day_url(self, day, only):
        return self.page_url("day", day, only)

    def in_hour(self, items, day, hour):
        """Timed items starting in this hour; one begun on an earlier day shows at 0:00."""
        return [
            i
            for i in items
            if not i.all_day
            and (
                (i.start.date() == day and i.start.hour == hour)
                or (i.start.date() < day and hour == 0)
            )
        ]


def calendar_view():
    return CalendarView(name=_l("Calendar"), endpoint="calendar", url="/admin/calendar")
