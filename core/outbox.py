"""Outbox delivery: claim a row with a lease, run the `accord_event` hooks, mark it done.

huey alone is at-most-once; the lease plus the sweep make delivery at-least-once, and
`effects.once()` keys make each side effect happen exactly once (DESIGN.md §7).
"""

import datetime as dt
import logging
import traceback

from accord.core.db import database, write
from accord.core.events import Event
from accord.core.models import OutboxEvent, utcnow

log = logging.getLogger(__name__)

LEASE_SECONDS = 60
MAX_ATTEMPTS = 8


def claim(event_id, lease_seconds=LEASE_SECONDS):
    """Take one row for this worker; False if another worker holds it or it is finished."""
    return _claimed(event_id, lease_seconds) is not None


def _claimed(event_id, lease_seconds):
    """The row taken for this worker (as the claim left it), or None."""
    now = utcnow()
    claimable = (OutboxEvent.status == "pending") & (
        OutboxEvent.lease_until.is_null() | (OutboxEvent.lease_until <= now)
    ) | ((OutboxEvent.status == "processing") & (OutboxEvent.lease_until <= now))
    query = OutboxEvent.update(
        status="processing",
        lease_until=now + dt.timedelta(seconds=lease_seconds),
        attempts=OutboxEvent.attempts + 1,
    ).where((OutboxEvent.id == event_id) & claimable)
    with write():
        if database.returning_clause:  # PostgreSQL: the row comes back with the claim
            return next(iter(query.returning(OutboxEvent).execute()), None)
        if query.execute() != 1:
            return None
    return OutboxEvent.get_by_id(event_id)


def backoff(attempts):
    return dt.timedelta(seconds=min(2**attempts, 3600))


def process(runtime, event_id, lease_seconds=None):
    """Deliver one event to every `accord_event` hook. Returns the row's new status."""
    lease = lease_seconds or runtime.config.extra.get("outbox_lease_seconds", LEASE_SECONDS)
    row = _claimed(event_id, lease)
    if row is None:
        return None
    if row.attempts > MAX_ATTEMPTS:
        # It keeps killing its worker (no exception reached us): stop handing it out.
        with write():
            OutboxEvent.update(
                status="dead", lease_until=None, last_error="gave up: worker died each attempt"
            ).where(OutboxEvent.id == event_id).execute()
        return "dead"
    event = Event.from_row(row)
    try:
        runtime.pm.hook.accord_event(event=event, runtime=runtime)
    except Exception:
        error = traceback.format_exc(limit=5)
        log.exception("event %s (%s) failed", event.id, event.type)
        dead = row.attempts >= MAX_ATTEMPTS
        with write():
            OutboxEvent.update(
                status="dead" if dead else "pending",
                lease_until=None if dead else utcnow() + backoff(row.attempts),
                last_error=error,
            ).where(OutboxEvent.id == event_id).execute()
        return "dead" if dead else "pending"
    with write():
        OutboxEvent.update(status="done", processed_at=utcnow(), lease_until=None).where(
            OutboxEvent.id == event_id
        ).execute()
    return "done"


def due_ids(limit=1000, stale_seconds=30):
    """Rows to hand out again: expired leases, failed rows past their backoff, and pending
    rows whose enqueue was lost (older than `stale_seconds`)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=stale_seconds)
    query = (
        OutboxEvent.select(OutboxEvent.id)
        .where(
            ((OutboxEvent.status == "processing") & (OutboxEvent.lease_until <= now))
            | (
                (OutboxEvent.status == "pending")
                & (
                    (OutboxEvent.lease_until <= now)
                    | (OutboxEvent.lease_until.is_null() & (OutboxEvent.created_at <= stale))
                )
            )
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return [row.id for row in query]
