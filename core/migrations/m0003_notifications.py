"""Notifications: kinds, per-user channel choices, web notifications, custom rules, reminders sent (issue 5)."""


def apply(db):
    pass
