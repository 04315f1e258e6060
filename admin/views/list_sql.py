"""A list page's SQL, compiled once per user, URL and reference data.

Peewee compiles the page's query and its count anew on every request: a fifth of a
list page once the page around the rows is held (list_skeleton). Without a search the
statement and its parameters follow from the user (their scope), the URL (sort, page,
filters) and the reference data (custom fields, statuses): they are then held
(accord.admin.views.reference.held) and run as they are. A filter whose SQL depends on
anything else — the clock, the data — says so with `fixed_sql = False` (the task list's
"due" tabs).

On PostgreSQL a held statement is also prepared, once per connection: the server then
neither parses nor plans it again (measured in process at 1M records: 0.2 ms less per
contacts page, 0.7 ms per deals page).
"""

import hashlib
import logging
import re
import time
import weakref

from flask import request
from peewee import SQL, PostgresqlDatabase, Select, fn

from accord.admin.views.gate import current_user
from accord.admin.views.reference import held
from accord.core.db import database


def fixed(view, search, filters):
    """Whether the list's SQL follows from the user, the URL and the reference data."""
    if search:
        return False  # a rare word's matches are ids from the index
    for index, _name, _value in filters or ():
        if getattr(view._filters[index], "fixed_sql", True) is False:
            return False
    return True


# A count that reached its limit ("1,000+") is remembered this long for the same
# statement and parameters (the same user scope, filters and search): paging through a
# long list, or coming back to it, does not count its first thousand rows again (a
# restricted user's contacts: 4 ms of a 10 ms page). A list that fell below the limit
# meanwhile shows "1,000+" until then; "Count exactly" always counts. The deal list's
# capped per-stage counts ("120+") are remembered the same way, with what they gave.
CAPPED_SECONDS = 15
# (sql, params) -> (time.monotonic() when the count reached its limit, what it gave)
_CAPPED = {}
_CAPPED_LIMIT = 4096  # statements; past it all are forgotten


def count(view, query, held_sql):
    """SELECT COUNT(1) over `query` (a limited one: at most its limit)."""
    if not query._distinct and not query._group_by:
        # Only the rows' number matters: SQLite need not read the columns (0.7 ms less of
        # 1.1 ms for a contacts page at 1M records), nor PostgreSQL send them.
        query = query.select(SQL("1"))
    wrapped = Select([query.alias("_wrapped")], [fn.COUNT(SQL("1"))])
    sql, params = _sql(view, "count", wrapped, held_sql, (query._limit, query._offset))
    limit = query._limit
    if limit and capped_lately(sql, params):
        return limit
    number = run(sql, params, prepare=held_sql).fetchone()[0]
    note_count(sql, params, capped=bool(limit) and number >= limit)
    return number


def capped_lately(sql, params):
    """Whether this count statement reached its limit within CAPPED_SECONDS."""
    return capped_result(sql, params) is not None


def capped_result(sql, params):
    """What this count statement gave when it reached its limit within CAPPED_SECONDS
    (note_count's `result`, True if none), or None."""
    key = _key(sql, params)
    held = None if key is None else _CAPPED.get(key)
    if held is None or time.monotonic() - held[0] >= CAPPED_SECONDS:
        return None
    return held[1]


def note_count(sql, params, capped, result=True):
    key = _key(sql, params)
    if key is None:
        return
    if not capped:
        _CAPPED.pop(key, None)
        return
    if len(_CAPPED) >= _CAPPED_LIMIT:
        _CAPPED.clear()
    _CAPPED[key] = (time.monotonic(), result)


def _key(sql, params):
    """(sql, params), or None when a parameter cannot key a dict (a plugin's list, say)."""
    key = (sql, params)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def cursor(view, query, held_sql):
    """The page query's cursor."""
    sql, params = _sql(view, "page", query, held_sql, (query._limit, query._offset))
    return run(sql, params, prepare=held_sql)


def _sql(view, which, query, held_sql, shape):
    if not held_sql:
        return compile_query(query)
    user = current_user()
    key = ("list sql", view.endpoint, which, user.id, request.full_path, shape)
    return held(key, lambda: compile_query(query))


def compile_query(query):
    sql, params = database.get_sql_context().sql(query).query()
    return sql, tuple(params)


log = logging.getLogger(__name__)
# connection -> names of the statements prepared on it (a pooled connection lives on)
_PREPARED = weakref.WeakKeyDictionary()
_UNPREPARABLE = set()  # SQL PostgreSQL would not prepare: run as it is


def run(sql, params, prepare=True):
    """Execute `sql`; on PostgreSQL as a statement prepared once per connection."""
    db = database.obj
    if not prepare or not isinstance(db, PostgresqlDatabase) or sql in _UNPREPARABLE:
        return database.execute_sql(sql, params)
    connection = db.connection()
    name = "accord_" + hashlib.sha1(sql.encode()).hexdigest()[:24]
    prepared = _PREPARED.setdefault(connection, set())
    if name not in prepared:
        if not _prepare(name, sql):
            return database.execute_sql(sql, params)
        prepared.add(name)
    if not params:
        return database.execute_sql(f"EXECUTE {name}")
    return database.execute_sql(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


def _prepare(name, sql):
    """PREPARE `sql` (%s placeholders become $1, $2 …); False when it cannot be."""
    if "%" in sql.replace("%s", ""):
        _UNPREPARABLE.add(sql)  # a literal % would need psycopg's escaping: not ours
        return False
    numbers = iter(range(1, sql.count("%s") + 1))
    text = re.sub(r"%s", lambda _m: f"${next(numbers)}", sql)
    try:
        with database.atomic():  # a savepoint: a refusal leaves the request's work intact
            database.execute_sql(f"PREPARE {name} AS {text}")
    except Exception:  # e.g. a parameter whose type PostgreSQL cannot infer
        log.warning("list SQL not prepared, run as it is: %s", sql[:200], exc_info=True)
        _UNPREPARABLE.add(sql)
        return False
    return True
