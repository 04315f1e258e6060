"""The dashboard (/admin/): pipeline figures, the activity feed, the user's own work.

Left: a pipeline's open deals per stage (count, value, weighted forecast) and the deals
closed in the last 30 days. Centre: the activity feed. Right: my open tasks and upcoming
appointments. Figures and feed are scoped by access.report_scope through
accord.core.reports; the user/team filter only ever narrows that scope. Also serves the
stylesheet that colours status and action badges.
"""

import re

from babel.dates import format_time
from babel.numbers import format_compact_currency
from flask import Response, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import lazy_gettext as _l

from accord.admin.views import feed
from accord.admin.views.base import prefetch
from accord.admin.views.formatters import link_to, local_datetime
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core import i18n, reports
from accord.core.models import ActionType, Status, utcnow

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
CLOSED_LABELS = {
    "won": _l("Won"),
    "lost": _l("Lost"),
    "unqualified": _l("Unqualified"),
}


def _colour(value, fallback):
    # Only well-formed colours reach the stylesheet (they come from settings forms).
    return value if value and _COLOUR.fullmatch(value) else fallback


def _locale():
    return getattr(current_user(), "locale", None) or "en"


def money(amount, currency):
    try:
        return i18n.format_money(amount, currency, _locale())
    except Exception:  # an odd currency code or locale must not break the dashboard
        return f"{amount} {currency}"


def money_short(amount, currency):
    """Big figures read at a glance ("€447.3K"); the exact one is in the title."""
    if amount is None or abs(amount) < 10_000:
        return money(amount, currency)
    try:
        return format_compact_currency(amount, currency, locale=_locale(), fraction_digits=1)
    except Exception:
        return money(amount, currency)


def feed_time(value, now):
    """Today's rows show the time only; older ones the date too (in the user's zone)."""
    user = current_user()
    zone = getattr(user, "timezone", None) or "UTC"
    try:
        if i18n.to_local(value, zone).date() == i18n.to_local(now, zone).date():
            return format_time(i18n.to_local(value, zone), format="short", locale=_locale())
    except Exception:  # an unknown zone or locale in a profile must not break the page
        pass
    return local_datetime(value, "short")


def currencies(summary, closed):
    """[(code, open deals)] of the figures, most deals first: the left column shows one
    currency at a time, since values in different currencies cannot be added up."""
    counts = {}
    for amount in summary.totals if summary else ():
        counts[amount.currency] = counts.get(amount.currency, 0) + amount.count
    for amounts in (closed or {}).values():
        for amount in amounts:
            counts.setdefault(amount.currency, 0)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def pick(amounts, currency):
    """The Amount in `currency` from a list of them, or None."""
    return next((a for a in amounts if a.currency == currency), None)


def _choice(name, allowed):
    value = request.args.get(name) or None
    return value if value in allowed else None


class HomeView(GateMixin, AdminIndexView):
    access_policy = "authenticated"

    def __init__(self):
        super().__init__(name=_l("Dashboard"), url="/admin", template="accord/home.html")

    @expose("/")
    def index(self):
        user = current_user()
        now = utcnow()
        scope = reports.dashboard_scope(
            user, parse_id(request.args.get("user")), parse_id(request.args.get("team"))
        )
        pipeline = reports.choose_pipeline(parse_id(request.args.get("pipeline")))
        kind = _choice("kind", reports.FEED_KINDS)
        event = _choice("event", reports.EVENTS)
        page = reports.feed(scope, kind, event, reports.parse_cursor(request.args.get("before")))
        tasks = reports.my_tasks(user, now)
        appointments = reports.my_appointments(user, now)
        prefetch(tasks.tasks, ("lead", "contact", "deal"))
        prefetch(appointments, ("lead", "contact", "deal"))
        summary = reports.pipeline_summary(scope, pipeline) if pipeline else None
        closed = reports.closed_summary(scope, pipeline, now=now) if pipeline else None
        codes = currencies(summary, closed)
        currency = request.args.get("currency")
        if currency not in {code for code, _n in codes}:
            currency = codes[0][0] if codes else None
        filters = {
            "pipeline": pipeline.id if pipeline else None,
            "currency": currency if len(codes) > 1 else None,
            "user": scope.user_id,
            "team": scope.team_id,
            "kind": kind,
            "event": event,
        }
        return self.render(
            self._template,
            user=user,
            now=now,
            scope=scope,
            pipelines=reports.pipelines(),
            pipeline=pipeline,
            summary=summary,
            closed=closed,
            currencies=codes,
            currency=currency,
            pick=pick,
            money_short=money_short,
            closed_labels=CLOSED_LABELS,
            closed_days=reports.CLOSED_DAYS,
            feed_rows=feed.rows(page),
            older_url=self._url(filters, before=page.older) if page.older else None,
            newest_url=self._url(filters) if request.args.get("before") else None,
            filters=filters,
            dashboard_url=lambda **changes: self._url({**filters, **changes}),
            kind_choices=feed.KIND_CHOICES,
            event_choices=feed.EVENT_CHOICES,
            tasks=tasks,
            appointments=appointments,
            money=money,
            link_to=link_to,
            local_datetime=local_datetime,
            feed_time=lambda value: feed_time(value, now),
        )

    def _url(self, filters, **extra):
        args = {k: v for k, v in filters.items() if v is not None}
        args.update(extra)
        return url_for(".index", **args)

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
