"""Custom notification rules: which events match a user's rule, and the notifications.

A rule watches one entity (lead, contact or deal) through a filter — owner, owner's team,
pipeline, stage, status, source, a custom field value — and fires on its triggers. The
rule's user is told only about records the access policy lets them see right now.
"""

from accord.core import notifications
from accord.core.models import RECORD_MODELS, Deal, User
from accord.core.models.notifications import RULE_ENTITIES, NotificationRule

# event type suffix -> trigger, for events about the watched record itself.
OWN_TRIGGERS = {
    "created": "created",
    "stage_changed": "stage_changed",
    "status_changed": "status_changed",
    "owner_changed": "owner_changed",
}
# A task or note created on a watched record.
CHILD_TRIGGERS = {"task.created": "task_added", "note.created": "note_added"}

TRIGGER_TEXT = {
    "created": "New {entity}: {name}",
    "stage_changed": "{name} moved to stage {stage}",
    "status_changed": "{name} changed status",
    "owner_changed": "{name} has a new owner",
    "task_added": "Task added to {name}",
    "note_added": "Note added to {name}",
}


def targets(event):
    """(trigger, watched record, child record or None) pairs for this event."""
    entity, _, what = event.type.partition(".")
    if entity in RULE_ENTITIES and what in OWN_TRIGGERS:
        record = notifications.fresh_record(entity, event.record_id)
        return [(OWN_TRIGGERS[what], record, None)] if record is not None else []
    trigger = CHILD_TRIGGERS.get(event.type)
    if trigger is None:
        return []
    child = notifications.fresh_record(entity, event.record_id)
    if child is None:
        return []
    found = []
    for name in ("deal", "contact", "lead"):
        if getattr(child, f"{name}_id", None):
            found.append((trigger, getattr(child, name), child))
    return found


def _text(value):
    if isinstance(value, list):
        return {str(v).casefold() for v in value}
    return {"" if value is None else str(value).casefold()}


def matches(rule, record):
    """Does `record` pass the rule's filter? An unset filter field accepts anything."""
    if rule.owner_id is not None and record.owner_id != rule.owner_id:
        return False
    if rule.team_id is not None:
        owner = User.get_or_none(User.id == record.owner_id) if record.owner_id else None
        if owner is None or owner.team_id != rule.team_id:
            return False
    for fieldname in ("pipeline_id", "stage_id", "status_id", "source_id"):
        wanted = getattr(rule, fieldname)
        if wanted is None:
            continue
        if fieldname not in type(record)._meta.columns or getattr(record, fieldname) != wanted:
            return False
    if rule.custom_key:
        value = (record.custom or {}).get(rule.custom_key)
        if rule.custom_value.casefold() not in _text(value):
            return False
    return True


def describe(trigger, record):
    stage = ""
    if isinstance(record, Deal) and record.stage_id:
        stage = record.stage.name
    return TRIGGER_TEXT[trigger].format(entity=record.entity, name=record, stage=stage)


def record_url(record):
    kind = "company" if getattr(record, "is_organization", False) else record.entity
    return f"/admin/{kind}/details/?id={record.id}"


def handle(event, runtime):
    """Notify the users whose active rules match this event."""
    found = targets(event)
    if not found:
        return
    actor = User.get_or_none(User.id == event.actor_id) if event.actor_id else None
    for trigger, record, child in found:
        if record.entity not in RULE_ENTITIES or type(record) is not RECORD_MODELS[record.entity]:
            continue
        rules = NotificationRule.select().where(
            (NotificationRule.record_entity == record.entity) & NotificationRule.active
        )
        for rule in rules:
            if trigger not in (rule.triggers or []) or not matches(rule, record):
                continue
            # notify() checks that the rule's user may see the record (and the task or
            # note the text is about) at delivery time.
            notifications.notify(
                runtime,
                rule.user_id,
                "rule",
                describe(trigger, record),
                key=event.key(f"rule:{rule.id}:{record.entity}:{record.id}"),
                body=f"Rule: {rule.name}",
                url=record_url(record),
                record=record,
                also_visible=[child] if child is not None else (),
                actor=actor,
                channels=rule.channels or [],
            )
