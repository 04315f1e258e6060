"""Domain events: written into the outbox inside the change's transaction."""

import contextlib
import threading
from dataclasses import dataclass, field

from accord.core.db import after_commit
from accord.core.models import OutboxEvent, utcnow

# Set by the runtime: called with the new outbox ids once their transaction commits.
_dispatcher = None


def set_dispatcher(dispatch):
    global _dispatcher
    _dispatcher = dispatch


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    entity_kind: str
    record_id: int | None
    actor_id: int | None
    payload: dict = field(default_factory=dict)
    created_at: object = None

    @classmethod
    def from_row(cls, row):
        return cls(
            id=row.id,
            type=row.type,
            entity_kind=row.entity_kind,
            record_id=row.record_id,
            actor_id=row.actor_id,
            payload=row.payload or {},
            created_at=row.created_at,
        )

    def key(self, effect):
        """An idempotency key for `effect` done because of this event."""
        return f"event:{self.id}:{effect}"


_ambient = threading.local()


@contextlib.contextmanager
def tagged(**payload):
    """Add `payload` to every event emitted inside the block (an automation marks the
    changes it makes with its depth, so chains of automations stay bounded)."""
    previous = getattr(_ambient, "payload", None)
    _ambient.payload = {**(previous or {}), **payload}
    try:
        yield
    finally:
        _ambient.payload = previous


@contextlib.contextmanager
def background():
    """Events emitted and handed to the queue inside the block are bulk work (due
    reminders, re-sent rows): the queue delivers them after those of people's own
    actions, which a burst of hundreds of reminders would otherwise hold up for seconds."""
    previous = getattr(_ambient, "background", False)
    _ambient.background = True
    try:
        yield
    finally:
        _ambient.background = previous


def in_background():
    return getattr(_ambient, "background", False)


def emit(type, record=None, actor=None, **payload):
    """Record an event in the outbox; call inside the write transaction of the change."""
    payload = {**(getattr(_ambient, "payload", None) or {}), **payload}
    row = OutboxEvent.create(
        type=type,
        entity_kind=getattr(record, "entity", None) or "",
        record_id=getattr(record, "id", None),
        actor_id=getattr(actor, "id", None),
        payload=payload,
        created_at=utcnow(),
    )
    dispatch_after_commit([row.id])
    return row


def dispatch_after_commit(ids, chunk=1000):
    """Hand outbox rows to the job queue once their transaction commits; rows whose
    hand-over is lost (a crash in between) are picked up by the outbox sweep."""
    dispatch = _dispatcher
    if dispatch is None or not ids:
        return
    ids = list(ids)
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        after_commit(lambda part=part: dispatch(part))
