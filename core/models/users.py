"""Users, teams, API tokens and the login throttle."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from accord.core.models.base import BaseModel, utcnow

ROLES = ("admin", "manager", "normal", "restricted")


class Team(BaseModel):
    entity = "team"
    name = CharField(unique=True)


class User(BaseModel):
    entity = "user"
    email = CharField(unique=True)
    first_name = CharField(default="")
    last_name = CharField(default="")
    password_hash = CharField(default="")
    role = CharField(default="normal", choices=[(r, r) for r in ROLES], index=True)
    manager = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="reports")
    team = ForeignKeyField(Team, null=True, on_delete="SET NULL", backref="members")
    signature = TextField(default="")
    avatar_key = CharField(null=True)
    locale = CharField(default="en")
    timezone = CharField(default="UTC")
    active = BooleanField(default=True)
    # Bumped on logout, password change and deactivation: every older session dies.
    session_version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    @property
    def name(self):
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email

    def __str__(self):
        return self.name


class ApiToken(BaseModel):
    entity = "api_token"
    user = ForeignKeyField(User, on_delete="CASCADE", backref="api_tokens")
    name = CharField(default="")
    # Only the SHA-256 of the token is kept; the prefix lets a user tell tokens apart.
    token_hash = CharField(unique=True)
    prefix = CharField()
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class LoginThrottle(BaseModel):
    """Failed logins per account (SECURITY A1)."""

    key = CharField(unique=True)
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_failure_at = DateTimeField(null=True)
