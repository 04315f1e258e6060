"""Calendar: private feed tokens of users and the company logo used in invitations (issue 5).

RSVP links need no table: they are signed (itsdangerous) with the attendee's id.
"""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from accord.core.models.base import BaseModel, utcnow
from accord.core.models.users import User


class CalendarFeedToken(BaseModel):
    """One live feed token per user; only its SHA-256 is kept, so it is shown once."""

    entity = "calendar_feed_token"
    user = ForeignKeyField(User, unique=True, on_delete="CASCADE", backref="+")
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)


class CompanyLogo(BaseModel):
    """Uploaded logos; the newest row is the current one. Files live under
    ACCORD_HOME/branding/<storage_key>, never under a name the uploader chose."""

    entity = "company_logo"
    storage_key = CharField(unique=True)
    content_type = CharField()
    size = IntegerField()
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    uploaded_at = DateTimeField(default=utcnow)


# In dependency order; appended to CORE_MODELS.
MODELS = [CalendarFeedToken, CompanyLogo]
