"""What is measured: every figure of issue 8, its Accord page, its baseline page, its target.

Sortable columns and filter arguments are read from the back office's own views (the
same objects the server builds), so the figures follow the views as they change.
"""

from dataclasses import dataclass
from urllib.parse import quote

PAGE = 50  # rows per page, Accord and baseline alike
DEEP_PAGE = 2000
GROUPS = ("list", "search", "dashboard", "datasheet", "scoped", "load", "notify")
PLURAL = {"contact": "contacts", "lead": "leads", "deal": "deals", "company": "companies"}
TERM_LABELS = (
    ("common", "common word"),
    ("rare", "rare term"),
    ("email_prefix", "email prefix"),
    ("phone", "phone number"),
)


@dataclass(frozen=True)
class Target:
    kind: str  # "ratio": p95 <= limit x baseline p95; "ms": p95 <= limit ms
    limit: float

    def __str__(self):
        if self.kind == "ratio":
            return f"p95 ≤ {self.limit:g}× baseline"
        if self.limit >= 1000:
            return f"p95 ≤ {self.limit / 1000:g} s"
        return f"p95 ≤ {self.limit:g} ms"


LIST_TARGET = Target("ratio", 3)
SEARCH_TARGET = Target("ms", 30)
DASHBOARD_TARGET = Target("ms", 50)


@dataclass
class Figure:
    group: str
    name: str
    paths: tuple = ()  # Accord page candidates: the first one that exists is measured
    base: str | None = None  # baseline page (None: no baseline for this figure)
    user: str = "admin"  # which account's session
    target: Target | None = None
    na: str = ""  # why it cannot be measured at all
    kind: str = "latency"  # or "load" (requests/s), "notify" (event → notification)
    queue: str = ""  # notify figures: "embedded" or "redis"


def _views():
    from accord.admin.views.records import record_views

    return {view.endpoint: view for view in record_views()}


def sortable(view):
    """(sort index, list column name, database column) of each sortable list column;
    the database column is None when it is not a plain column of the model."""
    found = []
    for index, (name, _label) in enumerate(view._list_columns):
        if name not in view._sortable_columns:
            continue
        target = view._sortable_columns[name]
        if isinstance(target, str):
            target = view.model._meta.fields.get(target)
        found.append((index, name, getattr(target, "column_name", None)))
    return found


def custom_filter_arg(view):
    """The URL argument of the first custom field's "equals" filter.

    Custom filters exist per request (definitions change at run time); they follow the
    view's own filters, after the tag filter, so the index is computable here."""
    base = len(view._filters or ())
    return view.get_filter_arg(base + 1, None) if view.taggable else None


def choice_filter_arg(view, column):
    """The URL argument of the view's "<column> equals <id>" filter, or None."""
    from accord.admin.views.filters import ChoiceFilter

    for index, flt in enumerate(view._filters or ()):
        if isinstance(flt, ChoiceFilter) and getattr(flt.column, "name", None) == column:
            return view.get_filter_arg(index, flt)
    return None


def list_figures(facts, views):
    owner = facts.get("owner_id")
    for entity in ("contact", "lead", "deal"):
        view, plural = views[entity], PLURAL[entity]
        url, base = f"/admin/{entity}/?page_size={PAGE}", f"/list/{entity}/?page_size={PAGE}"
        yield Figure(
            "list", f"{plural}: first page (default sort)", (url,), base, target=LIST_TARGET
        )
        for index, name, column in sortable(view):
            yield Figure(
                "list",
                f"{plural}: sorted by {name}",
                (f"{url}&sort={index}",),
                f"{base}&order={column}" if column else None,
                target=LIST_TARGET,
            )
        arg = choice_filter_arg(view, "owner")
        if arg is not None and owner:
            yield Figure(
                "list",
                f"{plural}: filtered by owner",
                (f"{url}&flt0_{arg}={owner}",),
                f"{base}&owner={owner}",
                target=LIST_TARGET,
            )
        column = "stage" if entity == "deal" else "status"
        arg, value = choice_filter_arg(view, column), facts.get("status", {}).get(entity)
        if arg is not None and value:
            yield Figure(
                "list",
                f"{plural}: filtered by {column}",
                (f"{url}&flt0_{arg}={value}",),
                f"{base}&status={value}",
                target=LIST_TARGET,
            )
        custom = (facts.get("custom") or {}).get(entity)
        arg = custom_filter_arg(view) if custom else None
        if arg is not None:
            key, value = custom
            yield Figure(
                "list",
                f"{plural}: filtered by a custom field",
                (f"{url}&flt0_{arg}={value}",),
                f"{base}&custom={key}:{value}",
                target=LIST_TARGET,
            )
        else:
            yield Figure(
                "list",
                f"{plural}: filtered by a custom field",
                target=LIST_TARGET,
                na="n/a (the bench defines a filterable custom field on deals only)",
            )
        yield Figure(
            "list",
            f"{plural}: deep page (page={DEEP_PAGE})",
            (f"{url}&page={DEEP_PAGE}",),
            f"{base}&page={DEEP_PAGE}",
            target=LIST_TARGET,
        )


def search_figures(facts):
    terms = facts.get("terms", {})
    for entity in ("contact", "lead", "deal"):
        for key, label in TERM_LABELS:
            term = terms.get(entity, {}).get(key)
            if not term:
                continue
            q = quote(term)
            yield Figure(
                "search",
                f"{PLURAL[entity]} search: {label} “{term}”",
                (f"/admin/{entity}/?search={q}&page_size={PAGE}",),
                f"/list/{entity}/?search={q}&page_size={PAGE}",
                target=SEARCH_TARGET,
            )
    for key, label in TERM_LABELS:
        term = terms.get("contact", {}).get(key)
        if term:
            q = quote(term)
            yield Figure(
                "search",
                f"global search: {label} “{term}”",
                (f"/admin/search/?q={q}",),
                f"/search/?q={q}",
                target=SEARCH_TARGET,
            )


def dashboard_figures(facts):
    pipeline, admin = facts.get("pipeline_id") or 1, facts.get("user_id", {}).get("admin")
    yield Figure(
        "dashboard",
        "dashboard, admin (everyone's figures)",
        (f"/admin/?pipeline={pipeline}",),
        f"/dashboard/?pipeline={pipeline}&user={admin}",
        target=DASHBOARD_TARGET,
    )
    yield Figure(
        "dashboard",
        "deal board, biggest pipeline",
        (f"/admin/board/?pipeline={pipeline}", f"/admin/deal/board/?pipeline={pipeline}"),
        f"/board/?pipeline={pipeline}",
        target=DASHBOARD_TARGET,
    )


def datasheet_figures(facts):
    deal, company = facts.get("busy_deal"), facts.get("busy_company")
    if deal:
        yield Figure(
            "datasheet",
            f"busy deal datasheet ({deal[1]} tasks + notes)",
            (f"/admin/deal/details/?id={deal[0]}",),
            f"/details/deal/{deal[0]}/",
        )
    if company:
        yield Figure(
            "datasheet",
            f"busy company datasheet ({company[1]} people)",
            (f"/admin/company/details/?id={company[0]}",),
            f"/details/company/{company[0]}/",
        )


def scoped_figures(facts, accounts):
    users, pipeline = facts.get("user_id", {}), facts.get("pipeline_id") or 1
    rid = users.get("restricted")
    if rid and "restricted" in accounts:
        for entity in ("contact", "deal"):
            yield Figure(
                "scoped",
                f"restricted user: {PLURAL[entity]} first page",
                (f"/admin/{entity}/?page_size={PAGE}",),
                f"/list/{entity}/?page_size={PAGE}&scope={rid}",
                user="restricted",
                target=LIST_TARGET,
            )
        term = facts.get("terms", {}).get("contact", {}).get("common")
        if term:
            yield Figure(
                "scoped",
                f"restricted user: contacts search “{term}”",
                (f"/admin/contact/?search={quote(term)}&page_size={PAGE}",),
                f"/list/contact/?search={quote(term)}&page_size={PAGE}&scope={rid}",
                user="restricted",
                target=SEARCH_TARGET,
            )
    for role in ("restricted", "normal"):
        uid = users.get(role)
        if uid and role in accounts:
            yield Figure(
                "scoped",
                f"{role} user: dashboard (own figures)",
                (f"/admin/?pipeline={pipeline}",),
                f"/dashboard/?pipeline={pipeline}&owner={uid}&user={uid}",
                user=role,
                target=DASHBOARD_TARGET,
            )


def load_figures(facts):
    yield Figure(
        "load",
        "requests/s, 2 gunicorn workers: contacts first page",
        (f"/admin/contact/?page_size={PAGE}",),
        f"/list/contact/?page_size={PAGE}",
        kind="load",
    )
    deal = facts.get("busy_deal")
    if deal:
        yield Figure(
            "load",
            "requests/s, 2 gunicorn workers: busy deal datasheet",
            (f"/admin/deal/details/?id={deal[0]}",),
            f"/details/deal/{deal[0]}/",
            kind="load",
        )


def notify_figures():
    for name, limit in (("embedded", 1000), ("Redis", 200)):
        yield Figure(
            "notify",
            f"event → web notification, {name}",
            target=Target("ms", limit),
            kind="notify",
            queue=name.lower(),
        )


def build(facts, accounts, groups=GROUPS):
    views = _views()
    makers = {
        "list": lambda: list_figures(facts, views),
        "search": lambda: search_figures(facts),
        "dashboard": lambda: dashboard_figures(facts),
        "datasheet": lambda: datasheet_figures(facts),
        "scoped": lambda: scoped_figures(facts, accounts),
        "load": lambda: load_figures(facts),
        "notify": notify_figures,
    }
    return [figure for group in GROUPS if group in groups for figure in makers[group]()]
