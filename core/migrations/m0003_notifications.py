"""Notifications: kinds, per-user channel choices, web notifications, custom rules, reminders sent (issue 5)."""

from accord.core.models.notifications import MODELS


def apply(db):
    db.create_tables(MODELS, safe=True)
