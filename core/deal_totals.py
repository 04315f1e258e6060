"""Deal totals per (stage, currency, owner), kept by the database on every write.

The dashboard's pipeline summary and the board's column figures are GROUP BYs over every
open deal; at a million deals that is a scan per request (DESIGN §9). This table holds
the same sums, maintained by triggers (SQLite, PostgreSQL) on insert, update and delete of
`deal` — so services, the importer and bulk SQL all keep it right — and is read with the
same access scope as the deals (owner_id, NULL for unowned). Trashed deals are left out,
as access.visible leaves them out. Other databases (MariaDB) aggregate the deals live.

The weighted forecast needs the stage's likelihood for deals without their own
probability, and a likelihood can change: so the table keeps two sums — value ×
probability of the deals that have one, and the value of those that do not — and the
reader multiplies the second by the stage's current likelihood.
"""

from peewee import (
    CharField,
    DecimalField,
    IntegerField,
    PostgresqlDatabase,
    SqliteDatabase,
)

from accord.core.db import database
from accord.core.models.base import BaseModel

TABLE = "deal_totals"


class DealTotal(BaseModel):
    stage = IntegerField(column_name="stage_id")
    currency = CharField(max_length=3)
    owner = IntegerField(column_name="owner_id", null=True)  # NULL: unowned deals
    owner_key = IntegerField(default=0)  # owner_id or 0: the unique key (NULLs are distinct)
    n = IntegerField(default=0)
    total = DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted_set = DecimalField(max_digits=24, decimal_places=2, default=0)  # Σ value×prob
    value_unset = DecimalField(max_digits=20, decimal_places=2, default=0)  # Σ value, no prob

    class Meta:
        table_name = TABLE
        indexes = ((("stage", "currency", "owner_key"), True),)


def available(db=None):
    db = db or database.obj
    return isinstance(db, (SqliteDatabase, PostgresqlDatabase))


def _change(row, sign):
    """An upsert adding (sign 1) or removing (-1) deal `row` ("new"/"old", or a PL/pgSQL
    record) from the sums; trashed deals count for nothing. Same SQL on both engines."""
    return (
        f"INSERT INTO {TABLE} (stage_id, currency, owner_id, owner_key, n, total, "
        f"weighted_set, value_unset) SELECT {row}.stage_id, {row}.currency, {row}.owner_id, "
        f"COALESCE({row}.owner_id, 0), {sign}, {sign} * {row}.value, "
        f"{sign} * COALESCE({row}.value * {row}.probability, 0), "
        f"{sign} * CASE WHEN {row}.probability IS NULL THEN {row}.value ELSE 0 END "
        f"WHERE {row}.deleted_at IS NULL "
        f"ON CONFLICT (stage_id, currency, owner_key) DO UPDATE SET n = {TABLE}.n + excluded.n, "
        f"total = {TABLE}.total + excluded.total, "
        f"weighted_set = {TABLE}.weighted_set + excluded.weighted_set, "
        f"value_unset = {TABLE}.value_unset + excluded.value_unset; "
    )


_WATCHED = "stage_id, currency, owner_id, value, probability, deleted_at"


def _sqlite_triggers():
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON deal BEGIN "
        f"{_change('new', 1)} END"
    )
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF {_WATCHED} ON deal BEGIN "
        f"{_change('old', -1)}{_change('new', 1)} END"
    )
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON deal BEGIN "
        f"{_change('old', -1)} END"
    )


_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TABLE}_trigger() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_change("OLD", -1)} END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_change("NEW", 1)} END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def install(db=None):
    """Create the table and its triggers, and fill it from the deals (idempotent)."""
    db = db or database.obj
    if not available(db):
        return
    fresh = TABLE not in db.get_tables()
    db.create_tables([DealTotal], safe=True)
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(_PG_FUNCTION)
        install_pg_triggers(db)
    else:
        for sql in _sqlite_triggers():
            db.execute_sql(sql)
    if fresh:
        refill(db)


def install_pg_triggers(db, table=TABLE, watched=_WATCHED):
    """The PostgreSQL triggers of a deal summary `table` (its function `<table>_trigger`):
    inserts and deletes always; updates only when a summed column (`watched`) changes, so
    an edit of a name or a custom value (or a bulk UPDATE of a million deals) leaves the
    hot summary rows alone."""
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched.split(", "))
    for old in ("sync", "insert_delete", "update"):
        db.execute_sql(f"DROP TRIGGER IF EXISTS {table}_{old} ON deal")
    db.execute_sql(
        f"CREATE TRIGGER {table}_insert_delete AFTER INSERT OR DELETE ON deal "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_trigger()"
    )
    db.execute_sql(
        f"CREATE TRIGGER {table}_update AFTER UPDATE OF {watched} ON deal "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {table}_trigger()"
    )


def refill(db=None):
    """Recompute the whole table from the deals (install, repairs)."""
    db = db or database.obj
    db.execute_sql(f"DELETE FROM {TABLE}")
    db.execute_sql(
        f"INSERT INTO {TABLE} (stage_id, currency, owner_id, owner_key, n, total, "
        "weighted_set, value_unset) SELECT stage_id, currency, owner_id, "
        "COALESCE(owner_id, 0), count(*), sum(value), "
        "sum(COALESCE(value * probability, 0)), "
        "sum(CASE WHEN probability IS NULL THEN value ELSE 0 END) "
        "FROM deal WHERE deleted_at IS NULL GROUP BY stage_id, currency, owner_id"
    )


def compact(db=None):
    """Rewrite the table without the dead row versions a bulk load leaves (PostgreSQL).

    The triggers rewrite a row per written deal: a million deals loaded leave a couple
    of thousand rows spread over 50 MB, and every per-stage count read all of it (3 ms,
    not 0.1). VACUUM reclaims the space but does not move the rows; VACUUM FULL does,
    holding the table a moment. For bulk writers (demo data, imports) once they are
    done, outside a transaction; a no-op elsewhere."""
    db = db or database.obj
    if not isinstance(db, PostgresqlDatabase) or db.in_transaction():
        return False
    db.execute_sql(f"VACUUM (FULL, ANALYZE) {TABLE}")
    return True


def sums(user, stage_ids, owner_ids=None):
    """{(stage id, currency): (count, total, Σ value×probability, Σ value without one)}
    over the deals `user` may see in these stages (and of these owners, if given)."""
    from peewee import fn

    if not stage_ids:
        return {}
    t = DealTotal
    query = _visible(
        user, stage_ids, owner_ids, (t.stage, t.currency),
        fn.SUM(t.n), fn.SUM(t.total), fn.SUM(t.weighted_set), fn.SUM(t.value_unset),
    )  # fmt: skip
    return {(row[0], row[1]): tuple(row[2:]) for row in query.tuples()}


def counts(user, stage_ids, owner_ids=None):
    """{stage id: count} over the deals `user` may see in these stages (and of these
    owners, if given): sums() without the money, a row per stage."""
    from peewee import fn

    if not stage_ids:
        return {}
    # Compiled once per user, role and stages: the deal list asks on every page, and
    # peewee's compiling cost more than SQLite's reading of the totals.
    key = (
        user.id if user is not None else None,
        getattr(user, "role", None),
        bool(getattr(user, "active", False)),
        tuple(sorted(stage_ids)),
        None if owner_ids is None else tuple(sorted(owner_ids)),
        database.param,
        database.quote,
    )
    statement = _COUNTS_SQL.get(key)
    if statement is None:
        query = _visible(user, stage_ids, owner_ids, (DealTotal.stage,), fn.SUM(DealTotal.n))
        if len(_COUNTS_SQL) >= _COUNTS_SQL_LIMIT:
            _COUNTS_SQL.clear()
        statement = _COUNTS_SQL[key] = database.get_sql_context().sql(query).query()
    sql, params = statement
    return {stage_id: int(n) for stage_id, n in database.execute_sql(sql, params)}


_COUNTS_SQL = {}  # counts()' key -> (sql, params)
_COUNTS_SQL_LIMIT = 512


def _visible(user, stage_ids, owner_ids, keys, *sums):
    """SELECT keys, sums FROM the totals `user` may see, grouped by keys (nonzero only)."""
    from peewee import fn

    from accord.core import access

    t = DealTotal
    query = t.select(*keys, *sums).where(t.stage.in_(sorted(stage_ids)))
    if owner_ids is not None:
        query = query.where(t.owner.in_(sorted(owner_ids) or [0]))
    return access.visible(query, user, t).group_by(*keys).having(fn.SUM(t.n) > 0)
