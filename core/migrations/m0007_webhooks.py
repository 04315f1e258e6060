"""Outgoing webhook deliveries: retries, backoff, dead letters (issue 6)."""


def apply(db):
    pass
