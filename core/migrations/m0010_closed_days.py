"""The dashboard at a million deals (issue 8): closed deals per day, kept by triggers,
for the last-30-days figures (accord.core.closed_totals), filled from the deals already
closed; and an index for the feed's "unowned records this user acted on" part, read
newest first per actor (accord.core.reports.feed); and one for the appointments under
way of an owner (accord.core.reports.my_appointments)."""

from peewee import MySQLDatabase

from accord.core import closed_totals
from accord.core.migrations.m0006_scale import index_name

OLD_CLOSED = ("pipeline_id", "closed_at", "stage_id", "deleted_at", "currency", "value")
CLOSED = ("pipeline_id", "closed_at", "owner_id", "stage_id", "deleted_at", "currency", "value")


def apply(db):
    closed_totals.install(db)
    q = "`" if isinstance(db, MySQLDatabase) else '"'
    cols = ", ".join(f"{q}{c}{q}" for c in CLOSED)
    db.execute_sql(f"CREATE INDEX IF NOT EXISTS deal_closed_owner ON {q}deal{q} ({cols})")
    old = index_name("deal", OLD_CLOSED)
    if isinstance(db, MySQLDatabase):
        db.execute_sql(f"DROP INDEX IF EXISTS {old} ON `deal`")
    else:
        db.execute_sql(f"DROP INDEX IF EXISTS {old}")
    # The dashboard's "my appointments": the owned ones under way, from the index alone.
    db.execute_sql(
        f"CREATE INDEX IF NOT EXISTS {q}appointment_owner_ends{q} "
        f"ON {q}appointment{q} ({q}owner_id{q}, {q}ends_at{q}, {q}starts_at{q})"
    )
    db.execute_sql(
        f"CREATE INDEX IF NOT EXISTS {q}activity_owner_actor_created{q} "
        f"ON {q}activity{q} ({q}owner_id{q}, {q}actor_id{q}, {q}created_at{q})"
    )
