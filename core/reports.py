"""The dashboard's figures and activity feed, scoped by access.report_scope (DESIGN §5).

Everything here is an aggregate with GROUP BY or a bounded, keyset-paginated select:
nothing loads a table into Python. Money is never summed across currencies: every
figure is per currency. The weighted forecast uses the deal's own probability when set,
else its stage's likelihood (COALESCE in SQL).
"""

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import OP, Expression, Value, fn

from accord.core import access, closed_totals, deal_totals
from accord.core.models import (
    RECORD_MODELS,
    Activity,
    Appointment,
    Attendee,
    Contact,
    Deal,
    Pipeline,
    Stage,
    Status,
    Task,
    Team,
    User,
    utcnow,
)

CLOSED_CATEGORIES = ("won", "lost", "unqualified")
FEED_KINDS = tuple(RECORD_MODELS)
FEED_PAGE = 25
CLOSED_DAYS = 30
_CENT = Decimal("0.01")
_CURSOR = re.compile(r"(\d{20})-(\d{1,12})")


def _in(column, ids):
    return column.in_(sorted(ids) or [0])


def _decimal(value):
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(_CENT)


# Whose records a dashboard counts ----------------------------------------------------


@dataclass
class Scope:
    """Owner ids the dashboard counts (None: everyone), always within report_scope,
    and the user/team filter choices the viewer may pick from."""

    viewer: object
    owner_ids: set | None
    users: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    user_id: int | None = None
    team_id: int | None = None

    @property
    def hides_records(self):
        """True for viewers who may not see every record (restricted): feed rows about
        records they cannot see are dropped, whoever owned them when it happened."""
        rules = access.POLICY.get(getattr(self.viewer, "role", None)) or {}
        return rules.get("view") != "all"


def dashboard_scope(viewer, user_id=None, team_id=None):
    """The viewer's report scope narrowed by an optional user or team filter. A filter
    value outside the viewer's choices is ignored, never widened."""
    allowed = access.report_scope(viewer)
    users = User.select(User.id, User.first_name, User.last_name, User.email, User.team)
    if allowed is not None:
        users = users.where(_in(User.id, allowed))
    users = list(users.order_by(User.first_name, User.last_name, User.email, User.id))
    team_ids = {u.team_id for u in users if u.team_id is not None}
    teams = Team.select().order_by(Team.name)
    if allowed is not None:
        teams = teams.where(_in(Team.id, team_ids))
    teams = list(teams)
    user_id = user_id if user_id in {u.id for u in users} else None
    team_id = team_id if team_id in {t.id for t in teams} else None
    owner_ids = allowed
    if user_id is not None:
        owner_ids = {user_id}
    if team_id is not None:
        members = {u.id for u in users if u.team_id == team_id}
        owner_ids = members if owner_ids is None else owner_ids & members
    return Scope(viewer, owner_ids, users, teams, user_id, team_id)


def _deals(scope, *columns):
    query = Deal.select(*columns).join(Stage, on=(Deal.stage == Stage.id))
    query = access.visible(query, scope.viewer, Deal)
    if scope.owner_ids is not None:
        query = query.where(_in(Deal.owner, scope.owner_ids))
    return query


# The pipeline summary -----------------------------------------------------------------


@dataclass
class Amount:
    currency: str
    count: int = 0
    total: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


@dataclass
class StageFigures:
    stage: object
    amounts: list = field(default_factory=list)

    @property
    def count(self):
        return sum(a.count for a in self.amounts)


@dataclass
class PipelineSummary:
    pipeline: object
    stages: list
    totals: list  # [Amount] per currency over every active stage

    @property
    def count(self):
        return sum(a.count for a in self.totals)


def pipelines():
    return list(Pipeline.select().order_by(Pipeline.position, Pipeline.id))


def choose_pipeline(pipeline_id=None):
    """The pipeline asked for, else the default one (None if there is none at all)."""
    chosen = None
    if pipeline_id is not None:
        chosen = Pipeline.get_or_none(Pipeline.id == pipeline_id)
    return (
        chosen
        or Pipeline.select()
        .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
        .first()
    )


def _add(totals, amount):
    total = totals.setdefault(amount.currency, Amount(amount.currency))
    total.count += amount.count
    total.total += amount.total
    total.weighted += amount.weighted


def pipeline_summary(scope, pipeline):
    """Open deals per active stage of `pipeline`: count, value and weighted forecast,
    per currency; stages without deals are listed too (the funnel keeps its shape)."""
    stages = list(
        Stage.select()
        .where((Stage.pipeline == pipeline.id) & (Stage.category == "active"))
        .order_by(Stage.position, Stage.id)
    )
    if deal_totals.available():
        by_stage = _stage_amounts(scope, stages)
    else:
        by_stage = _stage_amounts_live(scope, pipeline)
    figures, totals = [], {}
    for stage in stages:
        amounts = sorted(by_stage.get(stage.id, []), key=lambda a: a.currency)
        for amount in amounts:
            _add(totals, amount)
        figures.append(StageFigures(stage, amounts))
    return PipelineSummary(pipeline, figures, [totals[c] for c in sorted(totals)])


def _stage_amounts(scope, stages):
    """{stage id: [Amount]} from the maintained totals (accord.core.deal_totals)."""
    likelihood = {s.id: s.likelihood for s in stages}
    by_stage = {}
    sums = deal_totals.sums(scope.viewer, likelihood, scope.owner_ids)
    for (stage_id, currency), (n, total, weighted_set, value_unset) in sums.items():
        weighted = _decimal(weighted_set) + _decimal(value_unset) * likelihood[stage_id]
        amount = Amount(currency, int(n), _decimal(total), (weighted / 100).quantize(_CENT))
        by_stage.setdefault(stage_id, []).append(amount)
    return by_stage


def _stage_amounts_live(scope, pipeline):
    """{stage id: [Amount]} by one GROUP BY over the deals (databases without totals)."""
    probability = fn.COALESCE(Deal.probability, Stage.likelihood)
    query = (
        _deals(
            scope,
            Deal.stage,
            Deal.currency,
            fn.COUNT(Deal.id).alias("n"),
            fn.SUM(Deal.value).alias("total"),
            # value × percentage, summed exactly; divided by 100 in Decimal below.
            fn.SUM(Deal.value * probability).alias("weighted"),
        )
        .where((Deal.pipeline == pipeline.id) & (Stage.category == "active"))
        .group_by(Deal.stage, Deal.currency)
    )
    by_stage = {}
    for row in query.dicts():
        amount = Amount(
            row["currency"],
            int(row["n"]),
            _decimal(row["total"]),
            (_decimal(row["weighted"]) / 100).quantize(_CENT),
        )
        by_stage.setdefault(row["stage"], []).append(amount)
    return by_stage


def closed_summary(scope, pipeline, days=CLOSED_DAYS, now=None):
    """Deals of `pipeline` closed in the last `days` days: {category: [Amount]} for won,
    lost and unqualified, by closed_at and the stage's category."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    result = {category: [] for category in CLOSED_CATEGORIES}
    if closed_totals.available():
        rows = _closed_rows(scope, pipeline, since)
    else:
        rows = _closed_rows_live(scope, pipeline, since)
    for category, currency, n, total in rows:
        result[category].append(Amount(currency, int(n), _decimal(total)))
    for amounts in result.values():
        amounts.sort(key=lambda a: a.currency)
    return result


def _closed_rows(scope, pipeline, since):
    """(category, currency, count, total) from the per-day totals (accord.core.closed_totals)."""
    categories = dict(
        Stage.select(Stage.id, Stage.category)
        .where((Stage.pipeline == pipeline.id) & Stage.category.in_(CLOSED_CATEGORIES))
        .tuples()
    )
    merged = {}
    sums = closed_totals.sums(scope.viewer, pipeline.id, categories, since, scope.owner_ids)
    for (stage_id, currency), (n, total) in sums.items():
        key = (categories[stage_id], currency)
        n_before, total_before = merged.get(key, (0, Decimal(0)))
        merged[key] = (n_before + n, total_before + total)
    return [(*key, n, total) for key, (n, total) in merged.items()]


def _closed_rows_live(scope, pipeline, since):
    """(category, currency, count, total) by one GROUP BY over the deals."""
    query = (
        _deals(
            scope,
            Stage.category,
            Deal.currency,
            fn.COUNT(Deal.id).alias("n"),
            fn.SUM(Deal.value).alias("total"),
        )
        .where(
            (Deal.pipeline == pipeline.id)
            & Stage.category.in_(CLOSED_CATEGORIES)
            & (Deal.closed_at >= since)
        )
        .group_by(Stage.category, Deal.currency)
    )
    return list(query.tuples())


# The activity feed ----------------------------------------------------------------------


def _change_pattern(key, pair=None):
    """The text a change of `key` (optionally from/to `pair`) leaves in Activity.changes,
    made with the same json.dumps settings as JSONField so the two cannot drift."""
    text = json.dumps({key: pair if pair is not None else [None]}, sort_keys=True)[1:-1]
    return text if pair is not None else text.split("[", 1)[0] + "["


def _changed(key, pair=None):
    text = _change_pattern(key, pair)
    assert not set(text) & set("%_\\"), text  # fixed keys: no LIKE wildcard to escape
    # Unconverted: JSONField's converter would JSON-quote the pattern itself.
    return Expression(Activity.changes, OP.ILIKE, Value(f"%{text}%", converter=False))


# Event filters: what a "type" of the feed means as a condition on activity rows.
EVENTS = {
    "created": lambda: Activity.verb == "created",
    "stage": lambda: (Activity.verb == "updated") & _changed("stage"),
    "status": lambda: (Activity.verb == "updated") & _changed("status"),
    "owner": lambda: (
        (Activity.verb == "claimed") | ((Activity.verb == "updated") & _changed("owner"))
    ),
    "completed": lambda: (
        (Activity.entity_kind == "task")
        & (Activity.verb == "updated")
        & _changed("done", [False, True])
    ),
    "converted": lambda: Activity.verb == "converted",
    "deleted": lambda: Activity.verb == "deleted",
}


def cursor_of(row):
    return f"{row.created_at:%Y%m%d%H%M%S%f}-{row.id}"


def parse_cursor(text):
    """(created_at, id) from an "older" link, or None for anything malformed."""
    match = _CURSOR.fullmatch(text or "")
    if not match:
        return None
    try:
        when = dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S%f")
    except ValueError:
        return None
    return when, int(match.group(2))


@dataclass
class FeedPage:
    rows: list
    older: str | None  # the cursor of the next (older) page, None on the last one
    # (entity kind, record id) -> endpoint of the record's datasheet, for records the
    # viewer may open; any other record shows as its name only.
    links: dict = field(default_factory=dict)
    # {"stage": {id: name}, "status": {…}, "user": {…}} for the rows' ids.
    names: dict = field(default_factory=dict)


def feed(scope, kind=None, event=None, before=None, limit=FEED_PAGE):
    """One page of the activity feed, newest first, keyset-paginated on (created_at, id).

    A row belongs to the scope when the record's owner (when it happened) is in it, or
    the record had no owner and the actor is in it."""
    # `|| ''`: the kind filter keeps nearly every row, so the newest-first scan of the
    # created_at index must drive the query, not the (entity_kind, …) index plus a sort.
    query = Activity.select().where(Activity.entity_kind.concat("").in_(FEED_KINDS))
    if kind in FEED_KINDS:
        query = query.where(Activity.entity_kind == kind)
    if event in EVENTS:
        query = query.where(EVENTS[event]())
    if before is not None:
        when, row_id = before
        query = query.where(
            (Activity.created_at < when) | ((Activity.created_at == when) & (Activity.id < row_id))
        )
    rows = _newest(query, scope.owner_ids, limit + 1)
    older = cursor_of(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    links = record_links(scope.viewer, rows)
    if scope.hides_records:
        rows = [r for r in rows if (r.entity_kind, r.record_id) in links]
    return FeedPage(rows, older, links, feed_names(rows))


# Up to this many owners, the feed reads each one's newest rows from the (owner_id,
# created_at) index and merges them; more (a big manager tree) use one IN query.
FEED_OWNERS = 20


def _newest(query, owner_ids, n):
    """The `n` newest rows of `query` in the scope (None: everyone). A scoped row is one
    whose owner is in it, or unowned with its actor in it: each part is read newest
    first from its own index and the parts merged, rather than collected whole and
    sorted (a user's share of a busy feed is thousands of rows)."""
    newest = (Activity.created_at.desc(), Activity.id.desc())
    if owner_ids is None:
        return list(query.order_by(*newest).limit(n))
    ids = sorted(owner_ids)
    if not ids:
        return []
    if len(ids) <= FEED_OWNERS:
        parts = [query.where(Activity.owner_id == i) for i in ids]
        parts += [query.where(Activity.owner_id.is_null() & (Activity.actor == i)) for i in ids]
    else:
        parts = [
            query.where(_in(Activity.owner_id, ids)),
            query.where(Activity.owner_id.is_null() & _in(Activity.actor, ids)),
        ]
    rows = [row for part in parts for row in part.order_by(*newest).limit(n)]
    rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
    return rows[:n]


def record_links(viewer, rows):
    """{(kind, id): endpoint} for the rows' records the viewer may see: one query per kind."""
    wanted = {}
    for row in rows:
        wanted.setdefault(row.entity_kind, set()).add(row.record_id)
    links = {}
    for kind, ids in wanted.items():
        model = RECORD_MODELS.get(kind)
        if model is None:
            continue
        columns = [model.id]
        if model is Contact:
            columns.append(Contact.is_organization)
        query = access.visible(model.select(*columns), viewer, model).where(_in(model.id, ids))
        for record in query:
            endpoint = kind
            if model is Contact and record.is_organization:
                endpoint = "company"
            links[(kind, record.id)] = endpoint
    return links


def _ids(pair):
    if not isinstance(pair, (list, tuple)):
        return []
    return [v for v in pair if isinstance(v, int) and not isinstance(v, bool)]


def feed_names(rows):
    """Names for the stage, status and user ids the rows mention: one query per kind."""
    wanted = {"stage": set(), "status": set(), "user": set()}
    for row in rows:
        if row.actor_id is not None:
            wanted["user"].add(row.actor_id)
        changes = row.changes if isinstance(row.changes, dict) else {}
        wanted["stage"].update(_ids(changes.get("stage")))
        wanted["status"].update(_ids(changes.get("status")))
        wanted["user"].update(_ids(changes.get("owner")))
    names = {"stage": {}, "status": {}, "user": {}}
    if wanted["stage"]:
        query = Stage.select(Stage.id, Stage.name).where(_in(Stage.id, wanted["stage"]))
        names["stage"] = {s.id: s.name for s in query}
    if wanted["status"]:
        query = Status.select(Status.id, Status.name).where(_in(Status.id, wanted["status"]))
        names["status"] = {s.id: s.name for s in query}
    if wanted["user"]:
        query = User.select(User.id, User.first_name, User.last_name, User.email).where(
            _in(User.id, wanted["user"])
        )
        names["user"] = {u.id: u.name for u in query}
    return names


# The viewer's own work -----------------------------------------------------------------


@dataclass
class TaskList:
    tasks: list
    open_count: int
    overdue_count: int


def my_tasks(viewer, now=None, limit=10):
    """The viewer's open tasks, soonest due first (undated last), with the counts."""
    now = now or utcnow()
    query = Task.select().where((Task.owner == viewer.id) & (Task.done == False))  # noqa: E712
    query = access.visible(query, viewer, Task)
    rows = list(query.order_by(Task.due_at.asc(nulls="LAST"), Task.id).limit(limit))
    return TaskList(rows, query.count(), query.where(Task.due_at < now).count())


def my_appointments(viewer, now=None, limit=10):
    """Appointments not yet over that the viewer owns or attends, soonest first.

    Read in three small parts, each from its own index, and merged: owned ones starting
    from now on ((owner, starts_at), already in order), owned ones under way ((owner,
    ends_at, starts_at)), and the ones attended; rather than every appointment the user
    ever owned collected and sorted."""
    now = now or utcnow()
    a = Appointment
    attending = Attendee.select(Attendee.appointment).where(Attendee.user == viewer.id)
    soonest = (a.starts_at, a.id)
    parts = [
        a.select().where((a.owner == viewer.id) & (a.starts_at >= now)).order_by(*soonest),
        a.select().where(a.id.in_(attending) & (a.ends_at >= now)).order_by(*soonest),
    ]
    parts = [part.limit(limit) for part in parts]
    # Under way: every one (few), by ends_at so the (owner, ends_at, starts_at) index
    # serves it rather than a walk through every past one in starts_at order.
    parts.append(
        a.select()
        .where((a.owner == viewer.id) & (a.ends_at >= now) & (a.starts_at < now))
        .order_by(a.ends_at)
    )
    found = {}
    for part in parts:
        for row in access.visible(part, viewer, a):
            found[row.id] = row
    return sorted(found.values(), key=lambda row: (row.starts_at, row.id))[:limit]
