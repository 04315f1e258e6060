"""The deal list's extras: filters on linked names and outcomes, and the per-stage count
shown above the list (the currently filtered, visible deals grouped by stage)."""

from urllib.parse import urlencode

from flask import current_app, g, request, url_for
from flask_admin.contrib.peewee.filters import BasePeeweeFilter, FilterEqual
from flask_admin.contrib.peewee.tools import parse_like_term
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from peewee import SQL, fn

from accord.admin.views import list_sql
from accord.admin.views.base import _FILTER_ARG, searched
from accord.admin.views.filters import ChoiceFilter
from accord.admin.views.gate import current_user
from accord.admin.views.reference import held, held_table
from accord.core import deal_totals
from accord.core import search as search_engine
from accord.core.db import database
from accord.core.models import STAGE_CATEGORIES, Contact, Deal, Pipeline, Stage

OUTCOMES = {
    "active": _l("Open"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "unqualified": _l("Unqualified"),
}
assert set(OUTCOMES) == set(STAGE_CATEGORIES)


class CodeFilter(FilterEqual):
    """A currency code: compared in capitals, whatever was typed."""

    def clean(self, value):
        return value.strip().upper()

    def validate(self, value):
        return 0 < len(value.strip()) <= 3


class LinkedNameFilter(BasePeeweeFilter):
    """The deal's contact (or organization) has a name containing the text."""

    def apply(self, query, value):
        names = Contact.select(Contact.id).where(Contact.name ** parse_like_term(value))
        return query.where(self.column.in_(names))

    def operation(self):
        return _l("contains")


class OutcomeFilter(BasePeeweeFilter):
    """Open, won, lost or unqualified: the category of the deal's stage."""

    def __init__(self, column, name):
        super().__init__(column, name, options=[(k, v) for k, v in OUTCOMES.items()])

    def validate(self, value):
        return value in OUTCOMES

    def apply(self, query, value):
        return query.where(self.column.in_(Stage.select(Stage.id).where(Stage.category == value)))

    def operation(self):
        return _l("is")


# The per-stage count -------------------------------------------------------------------


def filtered_query(view, search, filters, match_limit=None):
    """The list's query with its search and filters, unsorted and unpaginated: the view's
    own (AccessModelView.filtered_query), so the counts describe exactly the listed rows."""
    return view.filtered_query(search, filters, match_limit)[0]


def stage_counts(view, search, filters):
    """[(stage, count, url)] of the filtered deals, in pipeline and stage order: one
    GROUP BY over the list's own query (scoped by the access policy like the list).
    `search` and `filters` are the list's own, as parsed for it (parsing again would
    repeat its messages about mistyped filter values)."""
    counts = listed_counts(view, search, filters)
    if not counts:
        return []
    stages = stages_in_order(list(counts))
    # The URL once, with a stand-in for the stage's id (the last parameter).
    url = _with_stage(filter_arg(view, Deal.stage), _ID)
    head, _stand_in, tail = (url or "").rpartition(_ID)
    return [(stage, counts[stage.id], url and f"{head}{stage.id}{tail}") for stage in stages]


def stage_counts_html(view, search, filters):
    """The per-stage counts above the list as Markup: a badge per stage, grouped by
    pipeline. The badges are held per URL, locale and set of stages shown (they change
    with the reference data only), with each stage's number filled in per request:
    rebuilding them cost a twentieth of a deal page."""
    counts = listed_counts(view, search, filters)
    key = ("stage badges", view.endpoint, request.full_path, str(get_locale()), tuple(counts))
    parts = held(key, lambda: _badges(stage_counts(view, search, filters)))
    out = list(parts)
    out[1::2] = [escape(counts[stage_id]) for stage_id in parts[1::2]]
    return Markup("".join(out))


def _badges(per_stage):
    """The badges' markup as literal parts and stage ids (where the numbers go),
    alternating."""
    title = escape(gettext("Show only this stage"))
    out = [
        '<div class="accord-stage-counts mt-2 mb-2" id="stage-counts">\n'
        f'<span class="text-muted mr-2">{escape(gettext("Per stage:"))}</span>'
    ]
    pipeline_id = None
    for stage, _number, url in per_stage:
        if stage.pipeline_id != pipeline_id:
            if pipeline_id is not None:
                out[-1] += '\n<span class="accord-stage-sep" aria-hidden="true"></span>'
            out[-1] += (
                f'\n<span class="accord-stage-pipeline">{escape(stage.pipeline.name)}:</span>'
            )
            pipeline_id = stage.pipeline_id
        href = f' href="{escape(url)}"' if url else ""
        out[-1] += (
            f'\n<a class="badge accord-stage-count accord-stage-count-{escape(stage.category)}"'
            f'{href} data-stage="{int(stage.id)}" title="{title}">{escape(stage.name)} '
            '<span class="accord-stage-number">'
        )
        out += [stage.id, "</span></a>"]
    if not per_stage:
        out[-1] += f'\n<span class="text-muted">{escape(gettext("no deals"))}</span>'
    out[-1] += "\n</div>"
    return tuple(out)


def listed_total(view, search, filters):
    """How many deals the list shows, from its per-stage counts (asked once a request:
    the list's count and the counts above it are one question); None when past
    STAGE_CAP."""
    counts = listed_counts(view, search, filters)
    if any(isinstance(n, str) for n in counts.values()):
        return None
    return sum(counts.values())


def listed_counts(view, search, filters):
    """{stage id: count, or "N+" past STAGE_CAP} of the listed deals, once a request."""
    memo = g.setdefault("_accord_stage_counts", {})
    key = (view.endpoint, search, repr(filters))
    if key not in memo:
        memo[key] = _listed_counts(view, search, filters)
    return memo[key]


def _listed_counts(view, search, filters):
    scope = None if search else totals_scope(view, filters)
    if scope is not None and deal_totals.available():
        # Every visible deal, or those of some stages, pipelines or owners: from the
        # maintained totals (keyed by stage and owner), not a scan of the deals.
        stage_ids, owner_ids = scope
        if stage_ids is None:
            held = held_table(Stage)
            stage_ids = list(held) if held is not None else [s.id for s in Stage.select(Stage.id)]
        return deal_totals.counts(current_user(), stage_ids, owner_ids)
    return searched_counts(view, search, filters)


def stages_in_order(ids):
    """The stages `ids` with their pipelines, in pipeline and stage order; from the
    reference tables held per process when they are (copies: those are shared)."""
    stages, pipelines = held_table(Stage), held_table(Pipeline)
    if stages is None or pipelines is None:
        return list(
            Stage.select(Stage, Pipeline)
            .join(Pipeline)
            .where(Stage.id.in_(ids))
            .order_by(Pipeline.position, Pipeline.id, Stage.position, Stage.id)
        )
    out = []
    for stage_id in ids:
        held = stages.get(stage_id)
        if held is None or held.pipeline_id not in pipelines:
            continue  # as the join: a stage without its pipeline is left out
        # A copy without peewee's per-field __init__ (a few dozen stages a page).
        stage = Stage.__new__(Stage)
        stage.__data__, stage._dirty = dict(held.__data__), set()
        stage.__rel__ = {"pipeline": pipelines[held.pipeline_id]}
        out.append(stage)
    out.sort(key=lambda s: (s.pipeline.position, s.pipeline_id, s.position, s.id))
    return out


def totals_scope(view, filters):
    """(stage ids or None, owner ids or None) when the list's filters only pick stages,
    pipelines or owners (what deal_totals is keyed by); None for any other filter."""
    stage_ids = owner_ids = None
    for index, _name, value in filters or ():
        flt = view._filters[index]
        if type(flt) is not ChoiceFilter:
            return None
        key = flt.clean(value)
        if flt.column is Deal.owner:
            owner_ids = {key} if owner_ids is None else owner_ids & {key}
            continue
        if flt.column is Deal.stage:
            picked = {key}
        elif flt.column is Deal.pipeline:
            picked = {s.id for s in Stage.select(Stage.id).where(Stage.pipeline == key)}
        else:
            return None
        stage_ids = picked if stage_ids is None else stage_ids & picked
    return stage_ids, owner_ids


# Per-stage counts are exact up to this many deals in all, lower bounds ("N+") past it,
# as the list's own count (base.COUNT_CAP), which is their sum: 1,000 of a million deals
# are read in about 1 ms on SQLite, 5 ms on PostgreSQL (10,000 cost 9 and 50 ms).
STAGE_CAP = 1_000
# A dense search term's stage counts first look at this many of its matches in the index.
STAGE_SAMPLE = 1_200


def searched_counts(view, search, filters):
    """capped_counts of the list's rows. A dense search term is first counted among its
    first STAGE_SAMPLE matches in the index (read in order, not all of them): enough
    when they hold more than STAGE_CAP listed deals (the counts are lower bounds then,
    as past the cap anyway) or when the index has no more matches."""
    query = filtered_query(view, search, filters)
    found = searched(query)
    if search and found is not None and found.dense:
        sample = filtered_query(view, search, filters, match_limit=STAGE_SAMPLE)
        counts = capped_counts(sample)
        if searched(sample).complete or any(isinstance(n, str) for n in counts.values()):
            return counts
        query = filtered_query(view, search, filters, search_engine.EVERY_MATCH)
    return capped_counts(query)


def capped_counts(query):
    """{stage id: count} of the filtered deals from one GROUP BY over at most STAGE_CAP + 1
    of them (never a scan of every deal): past the cap each count is a lower bound and
    shows as "N+"."""
    sample = query.select(Deal.stage).order_by().limit(STAGE_CAP + 1)
    grouped = Deal.select(sample.c.stage_id, fn.COUNT(SQL("1"))).from_(sample)
    sql, params = list_sql.compile_query(grouped.group_by(sample.c.stage_id))
    remembered = list_sql.capped_result(sql, params)
    if remembered is not None:  # capped a moment ago: the same lower bounds
        return dict(remembered)
    rows = list(database.execute_sql(sql, params))
    capped = sum(n for _stage, n in rows) > STAGE_CAP
    counts = {stage: f"{n:,}+" if capped else n for stage, n in rows}
    list_sql.note_count(sql, params, capped=capped, result=tuple(counts.items()))
    return counts


_ID = "accordstage0id"  # a stand-in: word characters urlencode leaves as they are


def _with_stage(arg, stage_id):
    """The current list URL narrowed to one stage (any earlier stage filter replaced)."""
    if arg is None:
        return None
    pairs, highest = [], -1
    for key, value in request.args.items(multi=True):
        match = _FILTER_ARG.fullmatch(key)
        if match:
            highest = max(highest, int(match.group(1)))
            if match.group(2) == arg:
                continue
        if key == "page":
            continue
        pairs.append((key, value))
    pairs.append((f"flt{highest + 1}_{arg}", str(stage_id)))
    return url_for(".index_view") + "?" + urlencode(pairs)


# Links into the list from elsewhere (the board's "+N more") ------------------------------------


def filter_arg(view, column, kind=ChoiceFilter):
    """The URL name of the view's `kind` filter on `column`, or None."""
    for index, flt in enumerate(view._filters or ()):
        if isinstance(flt, kind) and flt.column is column:
            return view.get_filter_arg(index, flt)
    return None


def deal_view():
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if view.endpoint == "deal":
                return view
    return None


def stage_list_url(stage_id):
    """The deal list filtered by one stage."""
    view = deal_view()
    arg = filter_arg(view, Deal.stage) if view is not None else None
    base = url_for("deal.index_view")
    return base + "?" + urlencode({f"flt0_{arg}": stage_id}) if arg else base
