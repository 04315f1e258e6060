"""The outbox (domain events written with the change) and idempotency keys."""

from peewee import CharField, DateTimeField, IntegerField, TextField

from accord.core.models.base import BaseModel, JSONField, utcnow

OUTBOX_STATES = ("pending", "processing", "done", "dead")


class OutboxEvent(BaseModel):
    created_at = DateTimeField(default=utcnow)
    type = CharField()  # e.g. "deal.stage_changed"
    entity_kind = CharField(default="")
    record_id = IntegerField(null=True)
    actor_id = IntegerField(null=True)
    payload = JSONField(default=dict)
    status = CharField(default="pending", choices=[(s, s) for s in OUTBOX_STATES])
    attempts = IntegerField(default=0)
    # A worker owns a row until its lease ends; the sweep hands expired rows out again.
    lease_until = DateTimeField(null=True)
    processed_at = DateTimeField(null=True)
    last_error = TextField(default="")

    class Meta:
        indexes = ((("status", "lease_until"), False),)


class Effect(BaseModel):
    """One row per side effect done; its unique key makes a retried effect a no-op."""

    key = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
