"""Outgoing webhook deliveries: retries, backoff, dead letters (issue 6)."""

from peewee import CharField, DateTimeField, IntegerField, TextField

from accord.core.models.base import BaseModel, utcnow

DELIVERY_STATES = ("pending", "delivering", "done", "dead")


class WebhookDelivery(BaseModel):
    """One signed POST of one event to one URL, retried until done or dead."""

    # sha256 of (source, event_id, url): unique, so a retried caller enqueues once. A hash
    # rather than a unique index over the three columns: URLs are too long for MySQL's
    # index key limit.
    key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow, index=True)
    source = CharField(max_length=100)  # who asked, e.g. "automation:12"
    event_id = CharField(max_length=255)  # stable across retries; sent as X-Accord-Event-Id
    url = TextField()
    # The signing secret, needed for every retry. Stored as given (the database is as
    # trusted as the automation table the secret comes from), never shown, and wiped
    # once the delivery is done.
    secret = CharField(max_length=255, default="")
    body = TextField()  # the exact JSON text that is signed and sent
    status = CharField(max_length=20, default="pending", choices=[(s, s) for s in DELIVERY_STATES])
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True)
    # A worker owns a "delivering" row until then; the sweep hands expired ones out again.
    lease_until = DateTimeField(null=True)
    last_attempt_at = DateTimeField(null=True)
    last_status_code = IntegerField(null=True)
    last_error = TextField(default="")
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            (("status", "next_attempt_at"), False),
            (("status", "lease_until"), False),
        )

    def __str__(self):
        return f"#{self.id} {self.event_id}"


# In dependency order; appended to CORE_MODELS.
MODELS = [WebhookDelivery]
