"""Indexes, search index and summaries for a million records (issue 8).

Every sortable column of the record lists gets an index (SQLite appends the rowid to each
index and the lists break ties by id in the sort's direction, so one index serves both
directions), the (filter, sort) pairs the lists offer get composite ones, and the search
index is created and filled (accord.core.search_index). IF NOT EXISTS throughout: a new
database (whose tables migration 1 already made from the current models) and an old one
both end up the same.
"""

from peewee import MySQLDatabase, SqliteDatabase

from accord.core import deal_totals, search_index

# (table, columns): the lists' sorts, filters and (filter, sort) pairs and the dashboard's
# aggregates (foreign keys have their own index already).
INDEXES = [
    # Contacts and companies share a table: every list filters is_organization first.
    ("contact", ("is_organization", "updated_at")),
    ("contact", ("is_organization", "name")),
    ("contact", ("is_organization", "email")),
    ("contact", ("is_organization", "phone")),
    ("contact", ("is_organization", "customer_status")),
    ("contact", ("updated_at",)),
    ("contact", ("status_id", "updated_at")),
    ("contact", ("owner_id", "name")),
    ("lead", ("updated_at",)),
    ("lead", ("organization_name",)),
    ("lead", ("status_id", "updated_at")),
    ("lead", ("owner_id", "name")),
    ("deal", ("updated_at",)),
    ("deal", ("value",)),
    ("deal", ("hot",)),
    ("deal", ("estimated_close_date",)),
    ("deal", ("owner_id", "name")),
    # Deals closed lately, per pipeline (the dashboard), covering what it sums.
    ("deal", ("pipeline_id", "closed_at", "stage_id", "deleted_at", "currency", "value")),
    # The dashboard and the board: shaped like their GROUP BY, covering what they sum.
    ("deal", ("pipeline_id", "stage_id", "deleted_at", "currency", "owner_id", "value")),
]


def index_name(table, columns):
    return f"scale_{table}_{'_'.join(c.removesuffix('_id') for c in columns)}"[:60]


def create_indexes(db):
    mysql = isinstance(db, MySQLDatabase)
    for table, columns in INDEXES:
        cols = ", ".join(f'"{c}"' if not mysql else f"`{c}`" for c in columns)
        name = index_name(table, columns)
        quoted = f'"{table}"' if not mysql else f"`{table}`"
        db.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {quoted} ({cols})")


TRASHABLE = ("lead", "contact", "deal")


def trash_indexes(db):
    """SQLite: the plain deleted_at index (migration 1) makes the planner read every live
    row through it for `deleted_at IS NULL`, which every list asks (without statistics it
    takes IS NULL for a rare value); a partial index of trashed rows serves the trash."""
    if not isinstance(db, SqliteDatabase):
        return
    for table in TRASHABLE:
        db.execute_sql(f'DROP INDEX IF EXISTS "{table}_deleted_at"')
        db.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "scale_{table}_trash" ON "{table}" ("deleted_at") '
            'WHERE "deleted_at" IS NOT NULL'
        )


def apply(db):
    create_indexes(db)
    trash_indexes(db)
    search_index.install(db)
    deal_totals.install(db)
