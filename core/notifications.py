"""Notifications: kinds, each user's channel choices, and delivery through the channels.

`notify()` is the one way a notification goes out. For each channel the user chose for
the kind it calls the channel's `send()` inside a write transaction guarded by an
idempotency key, so a retried event or job delivers once per (key, user, channel). A
notification about a record goes only to a user the access policy lets see it, checked
at delivery time.
"""

import logging
from dataclasses import dataclass

from peewee import SQL, Select, fn

from accord.core import access, effects
from accord.core.compiled import sql_of
from accord.core.db import database, write
from accord.core.models import RECORD_MODELS, User
from accord.core.models.notifications import Notification, NotificationPreference

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification users choose channels for (registered by a hook)."""

    name: str
    label: str
    default_channels: tuple = ("web",)
    # False: the kind's channels come from elsewhere (a custom rule carries its own).
    configurable: bool = True


@dataclass(frozen=True)
class Message:
    """What a channel delivers. `key` is unique per notification: pass it on to receivers
    outside the database (an email's Message-ID) so they can drop a repeat."""

    kind: str
    title: str
    key: str
    body: str = ""
    url: str = ""
    record_kind: str = ""
    record_id: int | None = None
    actor: object = None


def chosen_channels(runtime, user, kind):
    """The channel names `user` chose for `kind` (the kind's default without a choice)."""
    pref = NotificationPreference.get_or_none(
        (NotificationPreference.user == user.id) & (NotificationPreference.kind == kind)
    )
    if pref is not None:
        names = pref.channels or []
    else:
        spec = runtime.notification_kinds.get(kind)
        names = list(spec.default_channels) if spec else ["web"]
    return [n for n in names if n in runtime.channels]


def preferences(runtime, user):
    """kind name -> chosen channel names, for every configurable kind."""
    stored = {
        p.kind: p.channels or []
        for p in NotificationPreference.select().where(NotificationPreference.user == user.id)
    }
    result = {}
    for name, spec in runtime.notification_kinds.items():
        if not spec.configurable:
            continue
        names = stored.get(name, list(spec.default_channels))
        result[name] = [n for n in names if n in runtime.channels]
    return result


def set_preferences(runtime, user, choices):
    """Save `user`'s channels per kind ({kind: [channel, ...]}); unknown names are refused."""
    from accord.core.services.errors import ValidationError

    errors = {}
    for kind, names in choices.items():
        spec = runtime.notification_kinds.get(kind)
        if spec is None or not spec.configurable:
            errors[kind] = f"Unknown notification kind {kind!r}."
        elif any(n not in runtime.channels for n in names):
            errors[kind] = "Unknown channel."
    if errors:
        raise ValidationError(errors)
    with write():
        for kind, names in choices.items():
            unique = list(dict.fromkeys(names))
            updated = (
                NotificationPreference.update(channels=unique)
                .where(
                    (NotificationPreference.user == user.id) & (NotificationPreference.kind == kind)
                )
                .execute()
            )
            if not updated:
                NotificationPreference.create(user=user.id, kind=kind, channels=unique)


def fresh_record(record_kind, record_id):
    model = RECORD_MODELS.get(record_kind)
    if model is None or record_id is None:
        return None
    return model.get_or_none(model.id == record_id)


def notify(
    runtime,
    user,
    kind,
    title,
    *,
    key,
    body="",
    url="",
    record=None,
    actor=None,
    channels=None,
    also_visible=(),
):
    """Deliver one notification to `user`; returns the channel names used this time.

    `record`: what it is about; the user must be allowed to see it now, else nothing is
    sent. `also_visible`: more records the text mentions, each checked the same way.
    `channels`: overrides the user's choice for `kind` (custom rules carry their own).
    """
    if isinstance(user, int):
        user = User.get_or_none(User.id == user)
    if user is None or not user.active:
        return []
    record_kind, record_id = "", None
    if record is not None:
        record_kind, record_id = record.entity, record.id
        # Re-read: the policy is judged on the record as it is now, not as it was.
        current = fresh_record(record_kind, record_id)
        if current is None or not access.can_see(user, current):
            return []
    for other in also_visible:
        current = fresh_record(other.entity, other.id) if other is not None else None
        if current is None or not access.can_see(user, current):
            return []
    names = chosen_channels(runtime, user, kind) if channels is None else channels
    message = Message(
        kind=kind,
        title=title,
        key=key,
        body=body,
        url=url,
        record_kind=record_kind,
        record_id=record_id,
        actor=actor,
    )
    used = []
    for name in dict.fromkeys(names):
        channel_cls = runtime.channels.get(name)
        if channel_cls is None:
            continue
        channel = channel_cls()
        with write():
            if not effects.once(f"notify:{key}:{user.id}:{name}"):
                continue
            channel.send(user, message, runtime)
        used.append(name)
    return used


# The web channel's storage, read by the back office -----------------------------------


def unread_count(user, cap=99):
    """Unread web notifications, counted up to `cap` (+1 to tell "more") on the index."""
    sql = sql_of(
        "unread count",
        lambda user_id, limit: Select(
            [
                Notification.select(Notification.id)
                .where((Notification.user == user_id) & Notification.read_at.is_null())
                .limit(limit)
                .alias("_unread")
            ],
            [fn.COUNT(SQL("1"))],
        ),
        -1,
        -2,
    )
    return database.execute_sql(sql, (user.id, cap + 1)).fetchone()[0]


def recent(user, before_id=None, limit=30):
    query = Notification.select().where(Notification.user == user.id)
    if before_id:
        query = query.where(Notification.id < before_id)
    return list(query.order_by(Notification.id.desc()).limit(limit))


def mark_read(user, notification_id=None):
    """Mark one (or, without an id, every) unread notification of `user` read."""
    from accord.core.models import utcnow

    query = Notification.update(read_at=utcnow()).where(
        (Notification.user == user.id) & Notification.read_at.is_null()
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    with write():
        return query.execute()
