"""Create, update, delete, restore, assign and claim any owned record.

The back office, CLI, importers, jobs and plugins all write through here: the access
policy, mass-assignment guard, derived fields, activity log and outbox event happen in
one place, in one transaction.
"""

import datetime as dt
import uuid

from peewee import ForeignKeyField

from accord.core import access, custom_values, events
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import (
    RECORD_MODELS,
    Contact,
    Deal,
    Lead,
    Pipeline,
    Stage,
    Status,
    Task,
    TrashableRecord,
    User,
    utcnow,
)
from accord.core.models.work import REMINDERS, Appointment
from accord.core.services import activity, tags
from accord.core.services.errors import Forbidden, NotFound, ValidationError

# Never taken from input: set by the services themselves (SECURITY B10).
PROTECTED = {
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "owner",
    "creator",
    "custom",
    "converted_at",
    "converted_contact",
    "last_stage_change_at",
    "closed_at",
    "pipeline",
    "storage_key",
    "ical_uid",
    "sequence",
    "remind_at",
    "done_at",
    "size",
    "uploaded_at",
}

_UNSET = object()


def get(model, record_id, user):
    """The record if `user` may see it, else NotFound (never tells which)."""
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise NotFound(model.entity) from None
    record = access.visible(model.select(), user, model).where(model.id == record_id).first()
    if record is None:
        raise NotFound(model.entity)
    return record


def _owner_id(value):
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value.id
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"owner": _("Unknown user.")}) from None


def _check_owner(user, owner_id, record=None):
    if (
        owner_id is not None
        and not User.select().where((User.id == owner_id) & User.active).exists()
    ):
        raise ValidationError({"owner": _("Unknown or inactive user.")})
    if not access.can_assign(user, owner_id, record):
        raise Forbidden("owner")


def _clean(user, model, data):
    """Keep only writable model fields; linked records must be visible to `user`."""
    fields = model._meta.fields
    clean, errors = {}, {}
    for key, value in data.items():
        name = key[:-3] if key.endswith("_id") and key[:-3] in fields else key
        if name in PROTECTED:
            raise Forbidden(name)
        field = fields.get(name)
        if field is None:
            errors[key] = _("Unknown field.")
            continue
        if isinstance(field, ForeignKeyField) and value not in (None, ""):
            value = _resolve_link(user, field, value)
            if value is None:
                errors[name] = _("Not found.")
                continue
        elif isinstance(field, ForeignKeyField):
            value = None
        clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _resolve_link(user, field, value):
    target = field.rel_model
    target_id = value.id if hasattr(value, "id") else value
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        return None
    query = target.select().where(target.id == target_id)
    if getattr(target, "entity", None) in RECORD_MODELS:
        # Linking to a record the user cannot see would reveal it (SECURITY B7).
        query = access.visible(query, user, target)
    return query.first()


# Derived fields, per model ---------------------------------------------------------


def _derive_person_name(record):
    return f"{record.first_name or ''} {record.last_name or ''}".strip()


def _derive_contact(record, changed, is_new):
    if record.is_organization:
        record.first_name = record.last_name = ""
        record.organization = None
        if not (record.name or "").strip():
            raise ValidationError({"name": _("An organization needs a name.")})
    else:
        record.name = _derive_person_name(record)
        if not record.name:
            raise ValidationError({"last_name": _("A person needs a first or last name.")})
        if record.organization_id is not None and not record.organization.is_organization:
            raise ValidationError({"organization": _("Choose an organization.")})


def _derive_lead(record, changed, is_new):
    record.name = _derive_person_name(record) or (record.organization_name or "").strip()
    if not record.name:
        raise ValidationError({"last_name": _("A lead needs a name or an organization.")})
    if is_new and record.status_id is None:
        # A new lead starts in the first lead status ("New" in the seeds).
        record.status = (
            Status.select()
            .where(Status.entity_kind == "lead")
            .order_by(Status.position, Status.id)
            .first()
        )


def default_stage(pipeline=None):
    pipeline = (
        pipeline
        or Pipeline.select()
        .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
        .first()
    )
    return (
        Stage.select()
        .where((Stage.pipeline == pipeline) & (Stage.category == "active"))
        .order_by(Stage.position)
        .first()
    )


def _derive_deal(record, changed, is_new):
    if not (record.name or "").strip():
        raise ValidationError({"name": _("A deal needs a name.")})
    if record.stage_id is None:
        record.stage = default_stage()
        if record.stage is None:
            raise ValidationError({"stage": _("Create a pipeline with a stage first.")})
    if is_new or "stage" in changed:
        record.pipeline = record.stage.pipeline_id
        record.last_stage_change_at = utcnow()
        record.closed_at = utcnow() if record.stage.is_closed else None
    if record.value is None or record.value == "":
        record.value = 0
    if record.value is not None and float(record.value) < 0:
        raise ValidationError({"value": _("The value cannot be negative.")})
    if record.probability is not None and not 0 <= int(record.probability) <= 100:
        raise ValidationError({"probability": _("Enter a percentage from 0 to 100.")})


def _remind_at(record, when):
    if record.reminder not in REMINDERS:
        raise ValidationError({"reminder": _("Unknown reminder.")})
    minutes = REMINDERS[record.reminder or ""]
    if minutes is not None and when is None:
        raise ValidationError({"reminder": _("A reminder needs a due time.")})
    return when - dt.timedelta(minutes=minutes) if minutes is not None else None


def _derive_task(record, changed, is_new):
    if not (record.content or "").strip():
        raise ValidationError({"content": _("A task needs a text.")})
    record.remind_at = _remind_at(record, record.due_at)
    if "done" in changed or is_new:
        record.done_at = utcnow() if record.done else None


def _derive_appointment(record, changed, is_new):
    if not (record.title or "").strip():
        raise ValidationError({"title": _("An appointment needs a title.")})
    if record.starts_at is None:
        raise ValidationError({"starts_at": _("Enter a start.")})
    if record.ends_at is None:
        record.ends_at = record.starts_at
    if record.ends_at < record.starts_at:
        raise ValidationError({"ends_at": _("The end is before the start.")})
    record.remind_at = _remind_at(record, record.starts_at)
    if is_new:
        record.ical_uid = f"{uuid.uuid4().hex}@accord"
    elif changed:
        record.sequence = (record.sequence or 0) + 1


def _derive_text(field_name):
    def derive(record, changed, is_new):
        if not (getattr(record, field_name) or "").strip():
            raise ValidationError({field_name: _("This field is required.")})

    return derive


DERIVE = {
    Contact: _derive_contact,
    Lead: _derive_lead,
    Deal: _derive_deal,
    Task: _derive_task,
    Appointment: _derive_appointment,
}


def derive(record, changed, is_new):
    handler = DERIVE.get(type(record))
    if handler is None and "content" in type(record)._meta.fields:
        handler = _derive_text("content")
    if handler:
        handler(record, changed, is_new)


def _apply_custom(record, raw, creating):
    """Validate custom-field input through each field's type (DESIGN §6)."""
    if raw is not None and not isinstance(raw, dict):
        raise ValidationError({"custom": _("Custom fields must be given by key.")})
    if not creating and not raw:
        return
    values, errors = custom_values.clean(
        custom_values.entity_kind(record), raw, current=record.custom, creating=creating
    )
    if errors:
        raise ValidationError(errors)
    record.custom = values


def _changes(record, before):
    after = record.__data__
    return {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}


def _event_name(record, suffix):
    return f"{record.entity}.{suffix}"


# The services --------------------------------------------------------------------


def create(user, model, data, owner=_UNSET, owner_of=None, **extra):
    """Create a record as `user`. `owner` defaults to the user; `extra` are trusted fields.

    `owner_of`: a record whose owner the new one inherits (a converted lead): keeping
    that owner is not an assignment, so the user's assign rights do not apply to it.
    """
    if not access.can(user, "create"):
        raise Forbidden("create")
    owner_id = access.default_owner_id(user) if owner is _UNSET else _owner_id(owner)
    _check_owner(user, owner_id, owner_of)
    data = dict(data)
    raw_custom = data.pop("custom", None)
    new_tags = tags.resolve(data.pop("tags")) if "tags" in data else None
    clean = _clean(user, model, data)
    record = model(**clean, **extra)
    record.owner = owner_id
    if "creator" in model._meta.fields and "creator" not in extra:
        record.creator = getattr(user, "id", None)
    _apply_custom(record, raw_custom, creating=True)
    derive(record, set(clean), True)
    with write():
        record.save(force_insert=True)
        if new_tags:
            tags.set_tags(record, new_tags)
        activity.log(user, "created", record)
        events.emit(_event_name(record, "created"), record, user)
    return record


def update(user, record, data, owner=_UNSET):
    """Change fields of `record` as `user`; emits specific events for stage, status, owner."""
    if not access.can(user, "edit", record):
        raise Forbidden("edit")
    data = dict(data)
    raw_custom = data.pop("custom", None)
    new_tags = tags.resolve(data.pop("tags")) if "tags" in data else None
    clean = _clean(user, type(record), data)
    before = dict(record.__data__)
    if raw_custom is not None:
        _apply_custom(record, raw_custom, creating=False)
    if owner is not _UNSET:
        owner_id = _owner_id(owner)
        _check_owner(user, owner_id, record)
        record.owner = owner_id
    for key, value in clean.items():
        setattr(record, key, value)
    changed = {k for k in record.__data__ if record.__data__.get(k) != before.get(k)}
    if new_tags is not None and sorted(t.id for t in new_tags) != tags.tag_ids(record):
        changed.add("tags")
    if not changed:
        return record
    derive(record, changed, False)
    record.updated_at = utcnow()
    changes = _changes(record, before)
    changes.pop("updated_at", None)
    with write():
        record.save()
        if "tags" in changed:
            changes["tags"] = tags.set_tags(record, new_tags)
        activity.log(user, "updated", record, changes)
        events.emit(_event_name(record, "updated"), record, user, changes=sorted(changes))
        for fieldname, suffix in (
            ("owner", "owner_changed"),
            ("stage", "stage_changed"),
            ("status", "status_changed"),
        ):
            if fieldname in changes:
                old, new = changes[fieldname]
                events.emit(_event_name(record, suffix), record, user, old=old, new=new)
        if isinstance(record, Task) and "done" in changes and record.done:
            # Automations and notifications react to a task becoming done.
            events.emit("task.completed", record, user)
    return record


def delete(user, record):
    """Trash a main record (restorable by admins) or delete a dependent one."""
    if not access.can(user, "delete", record):
        raise Forbidden("delete")
    with write():
        activity.log(user, "deleted", record)
        events.emit(_event_name(record, "deleted"), record, user, **_deleted_payload(record))
        if isinstance(record, TrashableRecord):
            record.deleted_at = utcnow()
            record.save()
        else:
            record.delete_instance()
    return record


def _deleted_payload(record):
    if isinstance(record, Appointment):
        # Attendees go with the row: the cancellation emails need them (issue 5).
        from accord.core.services import appointments

        return {"cancel": appointments.snapshot(record)}
    return {}


def restore(user, record):
    if not access.can(user, "settings"):
        raise Forbidden("restore")
    if getattr(record, "deleted_at", None) is None:
        return record
    with write():
        record.deleted_at = None
        record.updated_at = utcnow()
        record.save()
        activity.log(user, "restored", record)
        events.emit(_event_name(record, "restored"), record, user)
    return record


def assign(user, record, owner):
    return update(user, record, {}, owner=owner)


def claim(user, record):
    """Take an unowned record; True if this user won it (one conditional UPDATE)."""
    if not access.can_see(user, record):
        raise NotFound(record.entity)
    with write():
        won = access.claim(type(record), record.id, user)
        if won:
            record.owner = user.id
            activity.log(user, "claimed", record, {"owner": (None, user.id)})
            events.emit(
                _event_name(record, "owner_changed"),
                record,
                user,
                old=None,
                new=user.id,
            )
    return won


def build_unattended(model, data, owner_id=None, **extra):
    """A validated, unsaved record that no user makes (a public capture form).

    The same field rules as create(): protected and unknown fields refused, links
    checked, custom values through their field types, derived fields; the caller
    checks its own rights, saves, logs and emits inside its transaction.
    """
    data = dict(data)
    raw_custom = data.pop("custom", None)
    clean = _clean(None, model, data)
    record = model(**clean, **extra)
    record.owner = owner_id
    _apply_custom(record, raw_custom, creating=True)
    derive(record, set(clean), True)
    return record
