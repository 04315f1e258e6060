"""Pipelines and their stages."""

from peewee import BooleanField, CharField, ForeignKeyField, IntegerField

from accord.core.models.base import BaseModel

STAGE_CATEGORIES = ("active", "won", "lost", "unqualified")


class Pipeline(BaseModel):
    entity = "pipeline"
    name = CharField(unique=True)
    position = IntegerField(default=0)
    is_default = BooleanField(default=False)


class Stage(BaseModel):
    entity = "stage"
    pipeline = ForeignKeyField(Pipeline, on_delete="CASCADE", backref="stages")
    name = CharField()
    position = IntegerField(default=0)
    category = CharField(default="active", choices=[(c, c) for c in STAGE_CATEGORIES])
    likelihood = IntegerField(default=0)

    class Meta:
        indexes = ((("pipeline", "name"), True), (("pipeline", "position"), False))

    @property
    def is_closed(self):
        return self.category != "active"

    def __str__(self):
        return self.name
