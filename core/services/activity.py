"""Writing the activity log: the record history, the feed and the audit trail."""

import datetime as dt
from decimal import Decimal

from peewee import Model

from accord.core.models import Activity, utcnow


def plain(value):
    """A JSON-safe form of a field value for the change list."""
    if isinstance(value, Model):
        return value.id
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def log(actor, verb, record, changes=None):
    return Activity.create(
        created_at=utcnow(),
        actor=getattr(actor, "id", None),
        verb=verb,
        entity_kind=record.entity,
        record_id=record.id,
        record_name=str(record)[:255],
        owner_id=getattr(record, "owner_id", None),
        changes={k: [plain(a), plain(b)] for k, (a, b) in (changes or {}).items()},
    )


def history(record, limit=100):
    return (
        Activity.select()
        .where((Activity.entity_kind == record.entity) & (Activity.record_id == record.id))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    )
