"""Vocabularies: statuses, action types, sources, tags and closing reasons."""

from peewee import CharField, ForeignKeyField, IntegerField

from accord.core.models.base import BaseModel

STATUS_ENTITIES = ("lead", "contact", "task")


class ColouredTerm(BaseModel):
    name = CharField()
    abbreviation = CharField(default="")
    font_color = CharField(default="#212529")
    background_color = CharField(default="#e9ecef")
    position = IntegerField(default=0)


class Status(ColouredTerm):
    entity_kind = CharField(choices=[(e, e) for e in STATUS_ENTITIES])

    class Meta:
        indexes = ((("entity_kind", "name"), True),)


class ActionType(ColouredTerm):
    class Meta:
        indexes = ((("name",), True),)


class Source(BaseModel):
    name = CharField(unique=True)


class Tag(BaseModel):
    name = CharField(unique=True)


class LossReason(BaseModel):
    name = CharField(unique=True)


class UnqualifiedReason(BaseModel):
    name = CharField(unique=True)


class RecordTag(BaseModel):
    """A tag on a lead, contact or deal."""

    tag = ForeignKeyField(Tag, on_delete="CASCADE", backref="uses")
    entity_kind = CharField()
    record_id = IntegerField()

    class Meta:
        indexes = ((("entity_kind", "record_id", "tag"), True),)
