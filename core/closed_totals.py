"""Closed deals per (pipeline, day, stage, currency, owner), kept by the database.

The dashboard shows the deals closed in the last 30 days; at a million deals that is a
sum over tens of thousands of rows per request (DESIGN §9). This table holds, per day of
`closed_at` (UTC), the count and value of the deals closed that day, maintained by
triggers (SQLite, PostgreSQL) on every insert, update and delete of `deal` — services,
the importer and bulk SQL alike — so "since a moment 30 days ago" reads about 30 days of
rows plus the deals of the first, partial day from the (pipeline, closed_at) index.
Rows carry the owner (NULL: unowned) and are read with the deals' access scope; trashed
deals count for nothing, as access.visible leaves them out. The stage's category (won,
lost, unqualified) is read at query time, so renaming or recategorising a stage needs no
rewrite. Other databases (MariaDB) sum the deals live (accord.core.reports).
"""

import datetime as dt
from decimal import Decimal

from peewee import (
    CharField,
    DecimalField,
    IntegerField,
    PostgresqlDatabase,
    SqliteDatabase,
    fn,
)

from accord.core import deal_totals
from accord.core.db import database
from accord.core.models.base import BaseModel

TABLE = "deal_closed_days"


class ClosedDay(BaseModel):
    pipeline = IntegerField(column_name="pipeline_id")
    day = CharField(max_length=10)  # closed_at's day (UTC), YYYY-MM-DD
    stage = IntegerField(column_name="stage_id")
    currency = CharField(max_length=3)
    owner = IntegerField(column_name="owner_id", null=True)  # NULL: unowned deals
    owner_key = IntegerField(default=0)  # owner_id or 0: the unique key (NULLs are distinct)
    n = IntegerField(default=0)
    total = DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        table_name = TABLE
        indexes = ((("pipeline", "day", "stage", "currency", "owner_key"), True),)


def available(db=None):
    db = db or database.obj
    return isinstance(db, (SqliteDatabase, PostgresqlDatabase))


def _day(row, postgres):
    if postgres:
        return f"to_char({row}.closed_at, 'YYYY-MM-DD')"
    return f"substr({row}.closed_at, 1, 10)"


def _change(row, sign, postgres):
    """An upsert adding (sign 1) or removing (-1) deal `row` from its day's sums; open
    (closed_at NULL) and trashed deals count for nothing."""
    return (
        f"INSERT INTO {TABLE} (pipeline_id, day, stage_id, currency, owner_id, owner_key, "
        f"n, total) SELECT {row}.pipeline_id, {_day(row, postgres)}, {row}.stage_id, "
        f"{row}.currency, {row}.owner_id, COALESCE({row}.owner_id, 0), {sign}, "
        f"{sign} * {row}.value "
        f"WHERE {row}.closed_at IS NOT NULL AND {row}.deleted_at IS NULL "
        f"ON CONFLICT (pipeline_id, day, stage_id, currency, owner_key) DO UPDATE SET "
        f"n = {TABLE}.n + excluded.n, total = {TABLE}.total + excluded.total; "
    )


_WATCHED = "pipeline_id, stage_id, closed_at, currency, owner_id, value, deleted_at"


def _sqlite_triggers():
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ai AFTER INSERT ON deal "
        f"WHEN new.closed_at IS NOT NULL BEGIN {_change('new', 1, False)} END"
    )
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_au AFTER UPDATE OF {_WATCHED} ON deal "
        "WHEN old.closed_at IS NOT NULL OR new.closed_at IS NOT NULL BEGIN "
        f"{_change('old', -1, False)}{_change('new', 1, False)} END"
    )
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_ad AFTER DELETE ON deal "
        f"WHEN old.closed_at IS NOT NULL BEGIN {_change('old', -1, False)} END"
    )


_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TABLE}_trigger() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.closed_at IS NOT NULL THEN
    {_change("OLD", -1, True)}
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.closed_at IS NOT NULL THEN
    {_change("NEW", 1, True)}
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def install(db=None):
    """Create the table and its triggers, and fill it from the deals (idempotent)."""
    db = db or database.obj
    if not available(db):
        return
    fresh = TABLE not in db.get_tables()
    db.create_tables([ClosedDay], safe=True)
    # Covering what the dashboard sums: a month of rows is read from the index alone,
    # everyone's (admin) or one owner's (everyone else's own figures).
    db.execute_sql(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_read ON {TABLE} (pipeline_id, day, stage_id, "
        "currency, owner_id, n, total)"
    )
    db.execute_sql(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_owner ON {TABLE} (pipeline_id, owner_id, day, "
        "stage_id, currency, n, total)"
    )
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql(_PG_FUNCTION)
        deal_totals.install_pg_triggers(db, TABLE, _WATCHED)
    else:
        for sql in _sqlite_triggers():
            db.execute_sql(sql)
    if fresh:
        refill(db)


def refill(db=None):
    """Recompute the whole table from the deals (install, repairs)."""
    db = db or database.obj
    day = _day("deal", isinstance(db, PostgresqlDatabase))
    db.execute_sql(f"DELETE FROM {TABLE}")
    db.execute_sql(
        f"INSERT INTO {TABLE} (pipeline_id, day, stage_id, currency, owner_id, owner_key, "
        f"n, total) SELECT pipeline_id, {day}, stage_id, currency, owner_id, "
        "COALESCE(owner_id, 0), count(*), sum(value) FROM deal "
        "WHERE closed_at IS NOT NULL AND deleted_at IS NULL "
        f"GROUP BY pipeline_id, {day}, stage_id, currency, owner_id"
    )


def sums(user, pipeline_id, stage_ids, since, owner_ids=None):
    """{(stage id, currency): (count, total)} over the deals `user` may see in this
    pipeline and these stages, closed at or after `since` (and of these owners, if given):
    whole days from the table, the rest of `since`'s own day from the deals."""
    from accord.core import access
    from accord.core.models import Deal

    if not stage_ids:
        return {}
    stage_ids = sorted(stage_ids)
    next_day = dt.datetime.combine(since.date() + dt.timedelta(days=1), dt.time())
    t = ClosedDay
    whole = (
        t.select(t.stage, t.currency, fn.SUM(t.n), fn.SUM(t.total))
        .where(
            (t.pipeline == pipeline_id) & (t.day >= next_day.date().isoformat())
            & t.stage.in_(stage_ids)
        )
    )  # fmt: skip
    first = Deal.select(Deal.stage, Deal.currency, fn.COUNT(Deal.id), fn.SUM(Deal.value)).where(
        (Deal.pipeline == pipeline_id)
        & (Deal.closed_at >= since)
        & (Deal.closed_at < next_day)
        & Deal.stage.in_(stage_ids)
    )
    if owner_ids is not None:
        whole = whole.where(t.owner.in_(sorted(owner_ids) or [0]))
        first = first.where(Deal.owner.in_(sorted(owner_ids) or [0]))
    found = {}
    for query, model in ((whole, t), (first, Deal)):
        query = access.visible(query, user, model).group_by(model.stage, model.currency)
        for stage_id, currency, n, total in query.tuples():
            # SQLite sums decimals as floats: back through text to Decimal.
            n_before, total_before = found.get((stage_id, currency), (0, Decimal(0)))
            total = Decimal(str(total or 0))
            found[(stage_id, currency)] = (n_before + int(n or 0), total_before + total)
    return {key: value for key, value in found.items() if value[0]}
