"""Notifications, per-user channel choices and custom notification rules (issue 5)."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from accord.core.models.base import BaseModel, JSONField, utcnow
from accord.core.models.users import User


class Notification(BaseModel):
    """One web notification (the bell); other channels leave no row here."""

    entity = "notification"
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=64)
    title = CharField(max_length=255)
    body = TextField(default="")
    url = CharField(default="", max_length=500)
    record_kind = CharField(default="", max_length=32)
    record_id = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        # The unread count and the newest-first list both walk this index.
        indexes = ((("user", "read_at", "id"), False),)


class NotificationPreference(BaseModel):
    """A user's channels for one kind; no row means the kind's default channels."""

    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=64)
    channels = JSONField(default=list)  # [] = off

    class Meta:
        indexes = ((("user", "kind"), True),)


RULE_ENTITIES = ("lead", "contact", "deal")
RULE_TRIGGERS = (
    "created",
    "stage_changed",
    "status_changed",
    "owner_changed",
    "task_added",
    "note_added",
)


class NotificationRule(BaseModel):
    """A user's custom notification: a filter on one entity, triggers and channels.

    Filter values are plain ids, not foreign keys: a deleted stage or source must make
    the rule match nothing, never silently widen it to every record.
    """

    entity = "notification_rule"
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    name = CharField(max_length=200)
    record_entity = CharField(max_length=16, choices=[(e, e) for e in RULE_ENTITIES])
    owner_id = IntegerField(null=True)
    team_id = IntegerField(null=True)
    pipeline_id = IntegerField(null=True)
    stage_id = IntegerField(null=True)
    status_id = IntegerField(null=True)
    source_id = IntegerField(null=True)
    custom_key = CharField(default="", max_length=64)
    custom_value = CharField(default="", max_length=255)
    triggers = JSONField(default=list)
    channels = JSONField(default=list)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("record_entity", "active"), False),)


class ReminderSent(BaseModel):
    """The claim of one reminder (record + its remind_at): inserted once, by one worker."""

    record_entity = CharField(max_length=16)
    record_id = IntegerField()
    remind_at = DateTimeField()
    claimed_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("record_entity", "record_id", "remind_at"), True),)


# In dependency order; appended to CORE_MODELS.
MODELS = [Notification, NotificationPreference, NotificationRule, ReminderSent]
