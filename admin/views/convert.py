"""Converting a lead (/admin/lead/convert/?id=): a page that shows what will happen, then
does it through services.leads.convert.

The lead becomes a person; its organization may be an existing company matched by name
(case-insensitive), a new company from the lead's organization name, or none; a deal may
be opened in a chosen stage. A person with the same email is offered instead of a
duplicate. Conversion cannot be undone, and a converted lead cannot be converted again.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from peewee import fn

from accord.admin.views.gate import current_user
from accord.admin.views.lookups import parse_id
from accord.core import access
from accord.core.db import write
from accord.core.models import Contact, Pipeline, Stage
from accord.core.services import Forbidden, NotFound, ValidationError, leads, records

MAX_MATCHES = 5
MAX_VALUE = Decimal(10) ** 14  # Deal.value has 16 digits, 2 of them decimals
MAX_NAME = 255


@dataclass
class Options:
    """What the page offers for one lead."""

    duplicate: object = None  # a visible person with the lead's email
    matches: list = field(default_factory=list)  # visible companies named like the lead's
    organization_name: str = ""
    pipelines: list = field(default_factory=list)  # [(pipeline, [active stages])]
    default_stage: object = None


@dataclass
class Choice:
    """What the user chose (or the defaults, for a bare POST)."""

    contact: object = None  # an existing person, or None for a new one
    organization: str = "none"  # "none" | "new" | "match"
    match: object = None
    deal: dict = None


def options_for(user, lead):
    opts = Options(organization_name=(lead.organization_name or "").strip())
    opts.duplicate = leads.find_duplicate(user, lead.email)
    if opts.organization_name:
        query = Contact.select().where(
            Contact.is_organization & (fn.LOWER(Contact.name) == opts.organization_name.lower())
        )
        opts.matches = list(
            access.visible(query, user, Contact).order_by(Contact.id).limit(MAX_MATCHES)
        )
    stages = (
        Stage.select(Stage, Pipeline)
        .join(Pipeline)
        .where(Stage.category == "active")
        .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id, Stage.position)
    )
    grouped = {}
    for stage in stages:
        grouped.setdefault(stage.pipeline, []).append(stage)
    opts.pipelines = list(grouped.items())
    opts.default_stage = opts.pipelines[0][1][0] if opts.pipelines else None
    return opts


def default_organization(opts):
    if opts.matches:
        return str(opts.matches[0].id)
    return "new" if opts.organization_name else "none"


def parse_amount(text, locale):
    """A deal value as typed ("12500", "12,500.50", "12.500,50" in German) -> Decimal."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        try:
            value = parse_decimal(text, locale=locale or "en")
        except (NumberFormatError, ValueError):
            raise ValidationError({"deal_value": gettext("Enter the value as a number.")}) from None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        raise ValidationError({"deal_value": gettext("Enter a value from 0 up.")})
    return value


def parse_choice(form, opts, lead, user):
    """The user's choices from the posted form, checked against what was offered."""
    choice = Choice()
    errors = {}
    wanted = form.get("contact")
    if opts.duplicate is not None and wanted != "new":
        # A bare POST takes the offered person too: never a silent duplicate.
        if wanted not in (None, str(opts.duplicate.id)):
            errors["contact"] = gettext("Choose the existing contact or a new one.")
        choice.contact = opts.duplicate
    organization = form.get("organization") or default_organization(opts)
    if organization == "new" and opts.organization_name:
        choice.organization = "new"
    elif organization == "none":
        choice.organization = "none"
    else:
        match = next((m for m in opts.matches if str(m.id) == organization), None)
        if match is None:
            errors["organization"] = gettext("Choose one of the organizations offered.")
        choice.organization, choice.match = "match", match
    if form.get("create_deal") == "1":
        choice.deal = parse_deal(form, opts, lead, user, errors)
    if errors:
        raise ValidationError(errors)
    return choice


def parse_deal(form, opts, lead, user, errors):
    name = (form.get("deal_name") or "").strip()
    if not name:
        errors["deal_name"] = gettext("A deal needs a name.")
    elif len(name) > MAX_NAME:
        errors["deal_name"] = gettext("This text is too long.")
    currency = (form.get("deal_currency") or "EUR").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["deal_currency"] = gettext("Enter a three-letter currency code, like EUR.")
    stage_id = parse_id(form.get("deal_stage"))
    offered = {s.id for _pipeline, stages in opts.pipelines for s in stages}
    if stage_id not in offered:
        errors["deal_stage"] = gettext("Choose a stage.")
    try:
        value = parse_amount(form.get("deal_value"), getattr(user, "locale", "en"))
    except ValidationError as exc:
        errors.update(exc.errors)
        value = None
    return {"name": name, "value": value, "currency": currency, "stage": stage_id}


def convert(user, lead, choice, opts):
    """Everything in one transaction: the new company, the contact, the deal, the move."""
    owner = lead.owner_id if lead.owner_id is not None else user.id
    with write():
        organization = choice.match
        if choice.organization == "new":
            organization = records.create(
                user,
                Contact,
                {"is_organization": True, "name": opts.organization_name},
                owner=owner,
                owner_of=lead,
            )
        return leads.convert(
            user,
            lead,
            organization=organization,
            create_organization=False,
            deal=choice.deal,
            contact=choice.contact,
        )


class ConvertMixin:
    """The lead view's /convert/ page (GET shows the form, POST converts)."""

    convert_template = "accord/convert.html"

    @expose("/convert/", methods=("GET", "POST"))
    def convert_view(self):
        lead = self.get_one(request.args.get("id"))  # hidden or missing: 404
        if not self.may("edit", lead):
            abort(403)
        sheet_url = self.get_url(".details_view", id=lead.id)
        if lead.converted_at is not None and request.method == "POST":
            flash(
                gettext("This lead was already converted. A conversion cannot be repeated."),
                "error",
            )
            return redirect(sheet_url)
        user = current_user()
        opts = options_for(user, lead)
        values = dict(request.form) if request.method == "POST" else {}
        errors = {}
        if request.method == "POST":
            try:
                choice = parse_choice(request.form, opts, lead, user)
                contact, _organization, deal = convert(user, lead, choice, opts)
            except ValidationError as exc:
                errors = exc.errors
                for message in errors.values():
                    flash(message, "error")
            except Forbidden:
                abort(403)
            except NotFound:
                abort(404)
            else:
                if deal is not None:
                    flash(
                        gettext(
                            "%(lead)s is now a contact, with the deal %(deal)s.",
                            lead=lead.name,
                            deal=deal.name,
                        ),
                        "success",
                    )
                else:
                    flash(gettext("%(lead)s is now a contact.", lead=lead.name), "success")
                return redirect(self.get_url("contact.details_view", id=contact.id))
        return self.render(
            self.convert_template,
            lead=lead,
            opts=opts,
            values=values,
            errors=errors,
            default_organization=default_organization(opts),
            default_deal_name=opts.organization_name or lead.name,
            sheet_url=sheet_url,
        )
