"""Records by id, with the SQL compiled once per shape (accord.core.compiled).

Lists, boards and datasheets load the records behind a page's foreign keys with
`SELECT … WHERE id IN (…)`. Peewee compiles such a query anew each time, one node per
id, which cost more than running it (about 5% of a list page).
"""

from peewee import SQL, NodeList

from accord.core.compiled import padded, sql_of
from accord.core.db import database, is_sqlite
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


def id_in(field, ids):
    """`field IN (ids)` as one node: peewee compiles a list of values one node at a time
    (a search's 858 matching ids: 0.8 ms a page). No ids: a false condition."""
    ids = list(ids)
    if not ids:
        return SQL("1 = 0")
    return field.in_(SQL(f"({', '.join([database.param] * len(ids))})", ids))


class ById(NodeList):
    """A model as the FROM of a query that reads its rows by id (SQLite: NOT INDEXED)."""

    def __init__(self, model):
        super().__init__((model, SQL("NOT INDEXED")))
        self.source_model = model  # rows.model_rows builds its rows as the model's


def read_by_id(query):
    """`query` with its rows looked up by their ids, on SQLite. For a query of one table
    (no join) whose WHERE holds `id IN (…)` among its ANDed terms (without one SQLite
    would read the whole table): NOT INDEXED keeps the planner from reaching the rows
    through another index and testing each against the ids. For a contact list searched
    for "Kamau" by a restricted user it took the is_organization index, then the row,
    for each of 8,145 matches: 8.3 ms, 5.5 ms by id; the page of the 858 visible ones,
    4.9 ms against 0.9 ms."""
    if not is_sqlite() or query._joins or len(query._from_list) != 1:
        return query
    if query._from_list[0] is not query.model:
        return query
    query = query.clone()
    query._from_list = [ById(query.model)]
    return query
