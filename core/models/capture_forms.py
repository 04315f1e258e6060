"""Public lead-capture forms (issue 5): the form an admin defines and the per-IP rate
limit of its submissions (a table, so the limit holds across web processes)."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from accord.core.models.base import BaseModel, JSONField, Timestamped, utcnow
from accord.core.models.users import User
from accord.core.models.vocabularies import Source

# How a captured lead gets its owner.
ASSIGNMENTS = ("owner", "round_robin", "none")


class CaptureForm(Timestamped):
    entity = "capture_form"
    name = CharField()
    # The secret part of the public URL /forms/<token>; a new token retires the old URL.
    token = CharField(unique=True)
    # Lead field names and "custom.<key>" entries the public may fill, in order.
    fields = JSONField(default=list)
    required = JSONField(default=list)
    source = ForeignKeyField(Source, null=True, on_delete="SET NULL", backref="+")
    assignment = CharField(default="owner", choices=[(a, a) for a in ASSIGNMENTS])
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    # Round robin: the users taking turns, and how many leads were handed out so far.
    assignees = JSONField(default=list)
    assigned_count = IntegerField(default=0)
    thank_you = TextField(default="")
    active = BooleanField(default=True, index=True)
    creator = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")


class CaptureHit(BaseModel):
    """Submissions of one IP to one form in one time window (fixed-window rate limit)."""

    form = ForeignKeyField(CaptureForm, on_delete="CASCADE", backref="+")
    ip = CharField(max_length=64)
    window_start = DateTimeField(default=utcnow, index=True)
    hits = IntegerField(default=0)

    class Meta:
        indexes = ((("form", "ip", "window_start"), True),)


# In dependency order; appended to CORE_MODELS.
MODELS = [CaptureForm, CaptureHit]
