"""Reference data: the small tables every page reads and that rarely change.

Users, teams, statuses, action types, sources, tags, pipelines, stages, reasons and
custom field definitions feed each list's filter options and labels: a query per table
per request (a fifth of a list page's queries). A counter row, bumped by a trigger on
every write to any of them, whoever writes (the service layer, the importer's raw SQL,
another process), tells a process whether what it holds is still current: one read
of one row per request instead.

SQLite and PostgreSQL only; elsewhere `version()` is None and nothing is held.
"""

from peewee import PostgresqlDatabase, SqliteDatabase

from accord.core.db import database

TABLE = "reference_version"
TABLES = (
    "user",
    "team",
    "status",
    "action_type",
    "source",
    "tag",
    "pipeline",
    "stage",
    "loss_reason",
    "unqualified_reason",
    "custom_field",
)


def available(db=None):
    db = db or database.obj
    return isinstance(db, (SqliteDatabase, PostgresqlDatabase))


def install(db=None):
    """The counter row and a trigger per table and operation (idempotent)."""
    db = db or database.obj
    if not available(db):
        return
    db.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)"
    )
    if db.execute_sql(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0] == 0:
        db.execute_sql(f"INSERT INTO {TABLE} (id, n) VALUES (1, 0)")
    bump = f"UPDATE {TABLE} SET n = n + 1 WHERE id = 1"
    postgres = isinstance(db, PostgresqlDatabase)
    if postgres:
        db.execute_sql(
            f"CREATE OR REPLACE FUNCTION {TABLE}_bump() RETURNS trigger AS $$ "
            f"BEGIN {bump}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    tables = set(db.get_tables())
    for table in TABLES:
        if table not in tables:
            continue
        if postgres:
            # Once per statement: a bulk write bumps the counter once.
            db.execute_sql(f'DROP TRIGGER IF EXISTS {TABLE}_bump ON "{table}"')
            db.execute_sql(
                f"CREATE TRIGGER {TABLE}_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_bump()'
            )
            continue
        for op in ("INSERT", "UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TRIGGER IF NOT EXISTS {TABLE}_{table}_{op.lower()} AFTER {op} "
                f'ON "{table}" BEGIN {bump}; END'
            )


def version():
    """The counter now, or None where there is none (then nothing may be held)."""
    if not available():
        return None
    row = database.execute_sql(f"SELECT n FROM {TABLE} WHERE id = 1").fetchone()
    return None if row is None else row[0]


class Held:
    """Values computed from reference data, kept while the counter stays the same.

    Hold only immutable values (tuples of ids and labels): they are shared by every
    request of the process."""

    LIMIT = 512  # keys; past it everything is dropped (a bound, never reached in use)

    def __init__(self):
        self._values = {}

    def get(self, key, current, load):
        if current is None:
            return load()
        held = self._values.get(key)
        if held is not None and held[0] == current:
            return held[1]
        # Read after the counter: at worst newer than `current`, never older.
        value = load()
        if len(self._values) >= self.LIMIT:
            self._values.clear()
        self._values[key] = (current, value)
        return value
