"""Contacts (people and organizations) and leads."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, TextField

from accord.core.models.records import TrashableRecord
from accord.core.models.vocabularies import Source, Status

CUSTOMER_STATUSES = ("none", "prospect", "customer")
# How to reach a lead or contact, and where: the same columns on both, in this order.
REACH_FIELDS = ("email", "phone", "mobile", "website")
ADDRESS_FIELDS = ("street", "city", "postal_code", "region", "country")


class Contact(TrashableRecord):
    entity = "contact"
    is_organization = BooleanField(default=False, index=True)
    # Full name of a person or the organization's name; kept by the service layer.
    name = CharField(index=True)
    first_name = CharField(default="")
    last_name = CharField(default="")
    organization = ForeignKeyField(
        "self", null=True, on_delete="SET NULL", backref="people", index=True
    )
    title = CharField(default="")
    email = CharField(default="", index=True)
    phone = CharField(default="", index=True)
    mobile = CharField(default="")
    website = CharField(default="")
    street = CharField(default="")
    city = CharField(default="")
    postal_code = CharField(default="")
    region = CharField(default="")
    country = CharField(default="")
    customer_status = CharField(
        default="none", choices=[(s, s) for s in CUSTOMER_STATUSES], index=True
    )
    status = ForeignKeyField(Status, null=True, on_delete="SET NULL", backref="+")
    source = ForeignKeyField(Source, null=True, on_delete="SET NULL", backref="+")
    description = TextField(default="")

    class Meta:
        indexes = ((("owner", "updated_at"), False),)


class Lead(TrashableRecord):
    entity = "lead"
    # "First Last", else the organization name; kept by the service layer.
    name = CharField(index=True)
    first_name = CharField(default="")
    last_name = CharField(default="", index=True)
    organization_name = CharField(default="")
    title = CharField(default="")
    email = CharField(default="", index=True)
    phone = CharField(default="", index=True)
    mobile = CharField(default="")
    website = CharField(default="")
    street = CharField(default="")
    city = CharField(default="")
    postal_code = CharField(default="")
    region = CharField(default="")
    country = CharField(default="")
    status = ForeignKeyField(Status, null=True, on_delete="SET NULL", backref="+")
    source = ForeignKeyField(Source, null=True, on_delete="SET NULL", backref="+")
    description = TextField(default="")
    converted_at = DateTimeField(null=True)
    converted_contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        indexes = ((("owner", "updated_at"), False),)
