"""The outbox: exclusive claims with a lease, retries with backoff, dead letters, the
sweep, and idempotency keys (DESIGN.md §7; the real-worker kill -9 test is F28's)."""

import datetime as dt

import pytest

from accord.core import effects, jobs, outbox
from accord.core.db import write
from accord.core.hookspecs import hookimpl
from accord.core.models import Contact, Effect, OutboxEvent, utcnow
from accord.core.services import records
from tests.world import make_user


def pending_row(type="test.event", **fields):
    """An outbox row nobody has been told about (no dispatch): what a lost enqueue leaves."""
    return OutboxEvent.create(type=type, **fields)


def reload(row):
    return OutboxEvent.get_by_id(row.id)


def expire(row):
    OutboxEvent.update(lease_until=utcnow() - dt.timedelta(seconds=1)).where(
        OutboxEvent.id == row.id
    ).execute()


@pytest.fixture
def hooks(rt):
    """A plugin on the session runtime that records events and fails the ones asked to."""

    class Flaky:
        def __init__(self):
            self.seen = []
            self.fail = set()

        @hookimpl
        def accord_event(self, event, runtime):
            self.seen.append(event.id)
            if event.type in self.fail:
                raise RuntimeError(f"cannot handle {event.type}")

    plugin = Flaky()
    rt.pm.register(plugin, name="flaky")
    yield plugin
    rt.pm.unregister(plugin)


def test_claim_is_exclusive_until_the_lease_expires(rt):
    row = pending_row()
    assert outbox.claim(row.id, lease_seconds=60) is True
    claimed = reload(row)
    assert (claimed.status, claimed.attempts) == ("processing", 1)
    assert claimed.lease_until > utcnow()
    # A second worker while the lease holds: refused, nothing changes.
    assert outbox.claim(row.id, lease_seconds=60) is False
    assert reload(row).attempts == 1
    # The first worker died: after the lease another worker takes it.
    expire(row)
    assert outbox.claim(row.id, lease_seconds=60) is True
    assert reload(row).attempts == 2
    assert outbox.claim(12345678) is False  # no such row


def test_finished_rows_are_never_claimed(rt):
    done = pending_row(status="done")
    dead = pending_row(status="dead")
    for row in (done, dead):
        assert outbox.claim(row.id) is False
        expire(row)
        assert outbox.claim(row.id) is False


def test_process_delivers_once_and_marks_done(rt, hooks):
    row = pending_row()
    assert outbox.process(rt, row.id) == "done"
    stored = reload(row)
    assert (stored.status, stored.attempts, stored.lease_until) == ("done", 1, None)
    assert stored.processed_at is not None
    assert hooks.seen == [row.id]
    # Delivered again (a duplicate enqueue): the claim refuses, the hooks do not run.
    assert outbox.process(rt, row.id) is None
    assert hooks.seen == [row.id]


def test_a_failing_hook_backs_off_then_goes_dead(rt, hooks):
    hooks.fail.add("test.fails")
    row = pending_row("test.fails")
    before = utcnow()
    assert outbox.process(rt, row.id) == "pending"
    stored = reload(row)
    assert stored.status == "pending" and stored.attempts == 1
    assert "RuntimeError: cannot handle test.fails" in stored.last_error
    assert stored.lease_until >= before + outbox.backoff(1) - dt.timedelta(seconds=1)
    # Not due before its backoff: no second attempt yet.
    assert outbox.process(rt, row.id) is None
    assert row.id not in outbox.due_ids()
    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        expire(row)
        assert row.id in outbox.due_ids()
        status = outbox.process(rt, row.id)
        assert status == ("dead" if attempt == outbox.MAX_ATTEMPTS else "pending"), attempt
        assert reload(row).attempts == attempt
    dead = reload(row)
    assert (dead.status, dead.lease_until) == ("dead", None)
    assert "cannot handle" in dead.last_error
    # A dead letter stays visible and is never handed out again.
    assert row.id not in outbox.due_ids()
    assert outbox.process(rt, row.id) is None
    assert len(hooks.seen) == outbox.MAX_ATTEMPTS


def test_backoff_grows_and_is_capped():
    steps = [outbox.backoff(n).total_seconds() for n in range(1, 15)]
    assert steps[:4] == [2, 4, 8, 16]
    assert steps == sorted(steps)
    assert max(steps) == 3600


def test_due_ids_finds_expired_leases_due_retries_and_stale_rows(rt):
    now = utcnow()
    past, future = now - dt.timedelta(seconds=5), now + dt.timedelta(seconds=300)
    old = now - dt.timedelta(minutes=5)
    due = {
        pending_row(status="processing", lease_until=past),  # worker killed mid-job
        pending_row(status="pending", lease_until=past),  # retry whose backoff ended
        pending_row(status="pending", created_at=old),  # enqueue lost after commit
    }
    not_due = {
        pending_row(status="processing", lease_until=future),  # a worker is on it
        pending_row(status="pending", lease_until=future),  # still backing off
        pending_row(status="pending", created_at=now),  # just written: huey has it
        pending_row(status="done", lease_until=past, created_at=old),
        pending_row(status="dead", lease_until=past, created_at=old),
    }
    found = set(outbox.due_ids())
    assert found == {r.id for r in due}
    assert not found & {r.id for r in not_due}
    assert outbox.due_ids(limit=2) == sorted(r.id for r in due)[:2]


def test_the_sweep_delivers_what_was_lost(rt, hooks):
    old = utcnow() - dt.timedelta(minutes=5)
    lost = pending_row(created_at=old)
    abandoned = pending_row(
        status="processing", attempts=1, lease_until=utcnow() - dt.timedelta(seconds=1)
    )
    assert sorted(jobs.sweep(rt)) == sorted([lost.id, abandoned.id])
    assert {reload(lost).status, reload(abandoned).status} == {"done"}
    assert reload(abandoned).attempts == 2
    assert sorted(hooks.seen) == sorted([lost.id, abandoned.id])
    assert jobs.sweep(rt) == []


def test_service_events_are_delivered_after_commit(rt, hooks):
    admin = make_user("A", "admin")
    contact = records.create(admin, Contact, {"last_name": "Delivered"})
    row = OutboxEvent.get(OutboxEvent.record_id == contact.id)
    assert (row.type, row.status) == ("contact.created", "done")
    assert hooks.seen == [row.id]


# Idempotency keys ------------------------------------------------------------------------


def test_once_is_true_only_the_first_time(rt):
    assert effects.once("email:1") is True
    assert effects.once("email:1") is False
    assert effects.once("email:2") is True
    assert effects.done("email:1") and not effects.done("email:3")


def test_a_rolled_back_effect_leaves_no_key(rt):
    with pytest.raises(RuntimeError), write():
        assert effects.once("push:1") is True
        raise RuntimeError("the effect failed")
    assert not effects.done("push:1")
    assert effects.once("push:1") is True


def test_a_duplicate_key_does_not_poison_the_transaction(rt):
    # A savepoint per key: on PostgreSQL an IntegrityError would otherwise abort the
    # whole transaction and lose the other writes in it.
    admin = make_user("A", "admin")
    with write():
        assert effects.once("k") is True
        assert effects.once("k") is False
        records.create(admin, Contact, {"last_name": "Still written"})
    assert Contact.select().where(Contact.last_name == "Still written").count() == 1
    assert Effect.select().where(Effect.key == "k").count() == 1


def test_event_keys_are_stable_per_event_and_effect(rt):
    from accord.core.events import Event

    row = pending_row()
    event = Event.from_row(reload(row))
    assert event.key("mail") == f"event:{row.id}:mail" == Event.from_row(reload(row)).key("mail")
    assert event.key("mail") != event.key("webhook")


def test_an_event_that_keeps_killing_its_worker_ends_dead(rt):
    """No exception ever reaches process() when the worker dies; attempts still cap it."""
    from accord.core import outbox
    from accord.core.events import emit
    from accord.core.models import OutboxEvent

    row = emit("probe.crash")
    expired = utcnow() - dt.timedelta(seconds=1)
    OutboxEvent.update(
        attempts=outbox.MAX_ATTEMPTS, status="processing", lease_until=expired
    ).where(OutboxEvent.id == row.id).execute()
    assert outbox.process(rt, row.id) == "dead"
    row = OutboxEvent.get_by_id(row.id)
    assert row.status == "dead" and "gave up" in row.last_error


def statements_of(monkeypatch, work):
    from accord.core.db import database

    seen = []
    real = database.obj.execute_sql
    monkeypatch.setattr(
        database.obj, "execute_sql", lambda sql, *a, **k: seen.append(sql) or real(sql, *a, **k)
    )
    result = work()
    monkeypatch.undo()
    return result, seen


def test_an_event_is_read_with_its_claim_where_the_database_returns_rows(rt, hooks, monkeypatch):
    """PostgreSQL: UPDATE … RETURNING, one round trip for the claim and the row; else the
    row is read after its claim. Either way the hooks get the event as claimed."""
    from accord.core.db import database

    row = pending_row(type="test.returned", payload={"n": 1})
    status, seen = statements_of(monkeypatch, lambda: outbox.process(rt, row.id))
    assert status == "done" and hooks.seen == [row.id]
    reads = [s for s in seen if s.startswith("SELECT") and '"outbox_event"' in s]
    assert len(reads) == (0 if database.returning_clause else 1)
    assert reload(row).attempts == 1


def test_a_key_costs_no_savepoint(rt, monkeypatch):
    with write():
        (first, again), seen = statements_of(
            monkeypatch, lambda: (effects.once("k:1"), effects.once("k:1"))
        )
    assert (first, again) == (True, False)
    assert not any("SAVEPOINT" in s.upper() for s in seen)
    assert Effect.select().where(Effect.key == "k:1").count() == 1
