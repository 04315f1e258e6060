"""Outgoing webhook deliveries: retries, backoff, dead letters (issue 6)."""

from accord.core.models.webhooks import MODELS


def apply(db):
    db.create_tables(MODELS)
