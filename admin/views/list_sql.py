"""A list page's SQL, compiled once per user, URL and reference data.

Peewee compiles the page's query and its count anew on every request: a fifth of a
list page once the page around the rows is held (list_skeleton). Without a search the
statement and its parameters follow from the user (their scope), the URL (sort, page,
filters) and the reference data (custom fields, statuses): they are then held
(accord.admin.views.reference.held) and run as they are. A filter whose SQL depends on
anything else — the clock, the data — says so with `fixed_sql = False` (the task list's
"due" tabs).
"""

from flask import request
from peewee import SQL, Select, fn

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


def count(view, query, held_sql):
    """SELECT COUNT(1) over `query` (a limited one: at most its limit)."""
    wrapped = Select([query.alias("_wrapped")], [fn.COUNT(SQL("1"))])
    sql, params = _sql(view, "count", wrapped, held_sql, (query._limit, query._offset))
    return database.execute_sql(sql, params).fetchone()[0]


def cursor(view, query, held_sql):
    """The page query's cursor."""
    sql, params = _sql(view, "page", query, held_sql, (query._limit, query._offset))
    return database.execute_sql(sql, params)


def _sql(view, which, query, held_sql, shape):
    if not held_sql:
        return compile_query(query)
    user = current_user()
    key = ("list sql", view.endpoint, which, user.id, request.full_path, shape)
    return held(key, lambda: compile_query(query))


def compile_query(query):
    sql, params = database.get_sql_context().sql(query).query()
    return sql, tuple(params)
