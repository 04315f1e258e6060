"""SQL over custom values: the expression that reads one key, and an index on it.

Filtering and sorting by a custom field must stay usable at a million records, so a field
marked filterable gets an expression index shaped exactly like the expression the lists
use (SQLite json_extract, PostgreSQL ->>, MySQL JSON_EXTRACT).
"""

import re

from peewee import Expression, MySQLDatabase, PostgresqlDatabase, fn

from accord.core.db import database

NUMERIC_TYPES = ("number",)
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _path(key, sub=None):
    if not _KEY.fullmatch(key or "") or (sub and not _KEY.fullmatch(sub)):
        raise ValueError(f"bad custom field key {key!r}")  # keys are checked at definition
    return f"$.{key}.{sub}" if sub else f"$.{key}"


def _sub(field_type_name):
    # Currency values are {"amount": …, "currency": …}: filter and sort by the amount.
    return "amount" if field_type_name == "currency" else None


def expression(model, key, field_type_name="text"):
    """A peewee expression for the stored value of `key` (numbers compare as numbers)."""
    sub = _sub(field_type_name)
    _path(key, sub)  # refuses a malformed key before it reaches SQL
    numeric = field_type_name in NUMERIC_TYPES or sub
    db = database.obj
    if isinstance(db, PostgresqlDatabase):
        # Same shape as create_index's expression, or PostgreSQL will not use the index.
        doc = model.custom.cast("jsonb")
        value = (
            Expression(Expression(doc, "->", key), "->>", sub)
            if sub
            else Expression(doc, "->>", key)
        )
        return value.cast("numeric") if numeric else value
    if isinstance(db, MySQLDatabase):
        extracted = fn.JSON_UNQUOTE(fn.JSON_EXTRACT(model.custom, _path(key, sub)))
        return extracted.cast("DECIMAL(30,6)") if numeric else extracted
    return fn.json_extract(model.custom, _path(key, sub))


def index_name(model, key):
    # People and companies share the contact table: the caller passes "company_vat" etc.
    return f"cf_{model._meta.table_name}_{key}"[:60]


def create_index(model, key, field_type_name="text", name_key=None):
    """CREATE INDEX for a filterable field (idempotent)."""
    _path(key)
    db = database.obj
    table = model._meta.table_name
    name = index_name(model, name_key or key)
    sub = _sub(field_type_name)
    numeric = field_type_name in NUMERIC_TYPES or sub
    if isinstance(db, PostgresqlDatabase):
        expr = f"custom::jsonb -> '{key}' ->> '{sub}'" if sub else f"custom::jsonb ->> '{key}'"
        expr = f"({expr})::numeric" if numeric else expr
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" (({expr}))')
    elif isinstance(db, MySQLDatabase):
        # MariaDB has no expression indexes (it would need a generated column): filters
        # still work there, unindexed. SQLite and PostgreSQL are the measured engines.
        return None
    else:
        path = _path(key, sub)
        db.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" (json_extract(custom, \'{path}\'))'
        )
    return name


def drop_index(model, key, name_key=None):
    db = database.obj
    name = index_name(model, name_key or key)
    if not isinstance(db, MySQLDatabase):
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
