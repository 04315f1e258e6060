"""AccessModelView: the one base of every back-office model view.

Flask-Admin scopes only the list through `get_query` (STACK-NOTES): this base scopes
every surface — list, details/edit/delete by id, bulk actions, inline ajax update,
export and ajax lookups — through accord.core.access, and writes only through
accord.core.services. It also carries the fixes STACK-NOTES lists for Flask-Admin 2.2.1
with peewee, and refuses list parameters outside an allowlist (SECURITY C15).
"""

import datetime as dt
import re
from math import ceil
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    abort,
    flash,
    g,
    get_flashed_messages,
    has_request_context,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.contrib.peewee.tools import parse_like_term
from flask_admin.model import typefmt
from flask_admin.model.base import ViewArgs
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup
from peewee import SQL, AutoField, Field, ForeignKeyField, Model, NodeList, Ordering, Select
from wtfpeewee.fields import SelectQueryField

from accord.admin.app import current_runtime
from accord.admin.views import exports, formatters, list_rows, list_skeleton, list_sql
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import ScopedAjaxSelectField, parse_id
from accord.admin.views.reference import held, held_table
from accord.core import access
from accord.core import search as search_engine
from accord.core.by_ids import id_in, read_by_id, select_by_ids
from accord.core.db import is_sqlite, write
from accord.core.rows import model_rows
from accord.core.services import Forbidden, NotFound, ValidationError, activity, records

MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000  # deeper pages are refused, not run (DESIGN §9: deep OFFSET)
MAX_TEXT = 200
MAX_FILTERS = 20
MAX_BULK = 500
MAX_LOOKUP = 50
LIST_ARGS = ("page", "page_size", "sort", "desc", "search", "count")
# Lists count at most this many rows ("1,000+"); `?count=exact` counts them all. An exact
# COUNT on every page costs a full scan at a million rows (DESIGN §9); a capped one reads
# at most COUNT_CAP + 1 index entries.
COUNT_CAP = 1_000
# What werkzeug's url building leaves unquoted in a query string.
_URL_SAFE = "!$'()*,/:;?@"
# A dense search term's count first looks at this many of its matches in the index.
COUNT_SAMPLE = 2_000
_FILTER_ARG = re.compile(r"flt(\d{1,3})_(\w{1,60})")
_DIGITS = re.compile(r"\d{1,12}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def bad_request():
    abort(400)


def _search_memo():
    """What the search index answered during this request (the list, its count and the
    deal list's stage counts ask it the same questions)."""
    if not has_request_context():
        return {}
    return g.setdefault("accord_search_memo", {})


def searched(query):
    """The ListSearch a list query was searched with, or None."""
    return getattr(query, "_accord_search", None)


def by_expression(ordering):
    """The same sort over an expression of the column ("+col" on SQLite): a few rows
    picked by id are then fetched by id and sorted, not looked for along the sort
    column's index (0.12 s at 800,000 contacts)."""
    if not isinstance(ordering, Ordering):
        return ordering
    node = NodeList((SQL("+"), ordering.node), glue="")
    return Ordering(node, ordering.direction, ordering.collation, ordering.nulls)


def _view_args_tuple(args):
    """ViewArgs' fields in order, as a tuple to hold (the filters as a tuple too)."""
    filters = None if args.filters is None else tuple(args.filters)
    return (args.page, args.page_size, args.sort, args.sort_desc, args.search, filters)


def clean_text(value, limit=MAX_TEXT):
    """User text bound for a query: bounded, without NUL or control characters (which
    PostgreSQL refuses with an error, and no one types)."""
    if value is None:
        return None
    if len(value) > limit or _CONTROL.search(value):
        bad_request()
    return value


def _int_arg(name, high):
    values = request.args.getlist(name)
    if not values or values == [""]:
        return None
    if len(values) > 1 or not _DIGITS.fullmatch(values[0]):
        bad_request()
    number = int(values[0])
    if number > high:
        bad_request()
    return number


def _with_arg(name, value):
    args = request.args.to_dict(flat=False)
    args[name] = [value]
    return request.path + "?" + urlencode(args, doseq=True)


def _in_range(value):
    """A filter value the database can compare without overflowing."""
    if isinstance(value, (list, tuple)):
        return all(_in_range(v) for v in value)
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**31) < value < 2**31
    if isinstance(value, float):
        return value == value and abs(value) < 1e15
    return True


def prefetch(rows, names, columns=None):
    """Load the records behind foreign keys `names` for `rows`: one query per table and
    set of fields (a deal's company and contact are both contacts); `columns` may name
    the only fields to load for some keys ({name: (field, …)})."""
    if not rows:
        return
    fields = type(rows[0])._meta.fields
    wanted = {}  # (model, fields) -> [key names]
    for name in names:
        field = fields.get(name)
        if not isinstance(field, ForeignKeyField):
            continue
        target = field.rel_model
        held = held_table(target)
        if held is not None:  # users, statuses, stages …: held per process
            for row in rows:
                obj = held.get(row.__data__.get(name))
                if obj is not None:
                    row.__rel__[name] = obj
            continue
        wanted.setdefault((target, tuple((columns or {}).get(name, ()))), []).append(name)
    for (target, picked), keys in wanted.items():
        ids = {row.__data__.get(name) for row in rows for name in keys} - {None}
        if not ids:
            continue
        chosen = [getattr(target, c) for c in picked]
        found = {obj.id: obj for obj in select_by_ids(target, sorted(ids), chosen)}
        for row in rows:
            for name in keys:
                obj = found.get(row.__data__.get(name))
                if obj is not None:
                    row.__rel__[name] = obj


def _user_zone():
    user = current_user()
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except Exception:
        return dt.UTC


def to_utc(value):
    """A naive datetime typed in the user's zone -> naive UTC, as stored."""
    aware = value.replace(tzinfo=_user_zone())
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def to_local(value):
    return value.replace(tzinfo=dt.UTC).astimezone(_user_zone()).replace(tzinfo=None)


class AccordModelConverter(CustomModelConverter):
    """Form fields for our models.

    - AutoField gets Flask-Admin's validator-less pk handler (upstream #1718: inline
      rows failed silently because the hidden id was required);
    - ajax foreign keys use the scoped select (posted ids must come from the loader);
    - plain foreign keys may be narrowed by the view's `form_fk_queries`.
    """

    def __init__(self, view, additional=None):
        super().__init__(view, additional)
        self.converters[AutoField] = self.handle_pk

    def handle_foreign_key(self, model, field, **kwargs):
        loader = getattr(self.view, "_form_ajax_refs", {}).get(field.name)
        if loader:
            if field.null:
                kwargs["allow_blank"] = True
            return field.name, ScopedAjaxSelectField(loader, **kwargs)
        query = (getattr(self.view, "form_fk_queries", None) or {}).get(field.name)
        if query is not None:
            if field.null:
                kwargs["allow_blank"] = True
            label = (getattr(self.view, "form_fk_labels", None) or {}).get(field.name)
            if label is not None:
                kwargs["get_label"] = label
            return field.name, QuerySelect(query=query, **kwargs)
        return super().handle_foreign_key(model, field, **kwargs)


class QuerySelect(SelectQueryField):
    """A select over a narrowed query (statuses of one entity, stages by pipeline)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Flask-Admin's inline-edit widget picks its editor by this name.
        self.type = "ModelSelectField"


def _type_formatters():
    mine = formatters.type_formatters()
    base = {k: v for k, v in typefmt.BASE_FORMATTERS.items() if k not in mine}
    return {**mine, **base}


class AccessModelView(GateMixin, ModelView):
    """Base of every model view. Records views keep access_policy "records"."""

    access_policy = "records"
    model_form_converter = AccordModelConverter

    page_size = 25
    page_size_options = (10, 25, 50, 100)
    can_set_page_size = True
    can_view_details = True
    export_types = ["csv", "xlsx"]  # accord.admin.views.exports: any size, streamed
    column_display_pk = False
    column_type_formatters = _type_formatters()
    column_type_formatters_detail = _type_formatters()
    details_template = "accord/details.html"
    list_template = "accord/list.html"

    # Trusted fields a view adds on create (e.g. is_organization for companies).
    create_defaults = {}
    # Foreign keys shown as a select over a narrowed query: {"status": query}.
    form_fk_queries = {}
    form_fk_labels = {}
    # Extra foreign keys to load in one query per page (besides the listed ones).
    list_prefetch = ()
    # The only fields to load for some of them: {foreign key: (field name, …)}.
    list_prefetch_fields = {}
    search_label = None

    # Rights ----------------------------------------------------------------------

    def _right(self, action_name):
        if not has_request_context():
            return True  # start-up scaffolding builds every form and action
        user = current_user()
        return user is not None and access.can(user, action_name)

    @property
    def can_create(self):
        return self._right("create")

    @property
    def can_edit(self):
        return self._right("edit")

    @property
    def can_delete(self):
        return self._right("delete")

    @property
    def can_export(self):
        return exports.spec_of(self) is not None and self._right("export")

    def may(self, action_name, record):
        """May the current user do `action_name` to this record?"""
        return access.can(current_user(), action_name, record)

    # Reads -------------------------------------------------------------------------

    def base_query(self):
        return self.model.select()

    def get_query(self):
        return access.visible(self.base_query(), current_user(), self.model)

    def get_one(self, id):
        """The record if the user may see it; anything else is a plain 404 (no flash,
        no redirect, nothing that tells a hidden record from a missing one)."""
        pk = parse_id(id)
        if pk is None:
            abort(404)
        record = self.get_query().where(self.model.id == pk).first()
        if record is None:
            abort(404)
        return record

    def scaffold_list_columns(self):
        # column_display_pk is ignored for AutoField upstream (#1841): test primary_key.
        return [
            name
            for name, field in self._get_model_fields()
            if self.column_display_pk or not field.primary_key
        ]

    def scaffold_sortable_columns(self):
        return {
            name: field
            for name, field in self._get_model_fields()
            if (self.column_display_pk or not field.primary_key)
            and not isinstance(field, ForeignKeyField)
        }

    def search_placeholder(self):
        # Upstream renders "None" when no placeholder is set.
        return str(self.search_label or _l("Search"))

    def get_safe_page_size(self, page_size):
        if page_size and 0 < page_size <= MAX_PAGE_SIZE:
            return page_size
        return self.page_size

    def _order_by(self, query, joins, order):
        query, joins = super()._order_by(query, joins, order)
        # A unique tiebreaker keeps pages stable when sort values repeat; it runs in the
        # sort's direction so the sort column's index (which ends in the id) serves both.
        desc = bool(order[-1][1]) if order else True
        tiebreak = self.model.id.desc() if desc else self.model.id.asc()
        return query.order_by_extend(tiebreak), joins

    # The list query: scope, search, filters, capped count, sort, page ------------------

    # "lead", "contact", "company" or "deal": the search box uses accord.core.search (the
    # full-text index) instead of LIKE over column_searchable_list.
    search_kind = None

    def apply_search(self, query, text, joins, match_limit=None, narrowed=False):
        """Every word must match one of the searchable fields."""
        if self.search_kind:
            extra = [f for f in self._search_fields if not isinstance(f, Field)]
            narrowed = narrowed or not access.sees_all(current_user())
            found = search_engine.list_search(
                self.model,
                self.search_kind,
                text,
                extra,
                _search_memo(),
                match_limit,
                dense=not narrowed,
            )
            query = query.where(found.clause)
            # Travels with the query through its clones (filters, sort, page).
            query._accord_search = found
            return query
        for value in text.split(" "):
            if not value:
                continue
            term = parse_like_term(value)
            stmt = None
            for field in self._search_fields:
                query = self._handle_join(query, field, joins)
                stmt = field**term if stmt is None else stmt | (field**term)
            query = query.where(stmt)
        return query

    def filtered_query(self, text, filters, match_limit=None, scoped=None):
        """The list's rows (scoped, searched, filtered), unsorted and unpaginated. With
        `match_limit`, the search takes only the first that many matches of the index
        (search_engine.list_search): a subset, for a capped count. `scoped`: the scoped
        query to start from instead of get_query() (one of access.visible_arms)."""
        query, joins = (self.get_query() if scoped is None else scoped), set()
        if self._search_supported and text:
            query = self.apply_search(query, text, joins, match_limit, narrowed=bool(filters))
        for index, _name, value in filters or ():
            flt = self._filters[index]
            query = self._handle_join(query, flt.column, joins)
            query = flt.apply(query, flt.clean(value))
        return query, joins

    def list_count(self, query, search=None, filters=None, ordered=None):
        """The exact count up to COUNT_CAP; None beyond (the pager then shows next and
        previous, and the list says "1,000+" with a link to count them all). `ordered`:
        the same query in the page's order."""
        if request.args.get("count") == "exact":
            return query.order_by().count()
        if search and searched(query) is not None and searched(query).dense:
            # A dense term: first count among its first matches in the index (read in
            # order, not all of them), which settles "1,000+" or an exact count unless
            # the filters and the scope leave too few of them.
            sample, _joins = self.filtered_query(search, filters, match_limit=COUNT_SAMPLE)
            capped = sample.order_by().limit(COUNT_CAP + 1).count()
            if capped > COUNT_CAP:
                g.accord_count_capped = True
                return None
            if searched(sample).complete:
                return capped
            query, _joins = self.filtered_query(search, filters, search_engine.EVERY_MATCH)
        # Counted in the page's order (`ordered`, given when there is no search), the rows
        # are read the way the page reads its first ones, through the (filter, sort) index
        # the page uses. Unordered, SQLite (without statistics) may pick another index
        # than the filter's and read most of the table: 22 ms instead of 1.4 ms for one
        # status at 1M.
        capped = (query.order_by() if ordered is None else ordered).limit(COUNT_CAP + 1)
        if search and not getattr(searched(query), "few", False):
            # A search's matches cost the most to find: the count reads their ids, and
            # when they are all there the page sorts those instead of looking for the
            # matches again (get_list; a restricted user's search: 14 ms twice).
            if searched(query) is not None and searched(query).by_id and not filters:
                # From the index's matches, each row by its id (a filter's own index may
                # narrow further: the planner then chooses).
                capped = read_by_id(capped)
            statement = list_sql.compile_query(capped.select(self.model.id))
            if list_sql.capped_lately(*statement):
                g.accord_count_capped = True
                return None
            ids = [row[0] for row in list_sql.run(*statement, prepare=False)]
            list_sql.note_count(*statement, capped=len(ids) > COUNT_CAP)
            if len(ids) <= COUNT_CAP:
                g.accord_searched_ids = (self.endpoint, ids)
                return len(ids)
            g.accord_count_capped = True
            return None
        capped = list_sql.count(self, capped, list_sql.fixed(self, search, filters))
        if capped <= COUNT_CAP:
            return capped
        g.accord_count_capped = True
        return None

    def get_list(
        self,
        page,
        sort_column,
        sort_desc,
        search,
        filters,
        execute=True,
        page_size=None,
    ):
        if sort_column is not None and sort_column not in self._sortable_columns:
            bad_request()  # upstream: KeyError -> 500
        if execute and has_request_context() and list_sql.fixed(self, search, filters):
            # The queries follow from the user, the URL and the reference data, as their
            # SQL does (list_sql): built once per process, then only run (building them
            # took a tenth of a list page, a restricted user's union of arms more).
            key = (
                "list queries",
                self.endpoint,
                current_user().id,
                request.full_path,
                (page, sort_column, sort_desc, page_size),
            )
            filtered, ordered, paged = held(
                key, lambda: self._list_queries(page, sort_column, sort_desc, filters, page_size)
            )
            count = self.list_count(filtered, None, filters, ordered=ordered)
            return count, self._list_rows(paged, held_sql=True)
        query, joins = self.filtered_query(search, filters)
        order = self._list_order(sort_column, sort_desc)
        few = False
        if execute and has_request_context():
            ordered = None if search else self._sorted(query, joins, order)
            count = self.list_count(query, search, filters, ordered=ordered)
            listed = g.pop("accord_searched_ids", None)
            if listed is not None and listed[0] == self.endpoint:
                # Every match is known (list_count): the page sorts those rows.
                query, joins = self.filtered_query(None, filters)
                ids = listed[1]
                query = query.where(id_in(self.model.id, ids))
                few = True
        else:
            count = None
        query = self._sorted(query, joins, order)
        if execute and has_request_context() and not search and not few and page_size:
            union = self._owner_arms(filters, order, ((page or 0) + 1) * page_size)
            if union is not None:
                # The page's ids come from the arms: fetch those by id and sort them.
                listed = self.base_query().where(self.model.id.in_(union))
                query, few = self._sorted(listed, set(), order), True
        found = searched(query)
        if (few or (found is not None and found.few)) and is_sqlite():
            # A few hundred rows named by id: read by id, then sorted.
            query = read_by_id(query.order_by(*(by_expression(o) for o in query._order_by)))
        if page_size is None:
            page_size = self.page_size
        if page_size:
            query = query.limit(page_size)
        if page and page_size:
            query = query.offset(page * page_size)
        if not execute:
            return count, query
        held_sql = has_request_context() and list_sql.fixed(self, search, filters)
        return count, self._list_rows(query, held_sql)

    def _list_order(self, sort_column, sort_desc):
        if sort_column is not None:
            return [(self._sortable_columns[sort_column], sort_desc)]
        return self._get_default_order()

    def _list_queries(self, page, sort_column, sort_desc, filters, page_size):
        """(filtered, ordered, paged) of a list without a search: what get_list builds,
        its count reads the first two, its page the last."""
        filtered, joins = self.filtered_query(None, filters)
        order = self._list_order(sort_column, sort_desc)
        ordered = paged = self._sorted(filtered, joins, order)
        if page_size:
            union = self._owner_arms(filters, order, ((page or 0) + 1) * page_size)
            if union is not None:
                # The page's ids come from the arms: fetch those by id and sort them.
                listed = self.base_query().where(self.model.id.in_(union))
                paged = self._sorted(listed, set(), order)
                if is_sqlite():
                    paged = paged.order_by(*(by_expression(o) for o in paged._order_by))
        page_size = self.page_size if page_size is None else page_size
        if page_size:
            paged = paged.limit(page_size)
        if page and page_size:
            paged = paged.offset(page * page_size)
        return filtered, ordered, paged

    def _list_rows(self, query, held_sql):
        rows = model_rows(query, lambda q: list_sql.cursor(self, q, held_sql))
        names = [c for c, _label in self._list_columns] + list(self.list_prefetch)
        prefetch(rows, names, self.list_prefetch_fields)
        return rows

    def _owner_arms(self, filters, order, rows):
        """The ids of the list's first `rows` rows as a UNION ALL of one query per range
        of owners the user may see (access.visible_arms: a restricted user's own and
        the unowned), each sorted and limited on its own; None for a scope of one range,
        and on PostgreSQL, whose planner merges such ranges itself. SQLite reads an OR of
        two owners through both owner indexes and sorts every row they hold: a restricted
        user's deals, 111,000 rows at 1M, took 0.2 s; each arm walks its (owner, sort)
        index for `rows` rows."""
        if not is_sqlite():
            return None
        arms = access.visible_arms(self.base_query(), current_user(), self.model)
        if arms is None:
            return None
        union = None
        for n, arm in enumerate(arms):
            query, joins = self.filtered_query(None, filters, scoped=arm)
            query = self._sorted(query, joins, order).select(self.model.id).limit(rows)
            name = f"owners{n}"
            part = Select([query.alias(name)], [SQL(f'"{name}"."id"')])
            union = part if union is None else union.union_all(part)
        return union

    def _sorted(self, query, joins, order):
        if order:
            return self._order_by(query, set(joins), order)[0]
        return query.order_by(self.model.id.desc())

    def render(self, template, **kwargs):
        if kwargs.get("num_pages", 0) is None and getattr(g, "accord_count_capped", False):
            kwargs["count"] = f"{COUNT_CAP:,}+"
            kwargs["count_exact_url"] = _with_arg("count", "exact")
        return super().render(template, **kwargs)

    # The list page: Flask-Admin's index_view without a form per row ----------------------

    @expose("/")
    def index_view(self):
        """Upstream's list view, except that rows are rendered by accord.admin.views.list_rows
        (no inline-edit form built per row, no macro per cell): the template calls
        `list_rows_html`; and that the page around the rows is rendered once per user and
        URL (accord.admin.views.list_skeleton)."""
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        page_size = self.get_safe_page_size(view_args.page_size)
        count, data = self.get_list(
            view_args.page,
            sort[0] if sort is not None else None,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            page_size=page_size,
        )
        if count is not None and page_size:
            num_pages = int(ceil(count / float(page_size)))
        elif not page_size:
            num_pages = 0
        else:
            num_pages = None  # the simple pager (a capped count)

        def pager_url(p):
            return self._get_list_url(view_args.clone(page=p or None))

        def sort_url(column, invert=False, desc=None):
            if not desc and invert and not view_args.sort_desc:
                desc = 1
            return self._get_list_url(view_args.clone(sort=column, sort_desc=desc))

        def page_size_url(s):
            return self._get_list_url(view_args.clone(page_size=s or self.page_size))

        actions, actions_confirmation = self.get_actions_list()
        holes = dict(
            data=data,
            actions=actions,
            count=count,
            pager_url=pager_url,
            num_pages=num_pages,
            page=view_args.page,
            page_size=page_size,
            search=view_args.search,
            active_filters=view_args.filters,
            # what the rows' action buttons read (list_rows adds the delete form)
            return_url=self._get_list_url(view_args),
            get_pk_value=self.get_pk_value,
            get_value=self.get_list_value,
        )

        def chrome():
            return dict(
                list_forms={},
                action_form=self.action_form() if actions else None,
                list_columns=self._list_columns,
                sortable_columns=self._sortable_columns,
                editable_columns=self.column_editable_list,
                list_row_actions=self.get_list_row_actions(),
                can_set_page_size=self.can_set_page_size,
                page_size_url=page_size_url,
                default_page_size=self.page_size,
                sort_column=view_args.sort,
                sort_desc=view_args.sort_desc,
                sort_url=sort_url,
                search_supported=self._search_supported,
                clear_search_url=self._get_list_url(
                    view_args.clone(page=0, search=None, filters=None)
                ),
                search_placeholder=self.search_placeholder(),
                filters=self._filters,
                filter_groups=self._get_filter_groups(),
                filter_args=self._get_filters(view_args.filters),
                actions_confirmation=actions_confirmation,
                enumerate=enumerate,
                extra_args=view_args.extra_args,
            )

        return list_skeleton.render(self, self.list_template, holes, chrome)

    @pass_context
    def list_rows_html(self, context, data, actions_enabled, csrf):
        return list_rows.render_rows(self, context, data, actions_enabled, csrf)

    def list_cell(self, name, context):
        """row -> the value a list cell shows (views with computed columns override)."""
        return list_rows.plain_cell(self, name, context)

    def get_url(self, endpoint, **kwargs):
        """url_for, except for this view's own list: a list page links itself a few dozen
        times (sort headers, pager, page sizes), so its path is built once a request and
        the query string appended as url_for would (in order, None left out)."""
        if endpoint != ".index_view":
            return super().get_url(endpoint, **kwargs)
        bases = g.setdefault("_accord_list_urls", {})
        base = bases.get(self.endpoint)
        if base is None:
            base = bases[self.endpoint] = url_for(f"{self.endpoint}.index_view")
        items = [
            (key, item)
            for key, value in kwargs.items()
            for item in (value if isinstance(value, (list, tuple)) else (value,))
            if item is not None
        ]
        return f"{base}?{urlencode(items, safe=_URL_SAFE)}" if items else base

    # List parameters: an allowlist (SECURITY C15) -------------------------------------

    def get_actions_list(self):
        """Upstream's bulk actions, held per user and locale: they follow the user's
        rights (users are reference data) and their labels the locale."""
        if not has_request_context():
            return super().get_actions_list()
        key = ("bulk actions", self.endpoint, current_user().id, str(get_locale()))
        actions, confirmations = held(key, lambda: super(AccessModelView, self).get_actions_list())
        return list(actions), dict(confirmations)

    def get_list_row_actions(self):
        """Upstream's row actions (stateless templates), held like get_actions_list."""
        if not has_request_context():
            return super().get_list_row_actions()
        key = ("row actions", self.endpoint, current_user().id, str(get_locale()))
        return list(held(key, lambda: tuple(super(AccessModelView, self).get_list_row_actions())))

    def _get_list_extra_args(self):
        """The list's arguments, checked (400 for any it does not take). Without filter
        arguments they follow from the URL and the view (its columns, reference data):
        held per URL; a filter's value may be flashed as mistyped, so those are parsed
        per request."""
        if any(_FILTER_ARG.fullmatch(key) for key in request.args):
            return self._parse_list_args()
        key = ("list args", self.endpoint, request.full_path)
        page, page_size, sort, desc, search, filters = held(
            key, lambda: _view_args_tuple(self._parse_list_args())
        )
        filters = None if filters is None else list(filters)
        return ViewArgs(page, page_size, sort, desc, search, filters, extra_args={})

    def _parse_list_args(self):
        for key in request.args:
            if key in LIST_ARGS:
                continue
            match = _FILTER_ARG.fullmatch(key)
            if match and self._filter_args and match.group(2) in self._filter_args:
                continue
            bad_request()
        page = _int_arg("page", MAX_OFFSET) or 0
        page_size = _int_arg("page_size", 10**9)
        if page_size:
            page_size = min(page_size, MAX_PAGE_SIZE)
        if page * (page_size or self.page_size) > MAX_OFFSET:
            bad_request()
        sort = _int_arg("sort", len(self._list_columns) - 1) if self._list_columns else None
        if sort is not None and self._list_columns[sort][0] not in self._sortable_columns:
            bad_request()
        desc_values = request.args.getlist("desc")
        if len(desc_values) > 1 or (desc_values and desc_values[0] not in ("", "0", "1")):
            bad_request()
        if request.args.getlist("count") not in ([], ["exact"]):
            bad_request()
        searches = request.args.getlist("search")
        if len(searches) > 1:
            bad_request()
        search = clean_text(searches[0]) if searches else None
        if search and not self._search_supported:
            bad_request()
        return ViewArgs(
            page=page,
            page_size=page_size or 0,
            sort=sort,
            sort_desc=1 if desc_values == ["1"] else None,
            search=search or None,
            filters=self._get_list_filter_args(),
            extra_args={},
        )

    def _get_list_filter_args(self):
        found = []
        for key in request.args:
            match = _FILTER_ARG.fullmatch(key)
            if not match:
                continue
            if not self._filter_args or match.group(2) not in self._filter_args:
                bad_request()
            values = request.args.getlist(key)
            if len(values) != 1:
                bad_request()
            value = clean_text(values[0])
            index, flt = self._filter_args[match.group(2)]
            if value == "":
                continue  # a filter added but not filled in
            if not flt.validate(value):
                # A value typed wrong (a date, a number): say so and leave it out.
                flash(self.get_invalid_value_msg(value, flt), "error")
                continue
            if not _in_range(flt.clean(value)):
                bad_request()
            found.append((int(match.group(1)), (index, str(flt.name), value)))
        if len(found) > MAX_FILTERS:
            bad_request()
        if not self._filters:
            return None
        return [item for _pos, item in sorted(found, key=lambda pair: pair[0])]

    def _get_filter_groups(self):
        # Upstream caches filter options at start-up; ours (users, statuses …) change.
        if not self._filters:
            return None
        groups = {}
        labels = self._filter_labels()
        for index, flt in enumerate(self._filters):
            options = flt.get_options(self)
            name, operation = labels.get(id(flt)) or (str(flt.name), str(flt.operation()))
            groups.setdefault(name, []).append(
                {
                    "index": index,
                    "arg": self.get_filter_arg(index, flt),
                    "operation": operation,
                    "options": [(k, str(v)) for k, v in options] if options else None,
                    "type": flt.data_type,
                }
            )
        return groups

    def _filter_labels(self):
        """{id(filter): (name, operation)} of the view's fixed filters, translated once
        per locale (custom-field filters are built per request and translated then)."""
        fixed = self.__dict__.get("_base_filters") or self.__dict__.get("_filters") or []
        cache = self.__dict__.setdefault("_accord_filter_labels", {})
        locale = str(get_locale())
        if locale not in cache:
            cache[locale] = {id(f): (str(f.name), str(f.operation())) for f in fixed}
        return cache[locale]

    # Forms ------------------------------------------------------------------------

    def scaffold_form(self):
        # Fields show in form_columns order (upstream peewee uses the model's order).
        if self.form_rules is None and self.form_columns:
            self.form_rules = [*self.form_columns, *(self.form_extra_fields or {})]
        # Form labels follow column_labels (translated), unless form_args names one.
        args = {name: dict(opts) for name, opts in (self.form_args or {}).items()}
        for name, label in (self.column_labels or {}).items():
            args.setdefault(name, {}).setdefault("label", label)
        self.form_args = args
        return super().scaffold_form()

    def validate_form(self, form):
        valid = super().validate_form(form)
        # Lazy (translated) messages are not `str`: Flask-Admin's templates drop them.
        for field in form:
            if isinstance(field.errors, list):
                field.errors = [
                    e if isinstance(e, (str, list, dict)) else str(e) for e in field.errors
                ]
        return valid

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and "owner" in form and form.owner.data is None:
            form.owner.data = current_user()  # a new record is yours unless you pick
        return form

    def edit_form(self, obj=None):
        if obj is not None and not self.may("edit", obj):
            abort(403)
        form = super().edit_form(obj)
        if request.method == "GET":
            for field in form:
                if isinstance(field.data, dt.datetime):
                    field.data = to_local(field.data)
        return form

    def form_values(self, form, record=None):
        """The model fields the user set (create) or changed (update), as stored values.
        The owner is returned apart: the services check it against assign rights."""
        fields = self.model._meta.fields
        data, owner = {}, {}
        for field in form:
            name = field.name
            if name not in fields or name == "id":
                continue  # csrf_token, list_form_pk and the view's own extra fields
            value = field.data
            if isinstance(value, Model):
                value = value.id
            elif isinstance(value, dt.datetime):
                value = to_utc(value)
            if record is not None and value == record.__data__.get(name):
                continue
            if name == "owner":
                owner = {"owner": value}
                continue
            data[name] = value
        unassigned = record is None and owner.get("owner", "unset") is None
        if unassigned and not access.can_assign(current_user(), None):
            owner = {}  # left empty by someone who may not unassign: it is their own
        return data, owner

    def show_errors(self, form, errors):
        """Service errors beside the fields they concern; the rest as a message."""
        placed = False
        for key, message in errors.items():
            if form is not None and key and key in form:
                form[key].errors = [*form[key].errors, message]
                placed = True
            else:
                flash(message, "error")
        if placed:
            flash(gettext("Please correct the highlighted fields."), "error")

    def run_service(self, form, call):
        """Run a service call; ValidationError -> form errors (None), Forbidden -> 403
        (or an owner-field error), NotFound -> 404."""
        try:
            return call()
        except ValidationError as exc:
            self.show_errors(form, exc.errors)
            return None
        except Forbidden as exc:
            if str(exc) == "owner" and form is not None and "owner" in form:
                self.show_errors(
                    form, {"owner": gettext("You cannot assign this record to that user.")}
                )
                return None
            abort(403)
        except NotFound:
            abort(404)

    # Writes, through the services -------------------------------------------------

    def create_record(self, user, data, owner, form):
        return records.create(user, self.model, {**data, **self.create_defaults}, **owner)

    def update_record(self, user, record, data, owner, form):
        return records.update(user, record, data, **owner)

    def delete_record(self, user, record):
        return records.delete(user, record)

    def create_model(self, form):
        user = current_user()
        data, owner = self.form_values(form)
        record = self.run_service(form, lambda: self.create_record(user, data, owner, form))
        return record or False

    def update_model(self, form, model):
        if not self.may("edit", model):
            abort(403)
        user = current_user()
        data, owner = self.form_values(form, model)
        done = self.run_service(form, lambda: self.update_record(user, model, data, owner, form))
        return done is not None

    def delete_model(self, model):
        if not self.may("delete", model):
            abort(403)
        done = self.run_service(None, lambda: self.delete_record(current_user(), model))
        return done is not None

    def delete_many(self, user, rows):
        with write():
            for row in rows:
                self.delete_record(user, row)

    @action(
        "delete",
        _l("Delete"),
        _l("Are you sure you want to delete the selected records?"),
    )
    def action_delete(self, ids):
        if len(ids) > MAX_BULK:
            bad_request()
        rows = [self.get_one(i) for i in ids]  # a hidden id: 404, nothing deleted
        if any(not self.may("delete", row) for row in rows):
            abort(403)  # all or nothing
        if self.run_service(None, lambda: self.delete_many(current_user(), rows) or True):
            flash(
                ngettext(
                    "Record was successfully deleted.",
                    "%(num)s records were successfully deleted.",
                    len(rows),
                ),
                "success",
            )

    def handle_action(self, return_view=None):
        form = self.action_form()
        if self.validate_form(form):
            name = form.action.data
            if name not in self._actions_data:
                bad_request()
            if not self.is_action_allowed(name):
                abort(403)
        return super().handle_action(return_view)

    # Upstream answers a refused create/edit/delete with a redirect; we say 403.

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if not self.can_edit:
            abort(403)
        return super().edit_view()

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if not self.can_delete:
            abort(403)
        return super().delete_view()

    # Surfaces upstream leaves unscoped --------------------------------------------

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type not in self.export_types or exports.spec_of(self) is None:
            abort(404)
        if not self.can_export:
            abort(403)
        return exports.export_list(self, export_type)

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        loader = self._form_ajax_refs.get(request.args.get("name") or "")
        if loader is None:
            abort(404)
        query = clean_text(request.args.get("query") or "")
        offset = _int_arg("offset", 10_000) or 0
        limit = _int_arg("limit", MAX_LOOKUP) or 10
        rows = loader.get_list(query, offset, limit)
        return jsonify([loader.format(row) for row in rows])

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        if not self.column_editable_list:
            abort(404)
        record = self.get_one(request.form.get("list_form_pk"))
        if not self.may("edit", record):
            abort(403)
        form = self.list_form()
        for field in list(form):
            if field.name not in request.form and field.name != "csrf_token":
                del form[field.name]
        if not self.validate_form(form):
            messages = [str(e) for f in form for e in f.errors]
            return gettext("Failed to update record. %(error)s", error=", ".join(messages)), 400
        if self.update_model(form, record):
            return gettext("Record was successfully saved.")
        messages = [str(e) for f in form for e in f.errors]
        messages += [str(m) for m in get_flashed_messages()]
        return gettext("Failed to update record. %(error)s", error=", ".join(messages)), 400

    # Datasheet actions ---------------------------------------------------------------

    def details_actions(self, record):
        """What the datasheet offers besides editing: {"claim": bool, …}."""
        user = current_user()
        return {
            "claim": getattr(record, "owner_id", "x") is None and access.can_see(user, record),
        }

    def record_history(self, record):
        return list(activity.history(record, limit=20))

    def record_panels(self, record):
        panels = []
        for result in current_runtime().pm.hook.accord_record_panels(
            record=record, user=current_user()
        ):
            panels.extend(result or ())
        return [(title, Markup(html)) for title, html in panels]

    @expose("/claim/", methods=("POST",))
    def claim_view(self):
        if "owner" not in self.model._meta.fields:
            abort(404)  # only owned records can be claimed
        record = self.get_one(request.args.get("id"))
        user = current_user()
        won = self.run_service(None, lambda: records.claim(user, record))
        if won:
            flash(gettext("It is yours now."), "success")
        else:
            flash(gettext("Someone else took it first."), "warning")
        return redirect(self.get_url(".details_view", id=record.id))

    def local_datetime(self, value):
        return formatters.local_datetime(value)

    def link(self, record, label=None):
        return formatters.link_to(record, label)
