"""Work attached to a record: tasks, appointments (with attendees), notes, documents."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from accord.core.models.base import BaseModel, utcnow
from accord.core.models.contacts import Contact, Lead
from accord.core.models.deals import Deal
from accord.core.models.records import LinkedRecord
from accord.core.models.users import User
from accord.core.models.vocabularies import ActionType, Status

# Reminder offsets in minutes before the due time (None: no reminder).
REMINDERS = {
    "": None,
    "1w": 7 * 24 * 60,
    "1d": 24 * 60,
    "1h": 60,
    "30m": 30,
    "15m": 15,
    "5m": 5,
    "due": 0,
}
ATTENDEE_RESPONSES = ("needs-action", "accepted", "declined", "tentative")


def _link(model, backref):
    return ForeignKeyField(model, null=True, on_delete="CASCADE", backref=backref, index=True)


class Task(LinkedRecord):
    entity = "task"
    content = TextField()
    due_at = DateTimeField(null=True, index=True)
    reminder = CharField(default="", choices=[(k, k) for k in REMINDERS])
    remind_at = DateTimeField(null=True, index=True)
    done = BooleanField(default=False)
    done_at = DateTimeField(null=True)
    creator = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    action_type = ForeignKeyField(ActionType, null=True, on_delete="SET NULL", backref="+")
    status = ForeignKeyField(Status, null=True, on_delete="SET NULL", backref="+")
    lead = _link(Lead, "tasks")
    contact = _link(Contact, "tasks")
    deal = _link(Deal, "tasks")

    class Meta:
        indexes = ((("owner", "done", "due_at"), False),)

    @property
    def name(self):
        return self.content[:80]


class Appointment(LinkedRecord):
    entity = "appointment"
    title = CharField()
    starts_at = DateTimeField(index=True)
    ends_at = DateTimeField()
    all_day = BooleanField(default=False)
    location = CharField(default="")
    description = TextField(default="")
    calendar = CharField(default="")
    ical_uid = CharField(unique=True)
    sequence = IntegerField(default=0)
    # Added by migration 2 (calendar).
    reminder = CharField(default="", choices=[(k, k) for k in REMINDERS])
    remind_at = DateTimeField(null=True, index=True)
    lead = _link(Lead, "appointments")
    contact = _link(Contact, "appointments")
    deal = _link(Deal, "appointments")

    class Meta:
        indexes = ((("owner", "starts_at"), False),)

    @property
    def name(self):
        return self.title


class Attendee(BaseModel):
    appointment = ForeignKeyField(Appointment, on_delete="CASCADE", backref="attendees")
    email = CharField()
    name = CharField(default="")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    response = CharField(default="needs-action", choices=[(r, r) for r in ATTENDEE_RESPONSES])
    responded_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("appointment", "email"), True),)


class Note(LinkedRecord):
    entity = "note"
    content = TextField()
    lead = _link(Lead, "notes")
    contact = _link(Contact, "notes")
    deal = _link(Deal, "notes")

    @property
    def name(self):
        return self.content[:80]


class Document(LinkedRecord):
    entity = "document"
    filename = CharField()
    content_type = CharField(default="application/octet-stream")
    size = IntegerField(default=0)
    # Files live under ACCORD_HOME/uploads/<storage_key>, never under a user-given name.
    storage_key = CharField(unique=True)
    lead = _link(Lead, "documents")
    contact = _link(Contact, "documents")
    deal = _link(Deal, "documents")
    uploaded_at = DateTimeField(default=utcnow)

    @property
    def name(self):
        return self.filename
