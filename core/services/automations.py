"""Saving automations and email templates (admins only), with every check at save time.

`save` takes the builder's spec — {"name", "trigger", "trigger_params", "conditions",
"actions": [{"type", "params"}], "enabled"} — and raises ValidationError whose keys name
the form fields: "name", "trigger", "trigger-<param>", "cond-<i>", "action-<i>",
"action-<i>-<param>", so the back office shows each message beside its input.
"""

from peewee import fn

from accord.core import access, placeholders
from accord.core.automation import conditions
from accord.core.automation.base import clean_params
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import utcnow
from accord.core.models.automations import Automation, EmailTemplate
from accord.core.services import settings
from accord.core.services.errors import ValidationError

MAX_ACTIONS = 20
MAX_CONDITIONS = 30


def clean(runtime, spec):
    """The spec validated and normalised; ValidationError listing every problem."""
    errors = {}
    name = (spec.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the automation a name.")
    elif len(name) > 200:
        errors["name"] = _("At most 200 characters.")
    trigger_cls = runtime.registries["triggers"].get(spec.get("trigger") or "")
    trigger_params, entity = {}, None
    if trigger_cls is None:
        errors["trigger"] = _("Choose a trigger.")
    else:
        trigger = trigger_cls()
        trigger_params, param_errors = clean_params(
            trigger.params, spec.get("trigger_params"), prefix="trigger-"
        )
        errors.update(param_errors)
        entity = trigger.entity_for(trigger_params)
    rules = list((spec.get("conditions") or {}).get("rules") or [])
    if len(rules) > MAX_CONDITIONS:
        errors["conditions"] = _("At most %(n)s conditions.", n=MAX_CONDITIONS)
    cleaned_conditions, cond_errors = conditions.clean(entity, spec.get("conditions"))
    for index, message in cond_errors.items():
        errors[f"cond-{index}"] = message
    actions = []
    specs = list(spec.get("actions") or [])
    if not specs:
        errors["actions"] = _("Add at least one action.")
    if len(specs) > MAX_ACTIONS:
        errors["actions"] = _("At most %(n)s actions.", n=MAX_ACTIONS)
    registry = runtime.registries["actions"]
    for index, item in enumerate(specs[:MAX_ACTIONS]):
        action_cls = registry.get(item.get("type") or "")
        if action_cls is None:
            errors[f"action-{index}"] = _("Choose an action.")
            continue
        action = action_cls()
        if action.entities is not None and entity is not None and entity not in action.entities:
            errors[f"action-{index}"] = _("This action does not apply to this trigger's records.")
        params, param_errors = clean_params(
            action.params, item.get("params"), prefix=f"action-{index}-"
        )
        errors.update(param_errors)
        if not param_errors:
            try:
                params = action.validate(params, entity=entity, runtime=runtime) or params
            except ValueError as exc:
                detail = exc.args[0] if exc.args else str(exc)
                if isinstance(detail, dict):
                    for key, message in detail.items():
                        errors[f"action-{index}-{key}"] = str(message)
                else:
                    errors[f"action-{index}"] = str(detail)
        actions.append({"type": action_cls.name, "params": params})
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "trigger": trigger_cls.name,
        "trigger_params": trigger_params,
        "conditions": cleaned_conditions,
        "actions": actions,
        "enabled": bool(spec.get("enabled", True)),
    }


def save(user, runtime, spec, automation=None):
    """Create (automation=None) or change an automation as `user` (an admin)."""
    access.check(user, "settings")
    data = clean(runtime, spec)
    with write():
        if automation is None:
            position = (Automation.select(fn.MAX(Automation.position)).scalar() or 0) + 1
            automation = Automation.create(author=user.id, position=position, **data)
            settings._log(user, "created", automation)
        else:
            for key, value in data.items():
                setattr(automation, key, value)
            # Whoever last saved it is the author: the run acts with their rights.
            automation.author = user.id
            automation.updated_at = utcnow()
            automation.save()
            settings._log(user, "updated", automation)
    return automation


def set_enabled(user, automation, enabled):
    access.check(user, "settings")
    with write():
        automation.enabled = bool(enabled)
        automation.updated_at = utcnow()
        automation.save()
        settings._log(user, "enabled" if enabled else "disabled", automation)
    return automation


def delete(user, automation):
    access.check(user, "settings")
    with write():
        settings._log(user, "deleted", automation)
        automation.delete_instance(recursive=True)


# Email templates ------------------------------------------------------------------------


def clean_template(data):
    errors = {}
    name = (data.get("name") or "").strip()
    subject = data.get("subject") or ""
    body = data.get("body") or ""
    if not name:
        errors["name"] = _("Give the template a name.")
    if not subject.strip():
        errors["subject"] = _("Enter a subject.")
    if not body.strip():
        errors["body"] = _("Enter a text.")
    for key, text in (("subject", subject), ("body", body)):
        try:
            placeholders.check(text)
        except placeholders.PlaceholderError as exc:
            errors[key] = str(exc)
    clash = EmailTemplate.select().where(fn.LOWER(EmailTemplate.name) == name.lower())
    if data.get("id"):
        clash = clash.where(EmailTemplate.id != data["id"])
    if name and clash.exists():
        errors["name"] = _("A template with this name exists.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "subject": subject.strip(), "body": body}


def save_template(user, data, template=None):
    access.check(user, "settings")
    clean_data = clean_template({**data, "id": getattr(template, "id", None)})
    with write():
        if template is None:
            template = EmailTemplate.create(**clean_data)
            settings._log(user, "created", template)
        else:
            for key, value in clean_data.items():
                setattr(template, key, value)
            template.updated_at = utcnow()
            template.save()
            settings._log(user, "updated", template)
    return template
