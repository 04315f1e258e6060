"""Admin actions on outgoing webhook deliveries (the deliveries themselves are written by
accord.core.webhooks, from the jobs)."""

from accord.core import access, webhooks
from accord.core.db import write
from accord.core.models import Activity, utcnow
from accord.core.models.webhooks import WebhookDelivery


def retry_now(actor, ids):
    """Give dead (or waiting) deliveries one more attempt now; returns the ids retried.

    Admins only; each retry is written to the activity log."""
    access.check(actor, "settings")
    with write():
        retried = webhooks.retry_now(ids)
        for row in WebhookDelivery.select().where(WebhookDelivery.id.in_(retried)):
            Activity.create(
                created_at=utcnow(),
                actor=getattr(actor, "id", None),
                verb="retried",
                entity_kind="webhook_delivery",
                record_id=row.id,
                record_name=str(row)[:255],
                owner_id=None,
                changes={},
            )
    return retried
