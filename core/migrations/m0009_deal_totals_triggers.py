"""PostgreSQL: the deal summary triggers fire on an update only when a summed column
changes (m0006's fired on every update)."""

from peewee import PostgresqlDatabase

from accord.core import deal_totals


def apply(db):
    if isinstance(db, PostgresqlDatabase):
        deal_totals.install_pg_triggers(db)
