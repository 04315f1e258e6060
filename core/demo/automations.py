"""The demo's automations: the four examples of issue 6, with what they need (the
"Onboarding" deal field and the "Invoice" email template). Each is added only if absent,
so running the demo twice duplicates nothing."""

from accord.core.automation.base import clean_params
from accord.core.default_automations import CreateTasks, SendEmail, UpdateField
from accord.core.default_field_types import DropdownField
from accord.core.models import ActionType, CustomField, Pipeline, Stage, User
from accord.core.models.automations import Automation, EmailTemplate

ONBOARDING_CHOICES = ["Pending", "In progress", "Done"]
INVOICE_SUBJECT = "Invoice for {{ deal.name }}"
INVOICE_BODY = """Dear {{ contact.first_name or contact.name }},

thank you for choosing us. Please find the invoice for {{ deal.name }} below:

    Amount due: {{ deal.value }} {{ deal.currency }}

Kind regards,
{{ owner.name }}
"""


def _stage(pipeline_name, stage_name):
    return (
        Stage.select()
        .join(Pipeline)
        .where((Pipeline.name == pipeline_name) & (Stage.name == stage_name))
        .first()
    )


def _default_pipeline():
    return Pipeline.select().order_by(Pipeline.is_default.desc(), Pipeline.position).first()


def _author():
    """The first admin (accord serve --demo creates one first); else the first manager."""
    for role in ("admin", "manager"):
        user = (
            User.select()
            .where((User.role == role) & (User.active == True))  # noqa: E712
            .order_by(User.id)
            .first()
        )
        if user is not None:
            return user
    return None


def _action(cls, **raw):
    params, errors = clean_params(cls.params, raw)
    if errors:
        raise RuntimeError(f"demo automation {cls.name}: {errors}")
    return {"type": cls.name, "params": params}


def seed(log=print):
    """Add the Onboarding field, the Invoice template and the four example automations."""
    if (
        not CustomField.select()
        .where((CustomField.entity_kind == "deal") & (CustomField.key == "onboarding"))
        .exists()
    ):
        CustomField.create(
            entity_kind="deal",
            key="onboarding",
            label="Onboarding",
            type="dropdown",
            options=DropdownField.clean_options({"choices": ONBOARDING_CHOICES}),
            show_in_list=True,
        )
    invoice = EmailTemplate.get_or_none(EmailTemplate.name == "Invoice") or EmailTemplate.create(
        name="Invoice", subject=INVOICE_SUBJECT, body=INVOICE_BODY
    )
    sales = _default_pipeline()
    services = Pipeline.get_or_none(Pipeline.name == "Services")
    proposal = _stage(sales.name, "Proposal") if sales else None
    for_payment = _stage(sales.name, "For payment") if sales else None
    call = ActionType.get_or_none(ActionType.name == "Call")
    author = _author()
    wanted = []
    if proposal is not None:
        wanted.append(
            (
                "Proposal: a task to send it",
                "deal.stage_changed",
                {"stage": str(proposal.id)},
                {},
                [_action(CreateTasks, content="Send proposal", due_in="2", due_unit="days")],
            )
        )
    if services is not None:
        wanted.append(
            (
                "Services: onboarding pending",
                "deal.created",
                {},
                {
                    "match": "all",
                    "rules": [{"field": "pipeline", "op": "eq", "value": services.id}],
                },
                [_action(UpdateField, field="custom.deal.onboarding", value="Pending")],
            )
        )
    if for_payment is not None:
        wanted.append(
            (
                "For payment: email the invoice",
                "deal.stage_changed",
                {"stage": str(for_payment.id)},
                {},
                [_action(SendEmail, template=str(invoice.id), to="contact")],
            )
        )
    wanted.append(
        (
            "Capture form: call back within the hour",
            "lead.captured",
            {},
            {},
            [
                _action(
                    CreateTasks,
                    content="Call back {{ lead.name }}",
                    due_in="1",
                    due_unit="hours",
                    assignee="owner",
                    action_type=str(call.id) if call else "",
                )
            ],
        )
    )
    added = 0
    for position, (name, trigger, trigger_params, conditions, actions) in enumerate(wanted, 1):
        if Automation.select().where(Automation.name == name).exists():
            continue
        Automation.create(
            name=name,
            author=author,
            trigger=trigger,
            trigger_params=trigger_params,
            conditions=conditions,
            actions=actions,
            position=position,
        )
        added += 1
    if added:
        log(f"demo: {added} automations (Settings › Automations)")
    return added
