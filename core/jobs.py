"""huey: SqliteHuey in ACCORD_HOME by default, RedisHuey with ACCORD_REDIS_URL."""

import logging
import threading

from huey import RedisHuey, SqliteHuey, crontab

from accord.core import events, outbox, webhooks

log = logging.getLogger(__name__)


def make_huey(config):
    # A distinct name lets two instances (or parallel test runs) share one Redis.
    name = config.extra.get("jobs_name") or "accord"
    common = {"name": name, "store_intermediate_errors": False, "results": False}
    if config.redis_url:
        huey = RedisHuey(url=config.redis_url, **common)
    else:
        config.ensure_home()
        huey = SqliteHuey(filename=str(config.home / "jobs.db"), **common)
    huey.immediate = config.jobs_immediate
    return huey


def register_core_tasks(huey, runtime):
    """The outbox tasks; returned so the runtime can enqueue them."""

    @huey.task(name="accord.deliver_events")
    def deliver_events(ids):
        for event_id in ids:
            outbox.process(runtime, event_id)

    @huey.periodic_task(crontab(minute="*"), name="accord.sweep_outbox")
    def sweep_outbox():
        sweep(runtime)

    @huey.task(name="accord.deliver_webhook")
    def deliver_webhook(delivery_id):
        webhooks.deliver(runtime, delivery_id)

    return {
        "deliver_events": deliver_events,
        "sweep_outbox": sweep_outbox,
        "deliver_webhook": deliver_webhook,
    }


def sweep(runtime):
    """Hand out outbox rows (returned) and webhook deliveries whose lease expired, whose
    enqueue was lost or whose retry is due."""
    ids = outbox.due_ids()
    if ids:
        log.info("outbox sweep: re-enqueueing %d event(s)", len(ids))
        with events.background():
            runtime.dispatch(ids)
    webhooks.sweep(runtime)  # due retries and expired leases of webhook deliveries
    return ids


def start_sweeper(runtime, interval, stop):
    """A worker thread sweeping every `interval` seconds (finer than huey's minute)."""

    def loop():
        while not stop.wait(interval):
            try:
                sweep(runtime)
            except Exception:
                log.exception("outbox sweep failed")

    thread = threading.Thread(target=loop, name="accord-outbox-sweeper", daemon=True)
    thread.start()
    return thread
