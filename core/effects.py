"""Idempotency keys for side effects: a retried job does its effect once."""

from peewee import IntegrityError

from accord.core.db import database
from accord.core.models import Effect


def once(key):
    """Record `key`; True the first time, False if the effect was already done.

    Call inside the transaction that makes the effect, so the key and the effect commit
    or roll back together. For effects outside the database (an email, a webhook), pass
    the key on to the receiver as well.
    """
    try:
        with database.atomic():  # a savepoint: a duplicate must not poison the outer one
            Effect.create(key=key)
    except IntegrityError:
        return False
    return True


def done(key):
    return Effect.select().where(Effect.key == key).exists()
