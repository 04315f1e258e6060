"""Custom-field definitions: define, change, archive and restore — never losing a value.

A field's key is fixed once created (values are stored under it); its label can change
freely. Changing the type converts every stored value through the old type's CSV form
into the new type, or refuses with the reason and an example when any value would not
convert.
"""

import re

from accord.core import access, custom_index, fields
from accord.core.db import write
from accord.core.fields import FieldError, field_type
from accord.core.i18n import gettext as _
from accord.core.models import CUSTOM_FIELD_ENTITIES, RECORD_MODELS, Contact, CustomField, utcnow
from accord.core.services import settings
from accord.core.services.errors import ValidationError

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
BATCH = 2000
EDITABLE = ("label", "type", "options", "required", "position", "show_in_list", "filterable")


def _check(kind, type_name, options):
    registry = fields.registry()
    if kind not in CUSTOM_FIELD_ENTITIES:
        raise ValidationError({"entity_kind": _("Unknown entity.")})
    cls = registry.get(type_name)
    if cls is None:
        raise ValidationError({"type": _("Unknown field type.")})
    try:
        return cls.clean_options(options or {})
    except FieldError as exc:
        raise ValidationError({"options": str(exc)}) from None


def define(actor, entity_kind, key, label, type, options=None, **flags):
    access.check(actor, "settings")
    key = (key or "").strip()
    if not KEY.fullmatch(key):
        raise ValidationError(
            {"key": _("Use lowercase letters, digits and _ (starting with a letter).")}
        )
    if not (label or "").strip():
        raise ValidationError({"label": _("A field needs a label.")})
    options = _check(entity_kind, type, options)
    if (
        CustomField.select()
        .where((CustomField.entity_kind == entity_kind) & (CustomField.key == key))
        .exists()
    ):
        raise ValidationError(
            {"key": _("This key is used already (perhaps by an archived field).")}
        )
    unknown = set(flags) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    field = settings.create(
        actor,
        CustomField,
        {
            "entity_kind": entity_kind,
            "key": key,
            "label": label.strip(),
            "type": type,
            "options": options,
            **flags,
        },
    )
    _sync_index(field)
    return field


def _sync_index(field):
    """Filterable, active fields get an expression index; others lose theirs."""
    model, _ = _records(field.entity_kind)
    key = f"{field.entity_kind}_{field.key}"
    if field.filterable and field.archived_at is None:
        custom_index.create_index(model, field.key, field.type, name_key=key)
    else:
        custom_index.drop_index(model, field.key, name_key=key)


def _records(kind):
    if kind == "company":
        return Contact, Contact.is_organization
    model = RECORD_MODELS[kind]
    if kind == "contact":
        return model, ~Contact.is_organization
    return model, None


def _convert_all(field, new_definition):
    """Convert stored values in batches; returns the number converted or raises."""
    model, condition = _records(field.entity_kind)
    old_type, new_type = field_type(field), field_type(new_definition)
    last_id, failures, pending = 0, [], []
    while True:
        query = model.select(model.id, model.custom).where(model.id > last_id)
        if condition is not None:
            query = query.where(condition)
        rows = list(query.order_by(model.id).limit(BATCH))
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            stored = (row.custom or {}).get(field.key)
            if stored is None:
                continue
            text = stored
            try:
                text = old_type.to_csv(old_type.from_storage(stored))
                value = new_type.to_storage(new_type.from_csv(text))
            except (FieldError, ValueError, TypeError, KeyError) as exc:
                failures.append((row.id, text, str(exc)))
                continue
            pending.append((row, value))
    if failures:
        record_id, value, reason = failures[0]
        raise ValidationError(
            {
                "type": _(
                    "%(n)s value(s) cannot become the new type, e.g. record #%(id)s: "
                    "%(value)s (%(reason)s). Nothing was changed.",
                    n=len(failures),
                    id=record_id,
                    value=str(value)[:60],
                    reason=reason,
                )
            }
        )
    for row, value in pending:
        model.update(custom={**row.custom, field.key: value}).where(model.id == row.id).execute()
    return len(pending)


def change(actor, field, **data):
    """Change label, type, options or flags; the key and entity stay."""
    access.check(actor, "settings")
    for fixed in ("key", "entity_kind"):
        if fixed in data and data[fixed] != getattr(field, fixed):
            raise ValidationError(
                {
                    fixed: _(
                        "The key and entity of a field cannot change: its values live under them."
                    )
                }
            )
        data.pop(fixed, None)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    new_type = data.get("type", field.type)
    options = data.get("options", field.options)
    data["options"] = _check(field.entity_kind, new_type, options)
    with write():
        if new_type != field.type or data["options"] != (field.options or {}):
            candidate = CustomField(
                **{**field.__data__, "type": new_type, "options": data["options"]}
            )
            _convert_all(field, candidate)
        return settings.update(actor, field, data)


def archive(actor, field):
    """Hide the field everywhere; its values stay stored and come back on restore."""
    field = settings.update(actor, field, {"archived_at": utcnow()})
    _sync_index(field)
    return field


def restore(actor, field):
    field = settings.update(actor, field, {"archived_at": None})
    _sync_index(field)
    return field
