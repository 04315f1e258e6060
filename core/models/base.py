"""Base model, shared field types and the columns every owned record carries."""

import datetime as dt
import json
from decimal import Decimal

from peewee import DateTimeField, Model, TextField

from accord.core.db import database


def utcnow():
    # Naive UTC everywhere in the database; converted to the user's zone on display.
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class JSONField(TextField):
    """A JSON document in a text column (portable across SQLite, PostgreSQL and MySQL)."""

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        if value is None or isinstance(value, (dict, list)):
            return value
        return json.loads(value)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False

    # Key used in URLs, events, the policy table and activity rows.
    entity = None

    def __str__(self):
        return str(getattr(self, "name", None) or f"#{self.id}")


class Timestamped(BaseModel):
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)
