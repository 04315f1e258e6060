"""The universal Add button: a short form per kind at /admin/add/<kind>/?next=<path>.

Each form asks only what matters (a lead's name, company, email and phone; a deal's
name, value, stage and contact; a task's text, due time and record …), creates through
services.records.create and goes back to `next` (a same-origin path only) with a flash
linking to the new record. Errors show beside their fields with the input kept.
Owners: the user by default; only those who may assign others get an owner choice.
"""

import datetime as dt
import re
from dataclasses import dataclass

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from accord.admin.auth import safe_next
from accord.admin.views.base import to_utc
from accord.admin.views.formatters import endpoint_of
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.admin.views.task_list import REMINDER_CHOICES
from accord.core import access, search
from accord.core.models import (
    ActionType,
    Appointment,
    Contact,
    Deal,
    Lead,
    Note,
    Pipeline,
    Stage,
    Task,
    User,
)
from accord.core.services import Forbidden, NotFound, ValidationError, records

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an email address."))
LINK_KINDS = {"lead": Lead, "contact": Contact, "deal": Deal}
_LINK = re.compile(r"(lead|contact|deal):([1-9][0-9]{0,9})")
# A datasheet the form was opened from: its record is the obvious one to link to.
_DATASHEET = re.compile(
    r"/admin/(lead|contact|company|deal)/details/\?(?:.*&)?id=([1-9][0-9]{0,9})"
)
LOOKUP_LIMIT = 10


# The forms ---------------------------------------------------------------------------


_KIND = "accordkind0"  # word characters: url_for leaves them as they are


def menu_links(here):
    """[(label, url)] of the navbar's Add menu (MENU), coming back to `here`: one
    url_for for all seven (every back-office page shows the menu)."""
    pattern = url_for("quick_add.add", kind=_KIND, next=here) if here else None
    pattern = pattern or url_for("quick_add.add", kind=_KIND)
    return [(str(label), pattern.replace(_KIND, kind, 1)) for kind, label in MENU]


class OptionalSelect(SelectField):
    """A select that may be left out (the service picks a default); any value given
    must still be one of the choices."""

    def pre_validate(self, form):
        if self.data not in (None, ""):
            super().pre_validate(form)


class QuickForm(FlaskForm):
    # Filled per request with the users the current user may assign; removed when
    # that is only themselves (normal and restricted users create as themselves).
    owner = SelectField(_l("Owner"), choices=[], validate_choice=True)


class LeadForm(QuickForm):
    first_name = StringField(_l("First name"), [Length(max=100)])
    last_name = StringField(_l("Last name"), [Length(max=100)])
    organization_name = StringField(_l("Company"), [Length(max=200)])
    email = StringField(_l("Email"), [Optional(), Length(max=200), EMAIL])
    phone = StringField(_l("Phone"), [Length(max=50)])


class ContactForm(QuickForm):
    first_name = StringField(_l("First name"), [Length(max=100)])
    last_name = StringField(_l("Last name"), [Length(max=100)])
    organization = HiddenField(_l("Company"))
    title = StringField(_l("Title"), [Length(max=100)])
    email = StringField(_l("Email"), [Optional(), Length(max=200), EMAIL])
    phone = StringField(_l("Phone"), [Length(max=50)])


class CompanyForm(QuickForm):
    name = StringField(_l("Name"), [InputRequired(), Length(max=200)])
    email = StringField(_l("Email"), [Optional(), Length(max=200), EMAIL])
    phone = StringField(_l("Phone"), [Length(max=50)])
    website = StringField(_l("Website"), [Length(max=200)])


class DealForm(QuickForm):
    name = StringField(_l("Name"), [InputRequired(), Length(max=200)])
    value = DecimalField(
        _l("Value"), [Optional(), NumberRange(min=0, max=10**13)], places=2, default=0
    )
    currency = StringField(
        _l("Currency"),
        [Optional(), Regexp(r"^[A-Za-z]{3}$", message=_l("Three letters, e.g. EUR."))],
        default="EUR",
    )
    stage = OptionalSelect(_l("Stage"), choices=[], coerce=str)
    contact = HiddenField(_l("Contact or company"))


class TaskForm(QuickForm):
    content = TextAreaField(_l("To-do"), [InputRequired(), Length(max=2000)])
    due_at = DateTimeLocalField(_l("Due"), [Optional()], format="%Y-%m-%dT%H:%M")
    reminder = SelectField(_l("Reminder"), choices=REMINDER_CHOICES, default="")
    action_type = OptionalSelect(_l("Action"), choices=[], coerce=str)
    linked = HiddenField(_l("Related to"))


class AppointmentForm(QuickForm):
    title = StringField(_l("Title"), [InputRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts"), [InputRequired()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_l("Ends"), [Optional()], format="%Y-%m-%dT%H:%M")
    location = StringField(_l("Location"), [Length(max=200)])
    linked = HiddenField(_l("Related to"))


class NoteForm(QuickForm):
    content = TextAreaField(_l("Note"), [InputRequired(), Length(max=10000)])
    linked = HiddenField(_l("Related to"))


# What each kind creates ---------------------------------------------------------------


@dataclass
class Kind:
    key: str
    label: object  # "Lead", for the title and the flash
    model: type
    form: type
    fields: tuple  # form fields copied as they are into the service's data
    # Service error keys -> the form field that shows them.
    errors: dict
    # Hidden fields filled by an ajax lookup: {field: lookup kind}.
    lookups: dict
    defaults: dict


KINDS = {
    "lead": Kind(
        "lead",
        _l("Lead"),
        Lead,
        LeadForm,
        ("first_name", "last_name", "organization_name", "email", "phone"),
        {"name": "last_name"},
        {},
        {},
    ),
    "contact": Kind(
        "contact",
        _l("Contact"),
        Contact,
        ContactForm,
        ("first_name", "last_name", "title", "email", "phone"),
        {"name": "last_name"},
        {"organization": "company"},
        {"is_organization": False},
    ),
    "company": Kind(
        "company",
        _l("Company"),
        Contact,
        CompanyForm,
        ("name", "email", "phone", "website"),
        {},
        {},
        {"is_organization": True},
    ),
    "deal": Kind(
        "deal",
        _l("Deal"),
        Deal,
        DealForm,
        ("name", "value"),
        {"organization": "contact"},
        {"contact": "contact"},
        {},
    ),
    "task": Kind(
        "task",
        _l("Task"),
        Task,
        TaskForm,
        ("content", "reminder"),
        {"lead": "linked", "contact": "linked", "deal": "linked"},
        {"linked": "record"},
        {},
    ),
    "appointment": Kind(
        "appointment",
        _l("Appointment"),
        Appointment,
        AppointmentForm,
        ("title", "location"),
        {"lead": "linked", "contact": "linked", "deal": "linked"},
        {"linked": "record"},
        {},
    ),
    "note": Kind(
        "note",
        _l("Note"),
        Note,
        NoteForm,
        ("content",),
        {"lead": "linked", "contact": "linked", "deal": "linked"},
        {"linked": "record"},
        {},
    ),
}
MENU = [
    ("lead", _l("Lead")),
    ("contact", _l("Contact")),
    ("company", _l("Company")),
    ("deal", _l("Deal")),
    ("task", _l("Task")),
    ("appointment", _l("Appointment")),
    ("note", _l("Note")),
]
assert [k for k, _label in MENU] == list(KINDS)
LOOKUP_KINDS = {
    "company": ("company",),
    "contact": ("contact", "company"),
    "record": ("deal", "contact", "company", "lead"),
}


# Choices and lookups, all scoped by the policy ----------------------------------------------


def owner_choices(user):
    """[(id, name)] the user may assign, or None when that is only themselves."""
    allowed = access.assignable_ids(user)
    if allowed is not None and allowed <= {user.id}:
        return None
    query = User.select().where(User.active == True)  # noqa: E712
    if allowed is not None:
        query = query.where(User.id.in_(sorted(allowed)))
    users = sorted(query, key=lambda u: (u.id != user.id, u.name.lower()))
    choices = [(str(u.id), u.name) for u in users]
    if access.can_assign(user, None):
        choices.append(("", gettext("Unassigned")))
    return choices


def stage_choices():
    stages = (
        Stage.select(Stage, Pipeline)
        .join(Pipeline)
        .where(Stage.category == "active")
        .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id, Stage.position)
    )
    return [(str(s.id), f"{s.pipeline.name} › {s.name}") for s in stages]


def action_type_choices():
    types = ActionType.select().order_by(ActionType.position, ActionType.id)
    return [("", gettext("No action type"))] + [(str(t.id), t.name) for t in types]


def visible_record(user, kind, record_id):
    """A lead, contact or deal the user may see, else None."""
    model = LINK_KINDS.get(kind)
    record_id = parse_id(record_id)
    if model is None or record_id is None:
        return None
    return access.visible(model.select(), user, model).where(model.id == record_id).first()


def link_value(record):
    """How a record travels in a "Related to" field: "deal:5"."""
    kind = "contact" if isinstance(record, Contact) else record.entity
    return f"{kind}:{record.id}"


def record_label(record):
    kind = endpoint_of(record)
    labels = {"lead": _l("Lead"), "contact": _l("Contact"), "company": _l("Company")}
    return f"{labels.get(kind, _l('Deal'))} · {record.name}"


def from_datasheet(user, next_url):
    """The visible record whose datasheet `next_url` is, if it is one."""
    match = _DATASHEET.fullmatch(next_url or "")
    if not match:
        return None
    kind = "contact" if match.group(1) == "company" else match.group(1)
    return visible_record(user, kind, match.group(2))


class QuickAddView(GateMixin, BaseView):
    access_policy = "authenticated"

    def is_visible(self):
        return False  # reached from the navbar's Add menu

    @expose("/")
    def index(self):
        # No kind chosen: a lead, where most sales work starts.
        next_url = safe_next(request.args.get("next"))
        args = {"next": next_url} if next_url else {}
        return redirect(url_for(".add", kind="lead", **args))

    @expose("/<kind>/", methods=("GET", "POST"))
    def add(self, kind):
        spec = KINDS.get(kind)
        if spec is None:
            abort(404)
        user = current_user()
        next_url = safe_next(request.args.get("next"))
        form = spec.form()
        choices = owner_choices(user)
        if choices is None:
            del form.owner  # creates as themselves; a posted owner is never read
        else:
            form.owner.choices = choices
            if request.method == "GET":
                form.owner.data = str(user.id)
        if "stage" in form:
            form.stage.choices = stage_choices()
        if "action_type" in form:
            form.action_type.choices = action_type_choices()
        if request.method == "GET":
            self.prefill(user, spec, form, next_url)
        form_errors = []
        if form.validate_on_submit():
            record = self.create(user, spec, form, form_errors)
            if record is not None:
                link = Markup('<a href="{}">{}</a>').format(
                    url_for(f"{endpoint_of(record)}.details_view", id=record.id), str(record)
                )
                flash(
                    Markup(escape(gettext("%(kind)s %(link)s created.")))
                    % {
                        "kind": spec.label,
                        "link": link,
                    },
                    "success",
                )
                return redirect(
                    next_url or url_for(f"{endpoint_of(record)}.details_view", id=record.id)
                )
        elif request.method == "POST" and form.errors.get("csrf_token"):
            form_errors.append(gettext("The form expired. Please send it again."))
        return self.render(
            "accord/quick_add.html",
            spec=spec,
            form=form,
            form_errors=form_errors,
            next_url=next_url,
            accord_next=next_url,  # the navbar's Add menu keeps the same way back
            cancel_url=next_url or url_for("admin.index"),
            lookups=self.lookup_fields(user, spec, form),
            menu=MENU,
        )

    # Input -> service data ---------------------------------------------------------------

    def prefill(self, user, spec, form, next_url):
        due = request.args.get("due", "")
        if "due_at" in form and due:
            # From a calendar slot: ?due=YYYY-MM-DDTHH:MM (local time).
            try:
                form.due_at.data = dt.datetime.strptime(due[:16], "%Y-%m-%dT%H:%M")
            except ValueError:
                pass
        record = from_datasheet(user, next_url)
        if record is None:
            return
        if "linked" in form:
            form.linked.data = link_value(record)
        elif spec.key == "deal" and isinstance(record, Contact):
            form.contact.data = str(record.id)
        elif spec.key == "contact" and isinstance(record, Contact) and record.is_organization:
            form.organization.data = str(record.id)

    def data(self, user, spec, form):
        data = {}
        for name in spec.fields:
            value = form[name].data
            if isinstance(form[name], StringField):  # text areas too
                value = (value or "").strip()
            data[name] = value
        data.update(spec.defaults)
        if spec.key == "deal":
            data["value"] = data["value"] if data["value"] is not None else 0
            data["currency"] = (form.currency.data or "EUR").upper()
            data["stage"] = parse_id(form.stage.data)
            contact = self.contact_of(user, form.contact)
            if contact is not None and contact.is_organization:
                data["organization"] = contact.id
            elif contact is not None:
                data["contact"] = contact.id
                org = contact.organization_id and visible_record(
                    user, "contact", contact.organization_id
                )
                if org:
                    data["organization"] = org.id
        if spec.key == "contact":
            company = self.contact_of(user, form.organization)
            data["organization"] = company.id if company is not None else None
        if "due_at" in form and form.due_at.data:
            data["due_at"] = to_utc(form.due_at.data)
        if "action_type" in form and form.action_type.data:
            data["action_type"] = parse_id(form.action_type.data)
        if spec.key == "appointment":
            starts = to_utc(form.starts_at.data)
            ends = to_utc(form.ends_at.data) if form.ends_at.data else None
            data["starts_at"] = starts
            data["ends_at"] = ends or starts + dt.timedelta(hours=1)
        if "linked" in form and form.linked.data:
            match = _LINK.fullmatch(form.linked.data)
            record = match and visible_record(user, match.group(1), match.group(2))
            if not record:
                raise ValidationError(
                    {"linked": gettext("Not found, or not a choice you can make.")}
                )
            data[match.group(1)] = record.id
        return data

    def contact_of(self, user, field):
        if not field.data:
            return None
        record = visible_record(user, "contact", field.data)
        if record is None:
            raise ValidationError({field.name: gettext("Not found, or not a choice you can make.")})
        return record

    def create(self, user, spec, form, form_errors):
        try:
            data = self.data(user, spec, form)
            owner = {}
            if "owner" in form:
                owner = {"owner": parse_id(form.owner.data)}
            return records.create(user, spec.model, data, **owner)
        except ValidationError as exc:
            self.place(spec, form, exc.errors, form_errors)
        except Forbidden as exc:
            if str(exc) != "owner" or "owner" not in form:
                abort(403)
            form.owner.errors = [gettext("You cannot assign this record to that user.")]
        except NotFound:
            abort(404)
        return None

    def place(self, spec, form, errors, form_errors):
        for key, message in errors.items():
            name = spec.errors.get(key, key)
            if name and name in form and name != "csrf_token":
                form[name].errors = [*form[name].errors, message]
            else:
                form_errors.append(message)

    # The select2 lookups ------------------------------------------------------------------

    def lookup_fields(self, user, spec, form):
        """{field: (lookup url, initial [value, label] or None)} for the hidden ajax fields;
        a posted value the user may not see is dropped, never labelled."""
        fields = {}
        for name, lookup in spec.lookups.items():
            value = form[name].data or ""
            initial = None
            if lookup == "record":
                match = _LINK.fullmatch(value)
                record = match and visible_record(user, match.group(1), match.group(2))
                if record:
                    initial = [link_value(record), record_label(record)]
            else:
                record = visible_record(user, "contact", value) if value else None
                if record:
                    initial = [str(record.id), record_label(record)]
            if initial is None:
                form[name].data = ""
            fields[name] = (url_for(".lookup", kind=lookup), initial)
        return fields

    @expose("/lookup/<kind>/")
    def lookup(self, kind):
        kinds = LOOKUP_KINDS.get(kind)
        if kinds is None:
            abort(404)
        if parse_id(request.args.get("offset")) is not None:
            return jsonify([])  # one page: the best matches are the first ten
        try:
            found = search.search(
                current_user(), request.args.get("query", ""), LOOKUP_LIMIT, kinds
            )
        except search.QueryError:
            return jsonify([])
        # Round-robin over the kinds, so a deal name cannot crowd out every contact.
        columns = [found[group].records for group in kinds]
        rows = []
        for index in range(LOOKUP_LIMIT):
            for column in columns:
                if index < len(column):
                    record = column[index]
                    value = link_value(record) if kind == "record" else str(record.id)
                    rows.append([value, record_label(record)])
        return jsonify(rows[:LOOKUP_LIMIT])


def quick_add_view():
    return QuickAddView(name=_l("Add"), endpoint="quick_add", url="/admin/add")
