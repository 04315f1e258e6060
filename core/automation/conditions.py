"""Automation conditions: rows of (field, operator, value), joined by "all" or "any".

Fields: company, pipeline, stage, owner, team, source, status, value, tags, and every
custom field of the record's kind (`custom.<key>`) with its type's operators. Values name
things by id or by name when an admin saves; they are stored as ids (a renamed stage
keeps its conditions) and evaluated in Python against the record.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from peewee import fn

from accord.core.fields import FieldError, field_type
from accord.core.i18n import lazy_gettext as _
from accord.core.models import (
    Contact,
    CustomField,
    Pipeline,
    RecordTag,
    Source,
    Stage,
    Status,
    Tag,
    Team,
    User,
)

OPERATOR_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "contains": _("contains"),
    "lt": _("is less than"),
    "gt": _("is more than"),
    "between": _("is between"),
    "any_of": _("is any of"),
    "all_of": _("has all of"),
    "none_of": _("has none of"),
    "empty": _("is empty"),
    "not_empty": _("is not empty"),
}
NO_VALUE = ("empty", "not_empty")
MULTI = ("any_of", "all_of", "none_of")


class ConditionError(ValueError):
    """A condition row that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Subject:
    """A field conditions can test: how to read it from a record and parse a value."""

    key: str
    label: str
    operators: tuple
    entities: tuple  # record kinds that have it
    model: object = None  # for id-or-name lookups
    read: object = None  # record -> value (an id, a Decimal, a list …)


def _company_id(record):
    if record.entity == "deal":
        return record.organization_id
    if record.entity == "contact":
        return record.id if record.is_organization else record.organization_id
    return None


def _team_id(record):
    if not record.owner_id:
        return None
    owner = User.get_or_none(User.id == record.owner_id)
    return owner.team_id if owner else None


def _tags(record):
    rows = RecordTag.select(RecordTag.tag).where(
        (RecordTag.entity_kind == record.entity) & (RecordTag.record_id == record.id)
    )
    return [row.tag_id for row in rows]


FK_OPS = ("eq", "ne", "any_of", "empty", "not_empty")
BUILT_IN = [
    Subject("company", _("Company"), FK_OPS, ("deal", "contact"), Contact, _company_id),
    Subject("pipeline", _("Pipeline"), ("eq", "ne", "any_of"), ("deal",), Pipeline),
    Subject("stage", _("Stage"), ("eq", "ne", "any_of"), ("deal",), Stage),
    Subject("owner", _("Owner"), FK_OPS, ("deal", "contact", "lead", "task", "appointment"), User),
    Subject(
        "team", _("Team of the owner"), FK_OPS, ("deal", "contact", "lead", "task"), Team, _team_id
    ),
    Subject("source", _("Source"), FK_OPS, ("deal", "contact", "lead"), Source),
    Subject("status", _("Status"), FK_OPS, ("lead", "contact", "task"), Status),
    Subject("value", _("Value"), ("eq", "lt", "gt", "between"), ("deal",)),
    Subject(
        "tags",
        _("Tags"),
        ("any_of", "all_of", "none_of", "empty", "not_empty"),
        ("deal", "contact", "lead"),
        Tag,
        _tags,
    ),
]
BY_KEY = {s.key: s for s in BUILT_IN}


def _custom_kinds(entity):
    return ("contact", "company") if entity == "contact" else (entity,)


def subjects(entity):
    """[(key, label, operators)] a condition on `entity` records may test (None: any)."""
    out = [
        (s.key, s.label, s.operators) for s in BUILT_IN if entity is None or entity in s.entities
    ]
    if entity is not None:
        fields = CustomField.select().where(
            CustomField.entity_kind.in_(_custom_kinds(entity)) & CustomField.archived_at.is_null()
        )
        for definition in fields.order_by(CustomField.position, CustomField.id):
            try:
                ops = tuple(field_type(definition).operators)
            except FieldError:
                continue
            out.append((f"custom.{definition.key}", definition.label, ops))
    return out


def _lookup(model, text):
    """An id or a name -> the row's id; stage names may be written "Pipeline › Stage"."""
    text = str(text).strip()
    if text.isdigit():
        row = model.get_or_none(model.id == int(text))
        if row is not None:
            return row.id
    if model is User:
        rows = [u for u in User.select() if text.lower() in (u.email.lower(), u.name.lower())]
    elif model is Stage:
        query = Stage.select(Stage, Pipeline).join(Pipeline)
        for sep in ("›", ">", "/"):
            if sep in text:
                pipe, _sep, name = text.partition(sep)
                query = query.where(fn.LOWER(Pipeline.name) == pipe.strip().lower())
                text = name.strip()
                break
        rows = list(query.where(fn.LOWER(Stage.name) == text.lower()))
        if len(rows) > 1:
            raise ConditionError(
                _("%(name)s is a stage in several pipelines: write Pipeline › Stage.", name=text)
            )
    else:
        rows = list(model.select().where(fn.LOWER(model.name) == text.lower()))
    if not rows:
        raise ConditionError(_("Unknown: %(name)s.", name=text[:80]))
    return rows[0].id


def _split(value):
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [
        part for part in (p.strip() for p in str(value or "").replace(";", ",").split(",")) if part
    ]


def _decimal(text):
    try:
        return Decimal(str(text).strip().replace(" ", ""))
    except InvalidOperation:
        raise ConditionError(_("Enter a number.")) from None


def _range(value):
    parts = value if isinstance(value, (list, tuple)) else str(value).replace("..", "-").split("-")
    parts = [p for p in (str(p).strip() for p in parts) if p]
    if len(parts) != 2:
        raise ConditionError(_("Enter a range like 100..500."))
    return [str(_decimal(parts[0])), str(_decimal(parts[1]))]


def _definition(entity, key):
    return (
        CustomField.select()
        .where(CustomField.entity_kind.in_(_custom_kinds(entity)) & (CustomField.key == key))
        .first()
    )


def clean_rule(entity, rule):
    """Validate one row; returns it with the value stored as ids / numbers / type values."""
    key, op, value = rule.get("field") or "", rule.get("op") or "", rule.get("value")
    allowed = {k: ops for k, _label, ops in subjects(entity)}
    if key not in allowed:
        raise ConditionError(_("This field cannot be tested for this trigger."))
    if op not in allowed[key]:
        raise ConditionError(_("This operator does not apply to this field."))
    if op in NO_VALUE:
        return {"field": key, "op": op, "value": None}
    if value in (None, "", []):
        raise ConditionError(_("Enter a value."))
    if key.startswith("custom."):
        definition = _definition(entity, key[7:])
        ftype = field_type(definition)
        try:
            if op == "between":
                parts = _split(value) if "," in str(value) else str(value).split("..")
                if len(parts) != 2:
                    raise ConditionError(_("Enter a range like 100..500."))
                stored = [ftype.to_storage(ftype.parse(p)) for p in parts]
            elif op in MULTI:
                stored = []
                for part in _split(value):
                    one = ftype.to_storage(ftype.parse(part))
                    # A multi-select parses one choice into a list of one key.
                    stored.extend(one if isinstance(one, list) else [one])
            elif op == "contains":
                stored = str(value).strip()
            else:
                stored = ftype.to_storage(ftype.parse(value))
        except FieldError as exc:
            raise ConditionError(str(exc)) from None
        return {"field": key, "op": op, "value": stored}
    subject = BY_KEY[key]
    if key == "value":
        stored = _range(value) if op == "between" else str(_decimal(value))
    elif op in MULTI:
        stored = [_lookup(subject.model, part) for part in _split(value)]
    else:
        stored = _lookup(subject.model, value)
    return {"field": key, "op": op, "value": stored}


def display_value(rule):
    """A saved value as an admin typed it (names, not ids)."""
    key, value = rule.get("field", ""), rule.get("value")
    if value is None:
        return ""
    subject = BY_KEY.get(key)
    if subject is None or subject.model is None:
        if isinstance(value, list):
            return (
                "..".join(map(str, value))
                if rule.get("op") == "between"
                else ", ".join(map(str, value))
            )
        return "" if isinstance(value, dict) else str(value)
    ids = value if isinstance(value, list) else [value]
    rows = {r.id: r for r in subject.model.select().where(subject.model.id.in_(ids))}
    names = []
    for i in ids:
        row = rows.get(i)
        if row is None:
            names.append(str(i))
        elif subject.model is Stage:
            names.append(f"{row.pipeline.name} › {row.name}")
        else:
            names.append(row.name)
    return ", ".join(names)


# Evaluation --------------------------------------------------------------------------


def _read(record, key):
    if key.startswith("custom."):
        return (record.custom or {}).get(key[7:])
    subject = BY_KEY[key]
    if subject.read is not None:
        return subject.read(record)
    if key == "value":
        return Decimal(str(record.value or 0))
    return getattr(record, f"{key}_id", None)


def _comparable(value):
    """Stored custom values compare as numbers (currency by amount) or text."""
    if isinstance(value, dict) and "amount" in value:
        return Decimal(str(value["amount"]))
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    return value


def _empty(value):
    return value in (None, "", [], {})


def _text(value):
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None else str(value)


def holds(rule, record):
    """Does one saved row hold for `record`? A field the record lacks never holds."""
    key, op, wanted = rule["field"], rule["op"], rule.get("value")
    if not key.startswith("custom.") and record.entity not in BY_KEY[key].entities:
        return False
    actual = _read(record, key)
    if op == "empty":
        return _empty(actual)
    if op == "not_empty":
        return not _empty(actual)
    if op == "contains":
        return str(wanted).lower() in _text(actual).lower()
    if op in MULTI:
        have = set(map(str, actual)) if isinstance(actual, list) else {str(actual)}
        want = set(map(str, wanted))
        if op == "any_of":
            return bool(have & want)
        if op == "all_of":
            return want <= have
        return not (have & want)
    if key == "value":
        actual = Decimal(str(actual))
        wanted = [Decimal(w) for w in wanted] if op == "between" else Decimal(wanted)
    else:
        actual = _comparable(actual)
        wanted = [_comparable(w) for w in wanted] if op == "between" else _comparable(wanted)
    if op == "eq":
        return actual == wanted
    if op == "ne":
        return actual != wanted
    if actual is None:
        return False
    try:
        if op == "lt":
            return actual < wanted
        if op == "gt":
            return actual > wanted
        if op == "between":
            return wanted[0] <= actual <= wanted[1]
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op!r}")


def evaluate(conditions, record):
    """All/any of the rows; no rows always holds."""
    rules = (conditions or {}).get("rules") or []
    if not rules:
        return True
    if record is None:
        return False
    results = (holds(rule, record) for rule in rules)
    return any(results) if conditions.get("match") == "any" else all(results)


def explain(conditions, record):
    """[(rule, held)] for "test against a record"."""
    return [
        (rule, record is not None and holds(rule, record))
        for rule in (conditions or {}).get("rules") or []
    ]


def clean(entity, conditions):
    """Validate a whole conditions block; returns (cleaned, {row index: message})."""
    conditions = conditions or {}
    match = conditions.get("match") if conditions.get("match") in ("all", "any") else "all"
    rules, errors = [], {}
    for index, rule in enumerate(conditions.get("rules") or []):
        try:
            rules.append(clean_rule(entity, rule))
        except ConditionError as exc:
            errors[index] = str(exc)
    return {"match": match, "rules": rules}, errors


__all__ = ["clean", "evaluate", "explain", "subjects", "display_value", "OPERATOR_LABELS"]
