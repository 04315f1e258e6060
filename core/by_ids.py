"""Records by id, with the SQL compiled once per shape.

Lists, boards and datasheets load the records behind a page's foreign keys with
`SELECT … WHERE id IN (…)`. Peewee compiles such a query anew each time, one node per
id, which cost more than running it (about 5% of a list page). The id list is padded
to a power of two with repeats of its first id (IN ignores them), so a handful of
statements per model serve every page.
"""

from accord.core.db import database

_SQL = {}


def select_by_ids(model, ids, fields=()):
    """Iterable of `model` instances (only `fields` loaded, if given) whose id is in ids."""
    ids = list(ids)
    if not ids:
        return []
    size = 1 << (len(ids) - 1).bit_length()
    key = (model, tuple(fields), size, database.param, database.quote)
    sql = _SQL.get(key)
    if sql is None:
        sql, _params = model.select(*fields).where(model.id.in_(list(range(size)))).sql()
        _SQL[key] = sql
    return model.raw(sql, *ids, *[ids[0]] * (size - len(ids)))
