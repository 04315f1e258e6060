"""Reminder delivery: the periodic job claims each due task and appointment reminder once
and the owner (and user attendees) get it through their channels, exactly once — in
process, with two real consumers racing, and after a worker is killed with SIGKILL."""

import datetime as dt
import os
import signal
import threading
import time
import uuid

import pytest

from accord.core import events, reminders
from accord.core.models import Appointment, Attendee, OutboxEvent, Task, utcnow
from accord.core.models.notifications import Notification, ReminderSent
from accord.core.services import records, users
from tests.mailbox import start_mailbox
from tests.plugin_example.support import write_dist
from tests.test_redis import REDIS_URL, database_url  # noqa: F401
from tests.test_worker import Instance, local_runtime, wait_for
from tests.world import make_user


def titles(user):
    query = Notification.select().where(Notification.user == user.id).order_by(Notification.id)
    return [n.title for n in query]


def reminder_mails(box):
    return [
        (r, m)
        for r, m in box.messages
        if m["X-Accord-Kind"] in ("task_reminder", "appointment_reminder")
    ]


def soon(minutes=10):
    return utcnow() + dt.timedelta(minutes=minutes)


@pytest.fixture
def ann(rt):
    return make_user("Ann", "normal")


def test_a_due_task_reminder_reaches_the_owner_once(rt, smtp, ann):
    task = records.create(
        ann, Task, {"content": "Send the offer", "due_at": soon(), "reminder": "1h"}
    )
    later = records.create(ann, Task, {"content": "Later", "due_at": soon(600), "reminder": "1h"})
    assert reminders.run() == [("task", task.id)]
    assert reminders.run() == []  # claimed: never again
    assert titles(ann) == ["Reminder: Send the offer"]
    [(rcpts, msg)] = reminder_mails(smtp)
    assert rcpts == ["ann@world.test"] and msg["Subject"] == "Reminder: Send the offer"
    # The later one fires when its time comes.
    assert reminders.run(now=later.remind_at) == [("task", later.id)]
    assert titles(ann) == ["Reminder: Send the offer", "Reminder: Later"]


def test_done_tasks_future_and_stale_reminders_do_not_fire(rt, ann):
    records.create(ann, Task, {"content": "Done", "due_at": soon(), "reminder": "1h", "done": True})
    records.create(ann, Task, {"content": "Future", "due_at": soon(180), "reminder": "1h"})
    records.create(ann, Task, {"content": "Stale", "due_at": soon(-3 * 24 * 60), "reminder": "1h"})
    records.create(ann, Task, {"content": "No reminder", "due_at": soon(-5)})
    assert reminders.run() == []
    assert titles(ann) == []


def test_a_moved_due_time_gets_a_new_reminder(rt, ann):
    task = records.create(ann, Task, {"content": "Moving", "due_at": soon(), "reminder": "1h"})
    reminders.run()
    records.update(ann, task, {"due_at": soon(30)})  # still within the hour: due again
    assert reminders.run() == [("task", task.id)]
    assert titles(ann) == ["Reminder: Moving", "Reminder: Moving"]
    assert ReminderSent.select().count() == 2


def test_a_reminder_for_a_time_that_changed_before_delivery_is_dropped(rt, ann):
    task = records.create(ann, Task, {"content": "Shifted", "due_at": soon(), "reminder": "1h"})
    # Claim without delivering, then move the task; the stale event is then delivered.
    saved = events._dispatcher
    events.set_dispatcher(None)
    try:
        reminders.run()
    finally:
        events.set_dispatcher(saved)
    records.update(ann, task, {"due_at": soon(600)})
    row = OutboxEvent.get(OutboxEvent.type == "task.reminder_due")
    rt.dispatch([row.id])
    assert titles(ann) == []


def test_appointment_reminders_go_to_owner_and_user_attendees_the_policy_allows(rt, world, smtp):
    Notification.delete().execute()
    smtp.messages.clear()
    meeting = records.create(
        world.A,
        Appointment,
        {"title": "Kick-off", "starts_at": soon(20), "reminder": "30m"},
        owner=world.N1.id,
    )
    for user in (world.N4, world.R, world.D):
        Attendee.create(appointment=meeting.id, email=user.email, name=user.name, user=user.id)
    Attendee.create(appointment=meeting.id, email="guest@outside.test", name="Guest")
    assert reminders.run() == [("appointment", meeting.id)]
    told = {
        n.user_id for n in Notification.select().where(Notification.kind == "appointment_reminder")
    }
    # R may not see N1's appointment (restricted) and D is deactivated.
    assert told == {world.N1.id, world.N4.id}
    assert sorted(r[0] for r, _m in reminder_mails(smtp)) == ["n1@world.test", "n4@world.test"]


def test_two_claimers_at_once_deliver_each_reminder_once(rt, smtp, ann):
    tasks = [
        records.create(ann, Task, {"content": f"Race {n}", "due_at": soon(), "reminder": "1h"})
        for n in range(20)
    ]
    results, errors = [], []

    def claimer():
        try:
            from accord.core.db import database

            database.connect(reuse_if_open=True)
            results.append(reminders.run())
            database.close()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=claimer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    claimed = [c for batch in results for c in batch]
    assert sorted(claimed) == sorted(("task", t.id) for t in tasks)
    assert len(reminder_mails(smtp)) == 20


# Real consumer processes ---------------------------------------------------------------------

STALL = '''
"""Test plugin: after the first reminder is delivered, stall so the test can kill -9."""

import os
import time
from pathlib import Path

from accord.core.hookspecs import hookimpl


@hookimpl(trylast=True)
def accord_event(event, runtime):
    # trylast: runs after the built-in notifications did their effects.
    stall_dir = os.environ.get("STALL_DIR")
    if not stall_dir or event.type != "task.reminder_due":
        return
    marker = Path(stall_dir) / "stalled"
    if marker.exists():
        return
    marker.write_text(f"{event.id} {os.getpid()}")
    time.sleep(120)
'''


@pytest.fixture
def mailbox():
    box, controller = start_mailbox()
    yield box
    controller.stop()


@pytest.fixture
def instance(tmp_path, mailbox):
    inst = Instance(tmp_path)
    site = tmp_path / "site"
    (site / "accord_stall.py").write_text(STALL)
    write_dist(site, "accord_stall", {"stall": "accord_stall"})
    inst.env["ACCORD_SMTP_URL"] = mailbox.url
    inst.env["ACCORD_PERIODIC_TICK_SECONDS"] = "1"
    result = inst.run("migrate")
    assert result.returncode == 0, result.stderr
    yield inst
    inst.stop_all()


def make_due_tasks(count, prefix):
    """`count` users, each with one task whose reminder is due now."""
    made = []
    for n in range(count):
        user = users.create_user(None, f"{prefix}{n}@reminders.test", role="normal")
        due = utcnow() + dt.timedelta(minutes=10)
        made.append(
            records.create(
                user, Task, {"content": f"{prefix} {n}", "due_at": due, "reminder": "1h"}
            )
        )
    return made


def reminder_rcpts(box):
    return sorted(r for rcpts, _m in reminder_mails(box) for r in rcpts)


def race_two_consumers(instance, mailbox, **runtime_options):
    """Two consumers, both running the periodic scheduler, plus this process claiming
    in a loop: every reminder is claimed once and mailed once. Names and assertions are
    scoped to this run: the database may hold an earlier run's rows."""
    prefix = f"two{uuid.uuid4().hex[:8]}-"
    a = instance.start_worker(name="a")
    b = instance.start_worker(name="b")
    with local_runtime(instance, **runtime_options):
        tasks = make_due_tasks(8, prefix)
        ids = [t.id for t in tasks]
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            reminders.run()  # a third claimer racing the workers
            time.sleep(0.2)
        expected = sorted(f"{prefix}{n}@reminders.test" for n in range(8))
        wait_for(lambda: len(reminder_mails(mailbox)) >= 8, timeout=40, what="8 reminder emails")
        time.sleep(3)  # three more ticks: nothing more may come
        assert reminder_rcpts(mailbox) == expected
        claims = ReminderSent.select().where(
            (ReminderSent.record_entity == "task") & ReminderSent.record_id.in_(ids)
        )
        assert claims.count() == 8
        rows = OutboxEvent.select().where(
            (OutboxEvent.type == "task.reminder_due") & OutboxEvent.record_id.in_(ids)
        )
        assert sorted(r.record_id for r in rows) == sorted(ids)
    for proc in (a, b):
        instance.stop(proc)


@pytest.mark.slow
def test_two_consumers_send_each_reminder_once(instance, mailbox):
    race_two_consumers(instance, mailbox)


@pytest.mark.slow
@pytest.mark.skipif(not REDIS_URL, reason="ACCORD_TEST_REDIS_URL is not set")
def test_two_consumers_on_redis_and_postgresql_send_each_reminder_once(
    tmp_path,
    mailbox,
    database_url,  # noqa: F811 (the fixture)
):
    """The scale-out path: RedisHuey, and PostgreSQL when ACCORD_TEST_DATABASE_URL is set."""
    inst = Instance(tmp_path, database_url=database_url)
    jobs_name = f"accord-reminders-{uuid.uuid4().hex[:12]}"
    inst.env.update(
        ACCORD_REDIS_URL=REDIS_URL,
        ACCORD_JOBS_NAME=jobs_name,
        ACCORD_SMTP_URL=mailbox.url,
        ACCORD_PERIODIC_TICK_SECONDS="1",
    )
    result = inst.run("migrate")
    assert result.returncode == 0, result.stderr
    try:
        race_two_consumers(inst, mailbox, redis_url=REDIS_URL, extra={"jobs_name": jobs_name})
    finally:
        inst.stop_all()


@pytest.mark.slow
def test_kill_9_mid_delivery_loses_nothing_and_doubles_nothing(instance, mailbox, tmp_path):
    stall_dir = tmp_path / "stall"
    stall_dir.mkdir()
    first = instance.start_worker(
        name="first",
        STALL_DIR=str(stall_dir),
        ACCORD_OUTBOX_LEASE_SECONDS="3",
        ACCORD_OUTBOX_SWEEP_SECONDS="3600",  # nothing re-delivers while it stalls
    )
    with local_runtime(instance):
        make_due_tasks(4, "kill")
        marker = stall_dir / "stalled"
        wait_for(marker.exists, timeout=40, what="the first reminder to be delivered")
        event_id, pid = (int(x) for x in marker.read_text().split())
        assert pid == first.pid
        # Its email went out before the stall; the event is not marked done.
        assert wait_for(lambda: len(reminder_mails(mailbox)) >= 1, what="the first email")
        assert OutboxEvent.get_by_id(event_id).status == "processing"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL

        second = instance.start_worker(
            name="second", ACCORD_OUTBOX_LEASE_SECONDS="3", ACCORD_OUTBOX_SWEEP_SECONDS="1"
        )
        wait_for(
            lambda: OutboxEvent.get_by_id(event_id).status == "done",
            timeout=40,
            what="the killed worker's event to be re-delivered",
        )
        wait_for(lambda: len(reminder_mails(mailbox)) >= 4, timeout=40, what="4 reminder emails")

        def settled():
            rows = OutboxEvent.select().where(OutboxEvent.type == "task.reminder_due")
            return rows.count() == 4 and all(r.status == "done" for r in rows)

        wait_for(settled, timeout=40, what="every reminder event to be done")
        time.sleep(2)
        assert reminder_rcpts(mailbox) == sorted(f"kill{n}@reminders.test" for n in range(4))
        assert OutboxEvent.get_by_id(event_id).attempts == 2
    instance.stop(second)
    assert os.path.exists(marker)


def test_a_burst_of_reminders_queues_behind_peoples_own_events(rt, ann, tmp_path):
    """Reminders (and the sweep's re-sent rows) are background work: on a queue that
    keeps priorities (SqliteHuey, the embedded default) an event from someone's action
    is delivered before a burst of them already waiting."""
    import dataclasses

    from huey import SqliteHuey

    from accord.core import jobs

    huey = SqliteHuey("accord-test", filename=str(tmp_path / "jobs.db"))
    queued = dataclasses.replace(rt, huey=huey)
    queued.tasks = jobs.register_core_tasks(huey, queued)
    saved = events._dispatcher
    events.set_dispatcher(queued.dispatch)
    try:
        for n in range(5):
            records.create(ann, Task, {"content": f"Due {n}", "due_at": soon(), "reminder": "1h"})
        huey.flush()  # the tasks' own "created" events: not what this is about
        assert len(reminders.run()) == 5  # five reminder events, queued as background
        records.create(ann, Task, {"content": "Someone's own"})  # one task.created event
    finally:
        events.set_dispatcher(saved)
    assert huey.pending_count() == 6
    order = []
    while (task := huey.dequeue()) is not None:
        order += [OutboxEvent.get_by_id(i).type for i in task.args[0]]
    assert order == ["task.created"] + ["task.reminder_due"] * 5
