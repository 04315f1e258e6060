"""Each user's custom notification rules: create, change, delete (their own only).

The choices a rule may name are limited to what the user may see: a restricted user can
watch only records they own (or nobody owns) and only their own team.
"""

from accord.core import access
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import CustomField, Pipeline, Source, Stage, Status, Team, User
from accord.core.models.notifications import RULE_ENTITIES, RULE_TRIGGERS, NotificationRule
from accord.core.services.errors import Forbidden, NotFound, ValidationError

# Which filters apply to which entity (a deal has stages, leads and contacts statuses).
FILTERS = {
    "lead": ("owner_id", "team_id", "status_id", "source_id"),
    "contact": ("owner_id", "team_id", "status_id", "source_id"),
    "deal": ("owner_id", "team_id", "pipeline_id", "stage_id", "source_id"),
}
TRIGGERS = {
    "lead": ("created", "status_changed", "owner_changed", "task_added", "note_added"),
    "contact": ("created", "status_changed", "owner_changed", "task_added", "note_added"),
    "deal": ("created", "stage_changed", "owner_changed", "task_added", "note_added"),
}
assert set().union(*TRIGGERS.values()) == set(RULE_TRIGGERS)
ID_FIELDS = ("owner_id", "team_id", "pipeline_id", "stage_id", "status_id", "source_id")


def options(user):
    """The values `user` may pick for each filter: {field: [(id, label), ...]}."""
    if user.role != access.RESTRICTED:
        owners = User.select().where(User.active).order_by(User.first_name, User.email)
        teams = Team.select().order_by(Team.name)
    else:
        # Restricted users see only their own records and the unowned ones.
        owners = User.select().where(User.id == user.id)
        teams = Team.select().where(Team.id == (user.team_id or 0))
    stages = (
        Stage.select(Stage, Pipeline)
        .join(Pipeline)
        .order_by(Pipeline.position, Pipeline.id, Stage.position)
    )
    custom = CustomField.select().where(
        CustomField.archived_at.is_null() & CustomField.entity_kind.in_(list(RULE_ENTITIES))
    )
    return {
        "owner_id": [(u.id, u.name) for u in owners],
        "team_id": [(t.id, t.name) for t in teams],
        "pipeline_id": [(p.id, p.name) for p in Pipeline.select().order_by(Pipeline.position)],
        "stage_id": [(s.id, f"{s.pipeline.name}: {s.name}") for s in stages],
        "status_id": [
            (s.id, f"{s.entity_kind}: {s.name}", s.entity_kind)
            for s in Status.select()
            .where(Status.entity_kind.in_(["lead", "contact"]))
            .order_by(Status.entity_kind, Status.position)
        ],
        "source_id": [(s.id, s.name) for s in Source.select().order_by(Source.name)],
        "custom_key": [(f.key, f"{f.entity_kind}: {f.label}", f.entity_kind) for f in custom],
    }


def mine(user):
    return list(
        NotificationRule.select()
        .where(NotificationRule.user == user.id)
        .order_by(NotificationRule.id)
    )


def get(user, rule_id):
    rule = NotificationRule.get_or_none(
        (NotificationRule.id == rule_id) & (NotificationRule.user == user.id)
    )
    if rule is None:
        raise NotFound("notification rule")
    return rule


def _clean(user, data, channel_names):
    errors = {}
    name = " ".join(str(data.get("name") or "").split())[:200]
    if not name:
        errors["name"] = _("Give the rule a name.")
    entity = data.get("record_entity")
    if entity not in RULE_ENTITIES:
        errors["record_entity"] = _("Choose leads, contacts or deals.")
        raise ValidationError(errors)
    allowed = options(user)
    clean = {"name": name, "record_entity": entity}
    for fieldname in ID_FIELDS:
        value = data.get(fieldname)
        if value in (None, ""):
            clean[fieldname] = None
            continue
        if fieldname not in FILTERS[entity]:
            errors[fieldname] = _("This filter does not apply to %(e)s.", e=entity)
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
        row = next((r for r in allowed[fieldname] if r[0] == value), None)
        if row is None or (fieldname == "status_id" and row[2] != entity):
            errors[fieldname] = _("Not a valid choice.")
            continue
        clean[fieldname] = value
    stage, pipeline = clean.get("stage_id"), clean.get("pipeline_id")
    if stage and pipeline and Stage.get_by_id(stage).pipeline_id != pipeline:
        errors["stage_id"] = _("This stage is not in the chosen pipeline.")
    if user.role == access.RESTRICTED and clean.get("owner_id") is None:
        # They may watch only what they can see: their own records.
        clean["owner_id"] = user.id
    key = str(data.get("custom_key") or "")
    value = " ".join(str(data.get("custom_value") or "").split())[:255]
    if key:
        kinds = {row[0]: row[2] for row in allowed["custom_key"]}
        wanted = ("contact", "company") if entity == "contact" else (entity,)
        if kinds.get(key) not in wanted:
            errors["custom_key"] = _("Not a custom field of %(e)s.", e=entity)
        elif not value:
            errors["custom_value"] = _("Enter the value to match.")
    clean["custom_key"], clean["custom_value"] = (key, value) if key else ("", "")
    triggers = [t for t in dict.fromkeys(data.get("triggers") or [])]
    if not triggers:
        errors["triggers"] = _("Choose at least one trigger.")
    elif any(t not in TRIGGERS[entity] for t in triggers):
        errors["triggers"] = _("Not a trigger of %(e)s.", e=entity)
    channels = [c for c in dict.fromkeys(data.get("channels") or [])]
    if not channels:
        errors["channels"] = _("Choose at least one channel.")
    elif any(c not in channel_names for c in channels):
        errors["channels"] = _("Unknown channel.")
    clean["triggers"], clean["channels"] = triggers, channels
    clean["active"] = bool(data.get("active", True))
    if errors:
        raise ValidationError(errors)
    return clean


def save(user, data, channel_names, rule=None):
    """Create (rule=None) or change one of `user`'s rules; ValidationError on bad input."""
    if user is None or not user.active:
        raise Forbidden("notification rules")
    if rule is not None and rule.user_id != user.id:
        raise NotFound("notification rule")
    clean = _clean(user, data, channel_names)
    with write():
        if rule is None:
            rule = NotificationRule.create(user=user.id, **clean)
        else:
            for key, value in clean.items():
                setattr(rule, key, value)
            rule.save()
    return rule


def delete(user, rule):
    if rule.user_id != user.id:
        raise NotFound("notification rule")
    with write():
        rule.delete_instance()
