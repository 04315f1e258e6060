"""Records by id, with the SQL compiled once per shape (accord.core.compiled).

Lists, boards and datasheets load the records behind a page's foreign keys with
`SELECT … WHERE id IN (…)`. Peewee compiles such a query anew each time, one node per
id, which cost more than running it (about 5% of a list page).
"""

from accord.core.compiled import padded, sql_of
from accord.core.rows import fields_rows


def select_by_ids(model, ids, fields=()):
    """List of `model` instances (only `fields` loaded, if given) whose id is in ids."""
    if not ids:
        return []
    ids = padded(ids)
    sql = sql_of(
        ("by_ids", model, tuple(fields)),
        lambda *sample: model.select(*fields).where(model.id.in_(list(sample))),
        *range(-len(ids), 0),
    )
    return fields_rows(model, fields, sql, ids)
