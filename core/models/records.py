"""What every owned record carries: owner, timestamps, custom values, trash."""

from peewee import DateTimeField, ForeignKeyField

from accord.core.models.base import JSONField, Timestamped
from accord.core.models.users import User


class OwnedRecord(Timestamped):
    # Nullable: an unowned record is visible to restricted users, who may claim it.
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+", index=True)
    custom = JSONField(default=dict)


class TrashableRecord(OwnedRecord):
    # Deleting a main record moves it to the trash; admins can restore it (DESIGN §8).
    deleted_at = DateTimeField(null=True, index=True)


class LinkedRecord(OwnedRecord):
    """Tasks, appointments, notes and documents hang off a lead, contact or deal."""

    @property
    def linked(self):
        for name in ("deal", "contact", "lead"):
            if getattr(self, f"{name}_id", None):
                return getattr(self, name)
        return None
