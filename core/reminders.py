"""Reminder delivery: a periodic job claims each due reminder once and emits an event.

A reminder is (record, remind_at). The claim is a row with a unique key inserted in the
same transaction as a `<entity>.reminder_due` event, so exactly one worker claims it and
the claim and its event commit together. The outbox then delivers the event at least
once, and `notify()`'s keys make each email or web notification happen exactly once:
a worker killed at any point loses nothing and doubles nothing.
"""

import datetime as dt
import logging

from peewee import IntegrityError, fn

from accord.core import events
from accord.core.db import database, write
from accord.core.models import Appointment, Task, utcnow
from accord.core.models.notifications import ReminderSent

log = logging.getLogger(__name__)

# Reminders older than this when first seen are skipped (a server down for a week does
# not flood everyone with stale reminders on start).
LOOKBACK = dt.timedelta(hours=24)
BATCH = 500


def _due(model, now, lookback, limit):
    claimed = ReminderSent.select(ReminderSent.id).where(
        (ReminderSent.record_entity == model.entity)
        & (ReminderSent.record_id == model.id)
        & (ReminderSent.remind_at == model.remind_at)
    )
    query = model.select(model.id, model.remind_at, model.owner).where(
        model.remind_at.is_null(False)
        & (model.remind_at <= now)
        & (model.remind_at > now - lookback)
        & ~fn.EXISTS(claimed)
    )
    if model is Task:
        query = query.where(Task.done == False)  # noqa: E712
    return list(query.order_by(model.remind_at, model.id).limit(limit))


def claim(record):
    """Insert the claim for (record, remind_at); False if someone else has it."""
    try:
        with database.atomic():  # a savepoint: a lost race must not poison the batch
            ReminderSent.create(
                record_entity=record.entity, record_id=record.id, remind_at=record.remind_at
            )
    except IntegrityError:
        return False
    return True


def run(now=None, lookback=LOOKBACK, limit=BATCH):
    """Claim every due reminder; returns [(entity, id)] claimed by this call."""
    now = now or utcnow()
    claimed = []
    for model in (Task, Appointment):
        for record in _due(model, now, lookback, limit):
            with events.background(), write():  # handed to the queue at commit
                if not claim(record):
                    continue
                events.emit(
                    f"{model.entity}.reminder_due",
                    record,
                    None,
                    remind_at=record.remind_at.isoformat(),
                )
            claimed.append((model.entity, record.id))
    if claimed:
        log.info("reminders claimed: %d", len(claimed))
    return claimed
