"""Idempotency keys for side effects: a retried job does its effect once."""

from accord.core.models import Effect


def once(key):
    """Record `key`; True the first time, False if the effect was already done.

    Call inside the transaction that makes the effect, so the key and the effect commit
    or roll back together. For effects outside the database (an email, a webhook), pass
    the key on to the receiver as well.
    """
    # INSERT … ON CONFLICT DO NOTHING (OR IGNORE, IGNORE): a duplicate is no error, so
    # it cannot poison the outer transaction, and no savepoint is needed around it (on
    # PostgreSQL two round trips fewer per effect). A concurrent insert of the same key
    # waits for the other transaction, as the unique index did before.
    inserted = Effect.insert(key=key).on_conflict_ignore().as_rowcount().execute()
    return inserted == 1


def done(key):
    return Effect.select().where(Effect.key == key).exists()
