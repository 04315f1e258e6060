"""Versioned schema migrations for the core and each plugin (DESIGN.md §8).

Each component (``core`` or a plugin's name) has an ordered list of migrations. A row in
``accord_schema`` records each one: ``running`` while it applies, ``done`` after. A server
refuses to start while any row is ``running`` (a half-applied migration) or while the code
knows migrations the database has not had.
"""

from collections.abc import Callable
from dataclasses import dataclass

from peewee import CharField, DateTimeField, IntegerField, MySQLDatabase

from accord.core.db import database, write
from accord.core.models.base import BaseModel, utcnow


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    apply: Callable  # apply(db) -> None


class SchemaVersion(BaseModel):
    component = CharField()
    version = IntegerField()
    name = CharField()
    state = CharField(default="running")
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "accord_schema"
        indexes = ((("component", "version"), True),)


class SchemaError(RuntimeError):
    """The database schema is not the one this code needs."""


def _check_order(migrations):
    seen = {}
    for m in migrations:
        seen.setdefault(m.component, []).append(m.version)
    for component, versions in seen.items():
        if versions != list(range(1, len(versions) + 1)):
            raise SchemaError(f"migrations of {component!r} must be numbered 1..n, got {versions}")


def status(migrations):
    """(applied, pending, running) lists of (component, version, name)."""
    database.create_tables([SchemaVersion], safe=True)
    rows = {(r.component, r.version): r for r in SchemaVersion.select()}
    applied, pending, running = [], [], []
    for m in migrations:
        row = rows.get((m.component, m.version))
        key = (m.component, m.version, m.name)
        if row is None:
            pending.append(key)
        elif row.state == "running":
            running.append(key)
        else:
            applied.append(key)
    return applied, pending, running


def migrate(migrations, log=print):
    """Apply every pending migration in order; returns how many were applied."""
    _check_order(migrations)
    _, pending, running = status(migrations)
    transactional_ddl = not isinstance(database.obj, MySQLDatabase)
    for component, version, name in running:
        if not transactional_ddl:
            raise SchemaError(
                f"migration {component} {version} ({name}) was interrupted on a database "
                "without transactional DDL; restore a backup or repair it by hand"
            )
        # Its DDL rolled back with its transaction: safe to run it again.
        SchemaVersion.delete().where(
            (SchemaVersion.component == component) & (SchemaVersion.version == version)
        ).execute()
        pending.append((component, version, name))
    todo = {(c, v) for c, v, _ in pending}
    count = 0
    for m in migrations:
        if (m.component, m.version) not in todo:
            continue
        row = SchemaVersion.create(component=m.component, version=m.version, name=m.name)
        with write():
            m.apply(database.obj)
            row.state = "done"
            row.applied_at = utcnow()
            row.save()
        log(f"applied {m.component} {m.version:04d} {m.name}")
        count += 1
    return count


def check(migrations):
    """Raise SchemaError unless every known migration is fully applied."""
    _, pending, running = status(migrations)
    if running:
        names = ", ".join(f"{c} {v} ({n})" for c, v, n in running)
        raise SchemaError(f"half-applied migration(s): {names}; run `accord migrate`")
    if pending:
        names = ", ".join(f"{c} {v} ({n})" for c, v, n in pending)
        raise SchemaError(f"database needs migrations: {names}; run `accord migrate`")


def add_columns(db, model, *fields):
    """Add `fields` of `model` to its table, skipping those it already has.

    The initial migration creates tables from the current models, so on a new database a
    later column already exists; on an older one it does not.
    """
    from playhouse.migrate import SchemaMigrator
    from playhouse.migrate import migrate as run

    table = model._meta.table_name
    have = {c.name for c in db.get_columns(table)}
    migrator = SchemaMigrator.from_database(db)
    ops = [
        migrator.add_column(table, f.column_name, f) for f in fields if f.column_name not in have
    ]
    for f in fields:
        if f.column_name not in have and f.index:
            ops.append(migrator.add_index(table, (f.column_name,), False))
    run(*ops)
