"""The home page (/admin/): the user's open deals and tasks, and recent activity in the
scope they may see; plus the stylesheet that colours status and action badges."""

import re

from flask import Response
from flask_admin import AdminIndexView, expose
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from accord.admin.views.formatters import link_to, local_datetime
from accord.admin.views.gate import GateMixin, current_user
from accord.core import access
from accord.core.models import (
    RECORD_MODELS,
    ActionType,
    Activity,
    Deal,
    Status,
    Task,
    utcnow,
)

RECENT = 15
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _colour(value, fallback):
    # Only well-formed colours reach the stylesheet (they come from settings forms).
    return value if value and _COLOUR.fullmatch(value) else fallback


class HomeView(GateMixin, AdminIndexView):
    access_policy = "authenticated"

    def __init__(self):
        super().__init__(name=_l("Home"), url="/admin", template="accord/home.html")

    @expose("/")
    def index(self):
        user = current_user()
        now = utcnow()
        open_deals = access.visible(Deal.select().where(Deal.closed_at.is_null()), user, Deal)
        my_tasks = Task.select().where((Task.owner == user.id) & (Task.done == False))  # noqa: E712
        my_tasks = access.visible(my_tasks, user, Task)
        overdue = my_tasks.where(Task.due_at < now)
        upcoming = list(my_tasks.order_by(Task.due_at.asc(nulls="LAST"), Task.id).limit(10))
        return self.render(
            self._template,
            user=user,
            now=now,
            open_deal_count=open_deals.count(),
            my_open_deal_count=open_deals.where(Deal.owner == user.id).count(),
            open_task_count=my_tasks.count(),
            overdue_count=overdue.count(),
            tasks=upcoming,
            activity=self.recent_activity(user),
            activity_link=self.activity_link,
            local_datetime=local_datetime,
        )

    def recent_activity(self, user):
        scope = access.report_scope(user)
        query = Activity.select()
        if scope is not None:
            query = query.where(Activity.owner_id.in_(sorted(scope) or [0]))
        return list(query.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(RECENT))

    def activity_link(self, row):
        """The record's name, linked when the user may still see it."""
        model = RECORD_MODELS.get(row.entity_kind)
        if model is None:
            return escape(row.record_name)
        query = model.select().where(model.id == row.record_id)
        record = access.visible(query, current_user(), model).first()
        return link_to(record, row.record_name) if record else escape(row.record_name)

    @expose("/badges.css")
    def badges(self):
        rules = []
        for model in (Status, ActionType):
            kind = model.__name__.lower()
            for term in model.select():
                fg = _colour(term.font_color, "#212529")
                bg = _colour(term.background_color, "#e9ecef")
                rules.append(f".accord-{kind}-{term.id}{{color:{fg};background-color:{bg}}}")
        response = Response("\n".join(rules) + "\n", mimetype="text/css")
        response.headers["Cache-Control"] = "private, max-age=60"
        return response
