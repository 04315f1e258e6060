"""Settings writes: vocabularies, pipelines and stages, teams, custom-field definitions.

Only users with the "settings" right (admins) change these; every change is audited.
"""

from peewee import IntegrityError

from accord.core import access
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import Activity, utcnow
from accord.core.services.activity import plain
from accord.core.services.errors import ValidationError


def _kind(obj):
    return getattr(obj, "entity", None) or obj._meta.table_name


def _log(actor, verb, obj, changes=None):
    Activity.create(
        created_at=utcnow(),
        actor=getattr(actor, "id", None),
        verb=verb,
        entity_kind=_kind(obj),
        record_id=obj.id,
        record_name=str(obj)[:255],
        owner_id=None,
        changes={k: [plain(a), plain(b)] for k, (a, b) in (changes or {}).items()},
    )


def _fields(model, data):
    unknown = [k for k in data if k not in model._meta.fields or k == "id"]
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})


def create(actor, model, data):
    access.check(actor, "settings")
    _fields(model, data)
    try:
        with write():
            obj = model.create(**data)
            _log(actor, "created", obj)
    except IntegrityError:
        raise ValidationError({"name": _("This name is already used.")}) from None
    return obj


def update(actor, obj, data):
    access.check(actor, "settings")
    _fields(type(obj), data)
    before = dict(obj.__data__)
    for key, value in data.items():
        setattr(obj, key, value)
    changes = {k: (before.get(k), v) for k, v in obj.__data__.items() if before.get(k) != v}
    if not changes:
        return obj
    try:
        with write():
            obj.save()
            _log(actor, "updated", obj, changes)
    except IntegrityError:
        raise ValidationError({"name": _("This name is already used.")}) from None
    return obj


def delete(actor, obj):
    access.check(actor, "settings")
    try:
        with write():
            _log(actor, "deleted", obj)
            obj.delete_instance()
    except IntegrityError:
        raise ValidationError({"": _("It is still in use, so it cannot be deleted.")}) from None
    return obj
