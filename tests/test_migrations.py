"""Versioned migrations for the core and plugins; a half-migrated schema is refused."""

import pytest
from peewee import CharField

from accord.core import migrate
from accord.core.db import database
from accord.core.migrate import Migration, SchemaError, SchemaVersion
from accord.core.migrations import CORE_MIGRATIONS
from accord.core.models import BaseModel
from tests.plugin_example.support import example_runtime, install_example

QUIET = {"log": lambda *_: None}


class Scratch(BaseModel):
    """A table only these tests create (and drop)."""

    label = CharField(default="")

    class Meta:
        table_name = "scratch_item"


@pytest.fixture
def rt(session_runtime):
    """The session runtime, bound but not cleaned: these tests touch only the schema (the
    conftest clean costs up to a second a test on PostgreSQL)."""
    database.initialize(session_runtime.db)
    session_runtime.activate()
    database.connect(reuse_if_open=True)
    yield session_runtime
    if not database.is_closed():
        database.close()


@pytest.fixture
def scratch(rt):
    """Clean up the `scratch` component and its table whatever the test did."""
    yield
    database.execute_sql('DROP TABLE IF EXISTS "scratch_item"')
    SchemaVersion.delete().where(SchemaVersion.component == "scratch").execute()


def rows(component):
    query = SchemaVersion.select().where(SchemaVersion.component == component)
    return [(r.version, r.name, r.state) for r in query.order_by(SchemaVersion.version)]


def test_migrate_twice_applies_nothing_the_second_time(rt):
    assert rt.migrate(**QUIET) == 0
    rt.check_schema()
    assert rows("core") == [(m.version, m.name, "done") for m in CORE_MIGRATIONS]


def test_a_plugin_migration_is_applied_and_recorded_under_its_component(rt, monkeypatch, tmp_path):
    install_example(monkeypatch, tmp_path)
    with example_runtime(rt, migrate=False) as runtime:
        assert "example_marker" not in runtime.db.get_tables()
        with pytest.raises(SchemaError, match="example 1 \\(create marker\\)"):
            runtime.check_schema()
        logged = []
        assert runtime.migrate(log=logged.append) == 1
        assert logged == ["applied example 0001 create marker"]
        assert rows("example") == [(1, "create marker", "done")]
        assert "example_marker" in runtime.db.get_tables()
        runtime.check_schema()
        assert runtime.migrate(**QUIET) == 0
    # Cleaned up for the other tests: the session runtime's schema is whole again.
    assert rows("example") == []
    rt.check_schema()


def test_a_running_row_is_refused_then_rerun(rt, scratch):
    calls = []

    def create(db):
        calls.append(1)
        db.create_tables([Scratch])

    plan = CORE_MIGRATIONS + [Migration("scratch", 1, "create scratch", create)]
    assert migrate.migrate(plan, **QUIET) == 1
    # A crash mid-migration leaves its row "running" (its DDL rolled back with it).
    Scratch.drop_table()
    SchemaVersion.update(state="running").where(SchemaVersion.component == "scratch").execute()
    with pytest.raises(SchemaError, match="half-applied migration.*scratch 1"):
        migrate.check(plan)
    assert migrate.migrate(plan, **QUIET) == 1
    assert len(calls) == 2
    assert rows("scratch") == [(1, "create scratch", "done")]
    assert "scratch_item" in database.get_tables()
    migrate.check(plan)


def test_a_failing_migration_rolls_back_and_stays_refused(rt, scratch):
    attempts = []

    def create_then_fail(db):
        attempts.append(1)
        db.create_tables([Scratch])
        Scratch.create(label="half")
        if len(attempts) == 1:
            raise RuntimeError("power cut")

    plan = CORE_MIGRATIONS + [Migration("scratch", 1, "flaky", create_then_fail)]
    with pytest.raises(RuntimeError, match="power cut"):
        migrate.migrate(plan, **QUIET)
    # Transactional DDL (SQLite, PostgreSQL): the table went with the failed transaction.
    assert "scratch_item" not in database.get_tables()
    assert rows("scratch") == [(1, "flaky", "running")]
    with pytest.raises(SchemaError, match="half-applied"):
        migrate.check(plan)
    assert migrate.migrate(plan, **QUIET) == 1
    assert [s.label for s in Scratch.select()] == ["half"]
    migrate.check(plan)


@pytest.mark.parametrize("versions", [[1, 3], [2], [1, 1], [2, 1]])
def test_version_gaps_and_disorder_are_refused(rt, scratch, versions):
    applied = []
    plan = CORE_MIGRATIONS + [
        Migration("scratch", v, f"step {v}", lambda db, v=v: applied.append(v)) for v in versions
    ]
    with pytest.raises(SchemaError, match="'scratch' must be numbered 1..n"):
        migrate.migrate(plan, **QUIET)
    assert applied == []
    assert rows("scratch") == []


def test_migrations_run_in_order_within_a_component(rt, scratch):
    applied = []
    plan = CORE_MIGRATIONS + [
        Migration("scratch", v, f"step {v}", lambda db, v=v: applied.append(v)) for v in (1, 2, 3)
    ]
    assert migrate.migrate(plan[:-1], **QUIET) == 2
    assert migrate.migrate(plan, **QUIET) == 1
    assert applied == [1, 2, 3]
    applied_rows, pending, running = migrate.status(plan)
    assert (pending, running) == ([], [])
    assert ("scratch", 3, "step 3") in applied_rows
