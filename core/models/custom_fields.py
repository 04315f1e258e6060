"""Custom-field definitions; values live in each record's `custom` JSON column."""

from peewee import BooleanField, CharField, DateTimeField, IntegerField

from accord.core.models.base import BaseModel, JSONField

CUSTOM_FIELD_ENTITIES = ("lead", "contact", "company", "deal", "task")


class CustomField(BaseModel):
    entity = "custom_field"
    entity_kind = CharField(choices=[(e, e) for e in CUSTOM_FIELD_ENTITIES])
    key = CharField()
    label = CharField()
    type = CharField()  # a name from the field-type registry
    options = JSONField(default=dict)  # type-specific: choices, currency …
    required = BooleanField(default=False)
    position = IntegerField(default=0)
    show_in_list = BooleanField(default=False)
    filterable = BooleanField(default=False)
    archived_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("entity_kind", "key"), True),)

    @property
    def name(self):
        return self.label
