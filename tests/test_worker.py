"""The real `accord worker` process: delivery, kill -9 recovery (SECURITY F28), periodic
ticks with several consumers (F29), and the schema check at start.

Each test has its own ACCORD_HOME and SQLite database (not the conftest one), and a test
plugin "probe" enabled in the subprocesses through a dist-info entry point written at test
time (importlib.metadata finds it on PYTHONPATH; nothing is installed).
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accord.core import events
from accord.core import runtime as core_runtime
from accord.core.config import Config
from accord.core.db import database
from accord.core.migrate import SchemaVersion
from accord.core.models import Contact, Note, OutboxEvent
from accord.core.plugins import DEFAULT_PLUGINS
from accord.core.services import records, users

pytestmark = pytest.mark.slow

PROBE = '''
"""Test plugin: records what the worker does, and stalls on its first note event."""

import os
import time
from pathlib import Path

from huey import crontab

from accord.core import effects
from accord.core.db import database, write
from accord.core.hookspecs import hookimpl
from accord.core.migrate import Migration

DIR = Path(os.environ["ACCORD_PROBE_DIR"])


def _create_marker_table(db):
    db.execute_sql(
        "CREATE TABLE probe_marker (event_id INTEGER NOT NULL, pid INTEGER NOT NULL)"
    )


@hookimpl
def accord_migrations():
    return [Migration("probe", 1, "marker table", _create_marker_table)]


@hookimpl
def accord_event(event, runtime):
    with (DIR / "events.log").open("a") as fh:
        fh.write(f"{event.id} {event.type} {os.getpid()}\\n")
    if event.type != "note.created":
        return
    with write():
        # The side effect and its idempotency key commit together.
        if effects.once(event.key("marker")):
            database.execute_sql(
                "INSERT INTO probe_marker (event_id, pid) VALUES (%s, %s)"
                % (database.param, database.param),
                (event.id, os.getpid()),
            )
    started = DIR / "started"
    if not started.exists():
        # First delivery: the effect is done but the job has not finished; the test
        # kills this worker now.
        started.write_text(str(os.getpid()))
        time.sleep(30)


@hookimpl
def accord_cli_commands():
    import click

    @click.command("probe-hello")
    def probe_hello():
        """Say hello from the probe plugin."""
        from accord.admin.cli import current_runtime

        rt = current_runtime()
        click.echo(f"hello from probe; plugins: {len(rt.pm.get_plugins())}")

    return [probe_hello]


@hookimpl
def accord_jobs(huey, runtime):
    @huey.periodic_task(crontab(minute="*"), name="probe.tick")
    def probe_tick():
        with (DIR / "ticks.log").open("a") as fh:
            fh.write(f"{os.getpid()} {time.time()}\\n")
'''

ACCORD_VARIABLES = (
    "ACCORD_PLUGINS",
    "ACCORD_SAFE_MODE",
    "ACCORD_REDIS_URL",
    "ACCORD_SECRET_KEY",
    "ACCORD_OUTBOX_LEASE_SECONDS",
    "ACCORD_OUTBOX_SWEEP_SECONDS",
    "ACCORD_PERIODIC_TICK_SECONDS",
    "ACCORD_JOBS_NAME",
    "FLASK_DEBUG",
)


def accord_command():
    script = Path(sys.executable).with_name("accord")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "accord.admin.commands"]


def write_probe(root):
    """The probe plugin as an importable module with entry-point metadata."""
    site = root / "site"
    dist = site / "accord_probe-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "accord_probe.py").write_text(PROBE)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: accord-probe\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[accord]\nprobe = accord_probe\n")
    return site


class Instance:
    """An ACCORD_HOME with its own database, the probe plugin, and helpers to run
    `accord` subprocesses against it."""

    def __init__(self, root, database_url=None):
        self.root = root
        self.home = root / "home"
        self.probe_dir = root / "probe"
        self.probe_dir.mkdir(parents=True)
        self.database_url = database_url or f"sqlite:///{self.home / 'accord.db'}"
        site = write_probe(root)
        env = {k: v for k, v in os.environ.items() if k not in ACCORD_VARIABLES}
        env.update(
            ACCORD_HOME=str(self.home),
            ACCORD_DATABASE_URL=self.database_url,
            ACCORD_PROBE_DIR=str(self.probe_dir),
            PYTHONPATH=os.pathsep.join([str(site), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            PYTHONUNBUFFERED="1",
        )
        self.env = env
        self.procs = []

    def run(self, *args, timeout=60, **env):
        return subprocess.run(
            accord_command() + list(args),
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_worker(self, *args, name="worker", **env):
        log = (self.root / f"{name}.log").open("w")
        proc = subprocess.Popen(
            accord_command() + ["worker", *args],
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log_path = Path(log.name)
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc, timeout=15):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def probe_file(self, name):
        path = self.probe_dir / name
        return path.read_text() if path.exists() else ""


@contextlib.contextmanager
def local_runtime(instance, **overrides):
    """A runtime in this process bound to the instance's database (no plugins: the probe
    is only on the subprocesses' path); the global binding is restored afterwards."""
    saved_db, saved_dispatcher = database.obj, events._dispatcher
    config = Config.from_env(
        {"ACCORD_HOME": str(instance.home)},
        database_url=instance.database_url,
        safe_mode=True,
        **overrides,
    )
    rt = core_runtime.build(config)
    rt.db.connect(reuse_if_open=True)
    try:
        yield rt
    finally:
        if not rt.db.is_closed():
            rt.db.close()
        database.initialize(saved_db)
        events.set_dispatcher(saved_dispatcher)


def wait_for(predicate, timeout=20, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def outbox_row(event_id):
    # A fresh read each time: another process writes the row.
    return OutboxEvent.get_by_id(event_id)


def marker_rows(rt, event_id):
    cursor = rt.db.execute_sql(
        f"SELECT pid FROM probe_marker WHERE event_id = {rt.db.param}", (event_id,)
    )
    return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def instance(tmp_path):
    inst = Instance(tmp_path)
    result = inst.run("migrate")
    assert result.returncode == 0, result.stderr
    assert "applied probe 0001 marker table" in result.stdout
    yield inst
    inst.stop_all()


def test_plugin_cli_commands_join_the_command_line(instance):
    help_text = instance.run("--help").stdout
    assert re.search(r"^\s+probe-hello\s+Say hello from the probe plugin", help_text, re.M)
    result = instance.run("probe-hello")
    assert result.returncode == 0, result.stderr
    # The core's defaults + 4 built-in + probe.
    assert f"hello from probe; plugins: {len(DEFAULT_PLUGINS) + 5}" in result.stdout
    disabled = instance.run("probe-hello", ACCORD_PLUGINS="-probe")
    assert disabled.returncode == 1
    assert "No such command 'probe-hello'" in disabled.stderr


def test_worker_processes_a_service_event(instance):
    worker = instance.start_worker()
    with local_runtime(instance):
        admin = users.create_user(None, "admin@worker.test", role="admin")
        contact = records.create(admin, Contact, {"first_name": "Ada", "last_name": "Worker"})
        event = OutboxEvent.get(
            (OutboxEvent.type == "contact.created") & (OutboxEvent.record_id == contact.id)
        )
        row = wait_for(
            lambda: outbox_row(event.id).status == "done" and outbox_row(event.id),
            what="the worker to deliver the event",
        )
        assert row.attempts == 1
        assert row.processed_at is not None
    # The plugin's hook ran inside the worker process, not here.
    seen = instance.probe_file("events.log").split()
    assert seen[:3] == [str(event.id), "contact.created", str(worker.pid)]
    instance.stop(worker)
    assert worker.returncode == 0


def test_kill_9_mid_job_redelivers_after_lease_and_effect_happens_once(instance):
    """SECURITY F28. The first worker does the effect, then stalls; it is SIGKILLed before
    marking the event done. A second worker re-delivers it once the lease expires."""
    # No sweeper and no periodic sweep in the first worker: nothing may re-deliver while
    # it stalls (its lease is short so that the test need not wait a minute).
    first = instance.start_worker(
        "--no-periodic",
        name="first",
        ACCORD_OUTBOX_LEASE_SECONDS="2",
        ACCORD_OUTBOX_SWEEP_SECONDS="3600",
    )
    with local_runtime(instance) as rt:
        admin = users.create_user(None, "admin@f28.test", role="admin")
        note = records.create(admin, Note, {"content": "probe"})
        event = OutboxEvent.get(
            (OutboxEvent.type == "note.created") & (OutboxEvent.record_id == note.id)
        )
        wait_for(lambda: instance.probe_file("started"), what="the first delivery to start")
        claimed = outbox_row(event.id)
        assert claimed.status == "processing"
        assert claimed.attempts == 1
        assert marker_rows(rt, event.id) == [first.pid]

        first.kill()  # SIGKILL: huey alone would lose this job
        first.wait(10)
        assert first.returncode == -signal.SIGKILL

        second = instance.start_worker(
            name="second", ACCORD_OUTBOX_LEASE_SECONDS="2", ACCORD_OUTBOX_SWEEP_SECONDS="1"
        )
        row = wait_for(
            lambda: outbox_row(event.id).status == "done" and outbox_row(event.id),
            what="the event to be re-delivered",
        )
        assert row.attempts == 2
        # Re-delivered only after the first claim's lease ran out.
        assert row.processed_at >= claimed.lease_until
        # The effect happened once, by the killed worker; the retry saw its key.
        assert marker_rows(rt, event.id) == [first.pid]
    deliveries = [
        line.split()
        for line in instance.probe_file("events.log").splitlines()
        if line.split()[0] == str(event.id)
    ]
    assert [d[2] for d in deliveries] == [str(first.pid), str(second.pid)]
    instance.stop(second)


TICK = re.compile(r"periodic tick (\d+) (claimed|already claimed)")


def test_two_periodic_consumers_run_each_periodic_task_once_per_tick(instance):
    """SECURITY F29. Two consumers that BOTH run the periodic scheduler (the mistake an
    operator makes) plus one started with --no-periodic. Ticks are 2 s here instead of a
    minute; each tick is claimed in the shared queue storage by exactly one scheduler."""
    env = {"ACCORD_PERIODIC_TICK_SECONDS": "2"}
    window_start = time.time()
    a = instance.start_worker(name="a", **env)
    b = instance.start_worker(name="b", **env)
    c = instance.start_worker("--no-periodic", name="c", **env)
    started = "Huey consumer started"
    for proc in (a, b, c):
        wait_for(lambda p=proc: started in p.log_path.read_text(), what="consumers to start")
    time.sleep(9)  # about four ticks, each seen by both periodic schedulers
    for proc in (a, b, c):
        instance.stop(proc)
    ticks_in_window = int(time.time() // 2) - int(window_start // 2) + 1

    claims, skips = [], []
    for proc in (a, b):
        for tick, outcome in TICK.findall(proc.log_path.read_text()):
            (claims if outcome == "claimed" else skips).append(int(tick))
    assert not TICK.search(c.log_path.read_text())  # -n: no scheduler at all
    assert len(claims) >= 3
    assert len(claims) == len(set(claims)), "a tick was claimed twice"
    # Both schedulers reached ticks the other had claimed: the guard was exercised.
    assert skips and set(skips) <= set(claims)
    runs = instance.probe_file("ticks.log").splitlines()
    # Behaviour, not logs: no more runs than wall-clock ticks (unguarded, about twice).
    assert len(runs) <= ticks_in_window
    # One run per claimed tick at most (a tick enqueued at shutdown may not have run).
    assert len(claims) - 1 <= len(runs) <= len(claims)


def test_worker_refuses_a_half_migrated_schema(instance):
    with local_runtime(instance):
        SchemaVersion.update(state="running").where(SchemaVersion.component == "core").execute()
    result = instance.run("worker", timeout=30)
    assert result.returncode == 1
    assert "half-applied migration" in result.stderr
    assert "core 1 (initial)" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_refuses_a_schema_behind_the_code(tmp_path):
    inst = Instance(tmp_path)  # never migrated
    result = inst.run("worker", timeout=30)
    assert result.returncode == 1
    assert "database needs migrations" in result.stderr
    assert "Traceback" not in result.stderr
