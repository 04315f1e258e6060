"""Running the job consumer for a runtime: huey's Consumer, the outbox sweeper, the
schema check, and a periodic scheduler that runs each periodic task once per tick even
when several consumers have it enabled (SECURITY F29).

huey's Consumer installs signal handlers, so it must own the main thread of its process:
`accord serve` starts it as a child process, never as a thread of the web server.
"""

import logging
import os
import signal
import threading
import time

from huey.consumer import Consumer, Scheduler

from accord.core import jobs
from accord.core.db import database

log = logging.getLogger(__name__)

# Environment tuning read by every `accord` command into config.extra (DESIGN.md §2 lists
# the main variables; these are for operators and tests).
TUNING = {
    # Seconds a worker owns an outbox row before the sweep hands it out again.
    "ACCORD_OUTBOX_LEASE_SECONDS": ("outbox_lease_seconds", 60),
    # How often the worker's sweeper thread looks for expired leases and lost enqueues.
    "ACCORD_OUTBOX_SWEEP_SECONDS": ("outbox_sweep_seconds", 15),
    # Length of one periodic tick; huey's is one minute. Shorter only makes sense in tests.
    "ACCORD_PERIODIC_TICK_SECONDS": ("periodic_tick_seconds", 60),
}
# Queue name prefix, so two instances (or parallel test runs) can share one Redis.
JOBS_NAME_VARIABLE = "ACCORD_JOBS_NAME"


class TuningError(ValueError):
    """An ACCORD_* tuning variable has a bad value."""


def tune_from_env(config, env=None):
    """Copy the ACCORD_* tuning variables into `config.extra`; bad numbers fail clearly."""
    env = os.environ if env is None else env
    for variable, (key, default) in TUNING.items():
        raw = env.get(variable)
        if raw in (None, ""):
            config.extra.setdefault(key, default)
            continue
        try:
            value = float(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise TuningError(f"{variable} must be a positive number of seconds, got {raw!r}")
        config.extra[key] = value
    if env.get(JOBS_NAME_VARIABLE):
        config.extra["jobs_name"] = env[JOBS_NAME_VARIABLE]
    return config


class TickScheduler(Scheduler):
    """Claims each periodic tick in the shared queue storage before enqueueing.

    Two consumers that both run the scheduler (a forgotten --no-periodic) would otherwise
    enqueue every periodic task twice per tick. The claim is an atomic put-if-empty in
    huey's own storage (SQLite or Redis), keyed by the wall-clock tick, so the first
    scheduler to reach a tick enqueues and the others skip it.
    """

    def enqueue_periodic_tasks(self, now):
        tick = int(time.time() // self.periodic_task_seconds)
        key = f"accord.periodic-tick.{self.periodic_task_seconds:g}.{tick}"
        if not self.huey.put_if_empty(key, os.getpid()):
            log.info("periodic tick %s already claimed by another consumer; skipped", tick)
            return
        log.info("periodic tick %s claimed", tick)
        # Keep the storage small: the previous ticks are settled.
        for old in (tick - 2, tick - 3):
            self.huey.delete(f"accord.periodic-tick.{self.periodic_task_seconds:g}.{old}")
        super().enqueue_periodic_tasks(now)


class AccordConsumer(Consumer):
    scheduler_class = TickScheduler

    def __init__(self, huey, tick_seconds=60, **kwargs):
        self._tick_seconds = tick_seconds
        super().__init__(huey, **kwargs)

    def _create_scheduler(self):
        scheduler = super()._create_scheduler()
        scheduler.periodic_task_seconds = self._tick_seconds
        return scheduler


def _connect_per_task(huey):
    """Each task gets a fresh connection and leaves none open (no idle transactions)."""

    @huey.pre_execute(name="accord.db_connect")
    def _connect(task):
        database.connect(reuse_if_open=True)

    @huey.post_execute(name="accord.db_close")
    def _close(task, task_value, exc):
        try:
            if not database.is_closed():
                database.close()
        except Exception:  # a task that leaked a transaction: the next connect is clean
            log.exception("closing the database after %s failed", task)


def watch_parent(interval=1.0):
    """For the worker embedded in `accord serve`: stop gracefully when the parent dies
    (even by SIGKILL), instead of living on as an orphan."""
    parent = os.getppid()

    def loop():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                log.warning("parent process %s is gone; stopping the worker", parent)
                os.kill(os.getpid(), signal.SIGINT)
                return

    threading.Thread(target=loop, name="accord-parent-watch", daemon=True).start()


def make_consumer(runtime, workers=2, periodic=True, max_delay=0.5):
    huey = runtime.huey
    if huey.immediate:
        raise RuntimeError("the job queue is in immediate mode; a consumer cannot run it")
    _connect_per_task(huey)
    return AccordConsumer(
        huey,
        tick_seconds=runtime.config.extra.get("periodic_tick_seconds", 60),
        workers=workers,
        periodic=periodic,
        # SqliteHuey polls; its default backoff reaches 10 s between looks at the queue.
        max_delay=max_delay,
        check_worker_health=True,
        health_check_interval=5,
    )


def run(runtime, workers=2, periodic=True, embedded=False, max_delay=0.5):
    """Run the consumer and the outbox sweeper until a signal stops them.

    The caller has checked the schema (`runtime.check_schema()`).
    """
    consumer = make_consumer(runtime, workers=workers, periodic=periodic, max_delay=max_delay)
    stop = threading.Event()
    interval = runtime.config.extra.get("outbox_sweep_seconds", 15)
    jobs.start_sweeper(runtime, interval, stop)
    if embedded:
        watch_parent()
    log.info(
        "accord worker: %d thread(s), periodic %s, outbox sweep every %gs, lease %gs",
        workers,
        "on" if periodic else "off",
        interval,
        runtime.config.extra.get("outbox_lease_seconds", 60),
    )
    try:
        consumer.run()
    finally:
        stop.set()
