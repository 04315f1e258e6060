"""Custom-field values: checked by their field type, kept in the record's `custom` JSON."""

from accord.core.fields import FieldError, field_type
from accord.core.i18n import lazy_gettext as _
from accord.core.models import CustomField


def entity_kind(record_or_model, is_organization=None):
    """The custom-field entity of a record: companies are organization contacts."""
    kind = record_or_model.entity
    if kind == "contact":
        org = (
            getattr(record_or_model, "is_organization", None)
            if is_organization is None
            else is_organization
        )
        if org is True:
            return "company"
    return kind


def definitions(kind, include_archived=False):
    query = CustomField.select().where(CustomField.entity_kind == kind)
    if not include_archived:
        query = query.where(CustomField.archived_at.is_null())
    return list(query.order_by(CustomField.position, CustomField.id))


def clean(kind, raw, current=None, creating=False):
    """Parse `raw` ({key: input}) into storage values merged over `current`.

    Returns (values, errors) where errors maps "custom.<key>" to a message. Unknown or
    archived keys are refused (nothing is silently dropped); archived values already
    stored are kept untouched.
    """
    values = dict(current or {})
    errors = {}
    active = {d.key: d for d in definitions(kind)}
    for key, value in (raw or {}).items():
        definition = active.get(key)
        if definition is None:
            errors[f"custom.{key}"] = _("Unknown custom field.")
            continue
        try:
            ftype = field_type(definition)
            parsed = ftype.parse(value)
        except FieldError as exc:
            errors[f"custom.{key}"] = str(exc)
            continue
        if parsed is None:
            values.pop(key, None)
        else:
            values[key] = ftype.to_storage(parsed)
    for key, definition in active.items():
        if (
            definition.required
            and values.get(key) in (None, "", [])
            and (creating or key in (raw or {}))
        ):
            errors[f"custom.{key}"] = _("This field is required.")
    return values, errors


def display(record, locale="en"):
    """[(definition, text)] for the record's active fields, in order."""
    stored = record.custom or {}
    rows = []
    for definition in definitions(entity_kind(record)):
        value = stored.get(definition.key)
        try:
            ftype = field_type(definition)
            text = ftype.format(ftype.from_storage(value), locale) if value is not None else ""
        except (FieldError, ValueError, TypeError, KeyError):
            text = str(value)  # a stored value the type no longer reads: show it, never lose it
        rows.append((definition, text))
    return rows
