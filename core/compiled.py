"""SQL compiled once per query shape.

Peewee compiles a query anew each time it runs, one node at a time. For the small
queries every page runs (the signed-in user, the unread count, a page's tags) that cost
more than running them: together about a sixth of a list page. `sql_of` compiles a
shape once, with sample parameters, and checks that the parameters come out exactly as
given, in order: the caller then runs the same SQL with its own values.
"""

from accord.core.db import database

_SQL = {}


class ShapeError(AssertionError):
    """A query's parameters did not come out as the samples given (a changed query)."""


def sql_of(key, build, *samples):
    """SQL of build(*samples), compiled once per key and database dialect."""
    full = (key, len(samples), database.param, database.quote)
    sql = _SQL.get(full)
    if sql is None:
        sql, params = database.get_sql_context().sql(build(*samples)).query()
        if list(params) != list(samples):
            raise ShapeError(f"{key}: parameters {params!r}, expected {list(samples)!r}")
        _SQL[full] = sql
    return sql


def padded(ids):
    """ids padded to a power of two with repeats of the first (IN ignores them), so a
    handful of shapes serve every list of ids."""
    ids = list(ids)
    size = 1 << (len(ids) - 1).bit_length()
    return ids + [ids[0]] * (size - len(ids))
