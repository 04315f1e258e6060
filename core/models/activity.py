"""Activity: who did what to which record, with field changes (history, feed, audit)."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from accord.core.models.base import BaseModel, JSONField, utcnow
from accord.core.models.users import User


class Activity(BaseModel):
    entity = "activity"
    created_at = DateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    verb = CharField()  # created, updated, deleted, restored, converted, stage_changed …
    entity_kind = CharField()
    record_id = IntegerField()
    record_name = CharField(default="")
    # The record's owner when it happened: feeds are scoped by it without a join.
    owner_id = IntegerField(null=True)
    # {"field": [old, new], …}
    changes = JSONField(default=dict)

    class Meta:
        indexes = (
            (("entity_kind", "record_id", "created_at"), False),
            (("owner_id", "created_at"), False),
        )
