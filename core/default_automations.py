"""Built-in automation triggers and actions, and the engine's `accord_event` hook.

Registered through `accord_automation_triggers` / `accord_automation_actions` exactly as a
plugin's would be (core/plugins.py DEFAULT_PLUGINS). Actions write through the services,
as the automation's author: the author's rights apply to every change.
"""

import datetime as dt

from accord.core import mail
from accord.core.automation import engine
from accord.core.automation.base import Action, ActionSkipped, Param, Trigger
from accord.core.automation.context import record_values
from accord.core.hookspecs import hookimpl
from accord.core.i18n import lazy_gettext as _
from accord.core.models import (
    REMINDERS,
    ActionType,
    Contact,
    CustomField,
    Lead,
    Pipeline,
    Source,
    Stage,
    Status,
    Tag,
    Task,
    User,
    utcnow,
)
from accord.core.models.automations import EmailTemplate
from accord.core.services import deals, records, tags
from accord.core.services.errors import ValidationError

# Choices (read fresh whenever a form is built or a value is checked) ------------------


def user_choices():
    users = User.select().where(User.active == True).order_by(User.first_name, User.email)  # noqa: E712
    return [(u.id, f"{u.name} <{u.email}>") for u in users]


def stage_choices(categories=None):
    query = Stage.select(Stage, Pipeline).join(Pipeline)
    if categories:
        query = query.where(Stage.category.in_(categories))
    rows = query.order_by(Pipeline.position, Pipeline.id, Stage.position)
    return [(s.id, f"{s.pipeline.name} › {s.name}") for s in rows]


def status_choices(kind):
    rows = Status.select().where(Status.entity_kind == kind).order_by(Status.position)
    return [(s.id, s.name) for s in rows]


def named_choices(model):
    return lambda: [(row.id, row.name) for row in model.select().order_by(model.name)]


WHO = [
    ("owner", _("The record's owner")),
    ("actor", _("The user who triggered it")),
    ("author", _("The automation's author")),
]


def who_choices():
    return WHO + [(f"user:{uid}", label) for uid, label in user_choices()]


def resolve_who(ctx, who):
    """ "owner" / "actor" / "author" / "user:<id>" -> a user id (the author as fallback)."""
    record = ctx.record
    if who == "owner":
        uid = getattr(record, "owner_id", None)
    elif who == "actor":
        uid = ctx.event.actor_id
    elif who.startswith("user:"):
        uid = int(who[5:])
    else:
        uid = None
    return uid or ctx.author.id


def user_name(uid):
    user = User.get_or_none(User.id == uid)
    return user.name if user else f"#{uid}"


# Triggers -------------------------------------------------------------------------------


class Created(Trigger):
    def __init__(self):
        self.entity = self.event_types[0].split(".")[0]


class LeadCreated(Created):
    name = "lead.created"
    label = _("New lead created")
    event_types = ("lead.created",)


class LeadCaptured(Created):
    name = "lead.captured"
    label = _("A lead arrives from a capture form")
    event_types = ("lead.captured",)


class ContactCreated(Created):
    name = "contact.created"
    label = _("New contact created")
    event_types = ("contact.created",)
    params = (
        Param(
            "kind",
            _("Kind"),
            "select",
            choices=lambda: [("person", _("People only")), ("company", _("Companies only"))],
            help=_("Empty: people and companies."),
        ),
    )

    def matches(self, ctx):
        kind = ctx.params.get("kind") or ""
        if not kind or ctx.record is None:
            return not kind
        return bool(ctx.record.is_organization) == (kind == "company")


class DealCreated(Created):
    name = "deal.created"
    label = _("Deal created")
    event_types = ("deal.created",)


class TaskCompleted(Created):
    name = "task.completed"
    label = _("Task completed")
    event_types = ("task.completed",)


class DealStageChanged(Trigger):
    name = "deal.stage_changed"
    label = _("Deal moved to a stage")
    event_types = ("deal.stage_changed",)
    entity = "deal"
    params = (
        Param("stage", _("Stage"), "select", choices=stage_choices, help=_("Empty: any stage.")),
    )

    def matches(self, ctx):
        wanted = str(ctx.params.get("stage") or "")
        return not wanted or str(ctx.event.payload.get("new")) == wanted


class LeadStatusChanged(Trigger):
    name = "lead.status_changed"
    label = _("Lead status changed")
    event_types = ("lead.status_changed",)
    entity = "lead"
    params = (
        Param(
            "status",
            _("New status"),
            "select",
            choices=lambda: status_choices("lead"),
            help=_("Empty: any status."),
        ),
    )

    def matches(self, ctx):
        wanted = str(ctx.params.get("status") or "")
        return not wanted or str(ctx.event.payload.get("new")) == wanted


OWNED_KINDS = ("lead", "contact", "deal", "task")


class OwnerChanged(Trigger):
    name = "record.owner_changed"
    label = _("Record owner changed")
    event_types = tuple(f"{kind}.owner_changed" for kind in OWNED_KINDS)
    params = (
        Param(
            "entity",
            _("Records"),
            "select",
            required=True,
            default="deal",
            choices=lambda: [(k, k.capitalize()) for k in OWNED_KINDS],
        ),
    )

    def entity_for(self, params):
        return (params or {}).get("entity") or "deal"

    def matches(self, ctx):
        return ctx.event.entity_kind == self.entity_for(ctx.params)


TRIGGERS = [
    LeadCreated,
    LeadCaptured,
    ContactCreated,
    DealCreated,
    DealStageChanged,
    LeadStatusChanged,
    TaskCompleted,
    OwnerChanged,
]

# Actions --------------------------------------------------------------------------------

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}


def linked_to(record):
    """Where a created task hangs: the record itself, or what a task/note hangs off."""
    if record.entity in ("lead", "contact", "deal"):
        return {record.entity: record.id}
    linked = getattr(record, "linked", None)
    return {linked.entity: linked.id} if linked is not None else {}


class CreateTasks(Action):
    name = "create_tasks"
    label = _("Create task(s)")
    params = (
        Param(
            "content",
            _("Task text"),
            "textarea",
            required=True,
            template=True,
            help=_("One task per line. Placeholders like {{ deal.name }} are filled in."),
        ),
        Param("assignee", _("Assign to"), "select", default="owner", choices=who_choices),
        Param("due_in", _("Due in"), "number", default=None),
        Param(
            "due_unit",
            _("Unit"),
            "select",
            default="days",
            choices=lambda: [(k, k) for k in UNITS],
        ),
        Param(
            "reminder",
            _("Reminder"),
            "select",
            choices=lambda: [(k, k) for k in REMINDERS if k],
        ),
        Param("action_type", _("Action type"), "select", choices=named_choices(ActionType)),
    )

    def _plan(self, ctx):
        p = ctx.params
        lines = [ctx.render(line).strip() for line in (p.get("content") or "").splitlines()]
        due_at = None
        if p.get("due_in") not in (None, ""):
            minutes = int(p["due_in"]) * UNITS.get(p.get("due_unit") or "days", UNITS["days"])
            due_at = utcnow() + dt.timedelta(minutes=minutes)
        owner = resolve_who(ctx, p.get("assignee") or "owner")
        return [line for line in lines if line], due_at, owner

    def run(self, ctx):
        lines, due_at, owner = self._plan(ctx)
        if not lines:
            raise ActionSkipped("the task text is empty for this record")
        p, made = ctx.params, []
        for line in lines:
            data = {"content": line, "due_at": due_at, **linked_to(ctx.record)}
            if p.get("reminder") and due_at is not None:
                data["reminder"] = p["reminder"]
            if p.get("action_type"):
                data["action_type"] = p["action_type"]
            made.append(records.create(ctx.author, Task, data, owner=owner))
        return "; ".join(f"task #{t.id} “{t.content[:60]}” for {user_name(owner)}" for t in made)

    def describe(self, ctx):
        lines, due_at, owner = self._plan(ctx)
        due = f", due {due_at:%Y-%m-%d %H:%M} UTC" if due_at else ""
        return "; ".join(f"create task “{line}” for {user_name(owner)}{due}" for line in lines)


CORE_FIELDS = {
    # field: (label, record kinds)
    "name": (_("Name"), ("deal",)),
    "value": (_("Value"), ("deal",)),
    "hot": (_("Hot"), ("deal",)),
    "probability": (_("Probability %"), ("deal",)),
    "estimated_close_date": (_("Estimated close date"), ("deal",)),
    "title": (_("Job title"), ("lead", "contact")),
    "description": (_("Description"), ("lead", "contact")),
    "customer_status": (_("Customer status"), ("contact",)),
    "source": (_("Source"), ("lead", "contact", "deal")),
    "status": (_("Status"), ("lead", "contact", "task")),
}


def field_choices():
    out = [(key, str(label)) for key, (label, _kinds) in CORE_FIELDS.items()]
    defs = CustomField.select().where(CustomField.archived_at.is_null())
    for d in defs.order_by(CustomField.entity_kind, CustomField.position):
        out.append((f"custom.{d.entity_kind}.{d.key}", f"{d.label} ({d.entity_kind})"))
    return out


class UpdateField(Action):
    name = "update_field"
    label = _("Update a field")
    params = (
        Param("field", _("Field"), "select", required=True, choices=field_choices),
        Param(
            "value",
            _("New value"),
            "text",
            template=True,
            help=_("Empty clears the field. Placeholders are filled in."),
        ),
    )

    def _data(self, ctx):
        field = ctx.params.get("field") or ""
        value = ctx.render(ctx.params.get("value") or "")
        record = ctx.record
        if field.startswith("custom."):
            _custom, kind, key = field.split(".", 2)
            from accord.core.custom_values import entity_kind

            if entity_kind(record) != kind:
                raise ActionSkipped(f"a {entity_kind(record)} has no {kind} field “{key}”")
            return {"custom": {key: value}}, key, value
        label, kinds = CORE_FIELDS.get(field, (field, ()))
        if record.entity not in kinds:
            raise ActionSkipped(f"a {record.entity} has no field “{field}”")
        if field == "source":
            value = _named_id(Source, Source.select(), value)
        elif field == "status":
            value = _named_id(
                Status, Status.select().where(Status.entity_kind == record.entity), value
            )
        elif field == "hot":
            value = value.strip().lower() in ("1", "yes", "true", "on")
        return {field: value if value != "" else None}, str(label), value

    def run(self, ctx):
        data, label, value = self._data(ctx)
        records.update(ctx.author, ctx.record, data)
        return f"{label} set to “{value}”"

    def describe(self, ctx):
        _data, label, value = self._data(ctx)
        return f"set {label} to “{value}”"


def _named_id(model, query, text):
    if not text:
        return None
    row = query.where(
        (model.name == text) | (model.id == (int(text) if text.isdigit() else 0))
    ).first()
    if row is None:
        raise ValidationError({"value": f"unknown {model.__name__.lower()} “{text[:80]}”"})
    return row.id


class AssignOwner(Action):
    name = "assign_owner"
    label = _("Assign the owner")
    params = (Param("user", _("New owner"), "select", required=True, choices=who_choices),)

    def run(self, ctx):
        owner = resolve_who(ctx, ctx.params.get("user") or "author")
        records.assign(ctx.author, ctx.record, owner)
        return f"owner set to {user_name(owner)}"

    def describe(self, ctx):
        return f"make {user_name(resolve_who(ctx, ctx.params.get('user') or 'author'))} the owner"


class AddTag(Action):
    name = "add_tag"
    label = _("Add a tag")
    entities = tags.TAGGABLE
    params = (Param("tag", _("Tag"), "select", required=True, choices=named_choices(Tag)),)

    def _tag(self, ctx):
        if ctx.record.entity not in tags.TAGGABLE:
            raise ActionSkipped(f"a {ctx.record.entity} cannot carry tags")
        tag = Tag.get_or_none(Tag.id == int(ctx.params.get("tag") or 0))
        if tag is None:
            raise ValidationError({"tag": "the tag no longer exists"})
        return tag

    def run(self, ctx):
        tag = self._tag(ctx)
        current = tags.tag_ids(ctx.record)
        if tag.id in current:
            return f"already tagged “{tag.name}”"
        records.update(ctx.author, ctx.record, {"tags": current + [tag.id]})
        return f"tagged “{tag.name}”"

    def describe(self, ctx):
        return f"add the tag “{self._tag(ctx).name}”"


class MoveStage(Action):
    name = "move_stage"
    label = _("Move the deal to a stage")
    entities = ("deal",)
    params = (
        Param(
            "stage",
            _("Stage"),
            "select",
            required=True,
            choices=lambda: stage_choices(("active", "won")),
        ),
    )

    def _stage(self, ctx):
        if ctx.record.entity != "deal":
            raise ActionSkipped("only deals have stages")
        stage = Stage.get_or_none(Stage.id == int(ctx.params.get("stage") or 0))
        if stage is None:
            raise ValidationError({"stage": "the stage no longer exists"})
        return stage

    def run(self, ctx):
        stage = self._stage(ctx)
        if ctx.record.stage_id == stage.id:
            return f"already in {stage.name}"
        deals.move_stage(ctx.author, ctx.record, stage)
        return f"moved to {stage.pipeline.name} › {stage.name}"

    def describe(self, ctx):
        stage = self._stage(ctx)
        return f"move the deal to {stage.pipeline.name} › {stage.name}"


def recipient(ctx, to):
    """(email, name) of whom to write to, as the author may see them; ActionSkipped if none."""
    record = ctx.record
    if to == "owner":
        owner = User.get_or_none(User.id == getattr(record, "owner_id", None))
        if owner is None:
            raise ActionSkipped("the record has no owner to email")
        return owner.email, owner.name
    person = record
    if record.entity == "task":
        person = record.linked
    if person is not None and person.entity == "deal":
        person = person.contact if person.contact_id else None
    if person is None or not isinstance(person, (Contact, Lead)):
        raise ActionSkipped("no contact to email")
    values = record_values(ctx.author, person, depth=0)
    email = values.get("email") or ""
    if not email:
        raise ActionSkipped(f"{person.name} has no email address the author may see")
    return email, values.get("name", "")


class SendEmail(Action):
    name = "send_email"
    label = _("Send an email from a template")
    params = (
        Param(
            "template",
            _("Template"),
            "select",
            required=True,
            choices=named_choices(EmailTemplate),
        ),
        Param(
            "to",
            _("To"),
            "select",
            default="contact",
            choices=lambda: [
                ("contact", _("The contact (or lead)")),
                ("owner", _("The record's owner")),
            ],
        ),
    )

    def _message(self, ctx):
        template = EmailTemplate.get_or_none(
            EmailTemplate.id == int(ctx.params.get("template") or 0)
        )
        if template is None:
            raise ValidationError({"template": "the email template no longer exists"})
        email, name = recipient(ctx, ctx.params.get("to") or "contact")
        return template, email, name, ctx.render(template.subject), ctx.render(template.body)

    def run(self, ctx):
        template, email, name, subject, body = self._message(ctx)
        config = ctx.runtime.config
        msg = mail.build_message(
            sender=mail.sender_for(config, ctx.author.name),
            to=[(email, name)],
            subject=subject,
            text=body,
            # The receiver can drop a duplicate of a retried send by this key.
            headers={"X-Accord-Idempotency-Key": ctx.key},
        )
        mail.send(config, msg)
        return f"sent “{template.name}” to {email}"

    def describe(self, ctx):
        template, email, _name, subject, _body = self._message(ctx)
        return f"email “{subject}” (template {template.name}) to {email}"


def webhook_body(ctx):
    """The JSON a webhook receives: the event and the record as the author may see it.

    `event_id` is this action's idempotency key — the same on every retry, distinct for
    two webhook actions of one automation — and also sent as X-Accord-Event-Id."""
    return {
        "event_id": ctx.key,
        "event": ctx.event.type,
        "automation": {"id": ctx.automation.id, "name": ctx.automation.name},
        "record": record_values(ctx.author, ctx.record),
        "sent_at": utcnow().isoformat(),
    }


class CallWebhook(Action):
    name = "call_webhook"
    label = _("Call a webhook")
    params = (
        Param("url", _("URL"), "text", required=True),
        Param(
            "secret",
            _("Signing secret"),
            "text",
            required=True,
            help=_("The body is signed with HMAC-SHA256 of this secret."),
        ),
    )

    def validate(self, params, entity=None, runtime=None):
        webhooks = _webhooks()
        if webhooks is not None and runtime is not None:
            try:
                webhooks.check_url(params.get("url") or "", runtime.config)
            except webhooks.WebhookError as exc:
                raise ValueError({"url": str(exc)}) from None
        return params

    def run(self, ctx):
        webhooks = _webhooks()
        if webhooks is None:
            raise RuntimeError("webhook delivery is not available")
        body = webhook_body(ctx)
        webhooks.enqueue(
            ctx.params["url"],
            ctx.params["secret"],
            ctx.key,
            body,
            source=f"automation:{ctx.automation.id}",
        )
        return f"webhook queued to {ctx.params['url']}"

    def describe(self, ctx):
        return f"POST the {ctx.record.entity} as JSON to {ctx.params.get('url')}"


def _webhooks():
    try:
        from accord.core import webhooks
    except ImportError:
        return None
    return webhooks if hasattr(webhooks, "enqueue") else None


ACTIONS = [CreateTasks, UpdateField, AssignOwner, AddTag, MoveStage, SendEmail, CallWebhook]


@hookimpl
def accord_automation_triggers():
    return TRIGGERS


@hookimpl
def accord_automation_actions():
    return ACTIONS


@hookimpl
def accord_event(event, runtime):
    engine.handle(event, runtime)
