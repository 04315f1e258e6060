"""PostgreSQL: the lists' sort indexes end with the id.

The lists break ties by id (in the sort's direction). SQLite appends the rowid to every
index and InnoDB the primary key, so m0006's indexes already serve that order there.
PostgreSQL does not: where one sort value is shared by many rows (an empty email or phone,
a status, `hot`) it sorted the whole group for one page, e.g. 80,000 contacts without an
email: 380 ms for the first page at 1M contacts. These indexes replace m0006's sort ones.
"""

from peewee import PostgresqlDatabase

from accord.core.migrations.m0006_scale import INDEXES, index_name

# (table, sort columns): m0006's sort and (filter, sort) indexes (not its two dashboard
# covering ones, which lead with pipeline_id), plus the lead and deal sorts that used the
# models' own single-column indexes.
SORTS = [(t, cols) for t, cols in INDEXES if cols[0] != "pipeline_id"] + [
    ("lead", ("name",)),
    ("lead", ("email",)),
    ("lead", ("phone",)),
    ("deal", ("name",)),
]


def sort_index_name(table, columns):
    return f"sort_{table}_{'_'.join(c.removesuffix('_id') for c in columns)}"[:60]


def apply(db):
    if not isinstance(db, PostgresqlDatabase):
        return
    for table, columns in SORTS:
        cols = ", ".join(f'"{c}"' for c in (*columns, "id"))
        name = sort_index_name(table, columns)
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" ({cols})')
        db.execute_sql(f"DROP INDEX IF EXISTS {index_name(table, columns)}")
