"""A list narrowed by its export columns (`accord export --filter KEY=VALUE --search T`)."""

import datetime as dt
import operator
from decimal import Decimal
from functools import reduce

from peewee import (
    AutoField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
)

from accord.core import access, custom_index
from accord.core.export import USER_COLUMNS, definitions, parse_datetime
from accord.core.fields import FieldError, field_type
from accord.core.models import RecordTag, Tag, User


class FilterError(ValueError):
    """A filter names an unknown column or a value it cannot compare."""


def _typed(model_field, text):
    if isinstance(model_field, BooleanField):
        low = text.strip().lower()
        if low not in ("yes", "no", "true", "false", "1", "0"):
            raise FilterError(f"{model_field.name}: expected yes or no, got {text!r}")
        return low in ("yes", "true", "1")
    try:
        if isinstance(model_field, DateTimeField):
            return parse_datetime(text)
        if isinstance(model_field, DateField):
            return dt.date.fromisoformat(text.strip())
        if isinstance(model_field, (IntegerField, AutoField)):
            return int(text)
        if isinstance(model_field, DecimalField):
            return Decimal(text)
    except (ValueError, ArithmeticError):
        raise FilterError(f"{model_field.name}: cannot read {text!r}") from None
    return text


def _custom_condition(spec, model, key, text):
    definition = next((d for d in definitions(spec) if d.key == key), None)
    if definition is None:
        raise FilterError(f"unknown custom field {key!r}")
    try:
        stored = field_type(definition).to_storage(field_type(definition).parse(text))
    except FieldError as exc:
        raise FilterError(f"custom.{key}: {exc}") from None
    if stored is None:
        return custom_index.expression(model, key).is_null()
    if isinstance(stored, bool):
        truth = custom_index.expression(model, key, "text")
        return truth.in_([1, "1", "true"]) if stored else ~truth.in_([1, "1", "true"])
    if isinstance(stored, (int, float)):
        return custom_index.expression(model, key, "number") == stored
    if isinstance(stored, str):
        return custom_index.expression(model, key, "text") == stored
    raise FilterError(f"custom.{key}: this field type cannot be filtered here")


def condition(spec, key, text):
    """`column == text` for a header key (owner_email, status, tags, custom.<key> …)."""
    model = spec.model
    if key.startswith("custom."):
        return _custom_condition(spec, model, key[len("custom.") :], text)
    if key not in spec.columns:
        raise FilterError(f"unknown column {key!r} (columns: {', '.join(spec.columns)})")
    if key == "tags":
        tagged = (
            RecordTag.select(RecordTag.record_id)
            .join(Tag)
            .where((RecordTag.entity_kind == model.entity) & (Tag.name == text))
        )
        return model.id.in_(tagged)
    name = USER_COLUMNS.get(key, key)
    model_field = model._meta.fields[name]
    if isinstance(model_field, ForeignKeyField):
        if not text:
            return model_field.is_null()
        target = model_field.rel_model
        label = target.email if target is User else target.name
        return model_field.in_(target.select(target.id).where(label == text))
    if not text and model_field.null:
        return model_field.is_null()
    return model_field == _typed(model_field, text)


def list_ids(spec, user, search=None, filters=()):
    """The ids of the records `user` sees in this list, narrowed by `search` (every word
    in one of the list's search fields) and `filters` ((key, text) pairs, all must hold)."""
    model = spec.model
    query = access.visible(spec.base_query(model.select(model.id)), user, model)
    for word in (search or "").split():
        term = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        matches = [getattr(model, name) ** term for name in spec.search]
        query = query.where(reduce(operator.or_, matches))
    for key, text in filters:
        query = query.where(condition(spec, key, text))
    return query
