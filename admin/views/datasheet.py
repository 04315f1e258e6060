"""The datasheet: one page per lead, contact, company and deal (MiniCRM's client sheet).

Header (name, status badge, owner, key fields, quick actions), the open to-dos, the
history (notes, completed to-dos, the record's activity, plugins' panels), and what is
linked to it (people, deals, appointments, documents). Every list goes through
accord.core.access, every write through accord.core.services; each list is loaded in
one query with its owners, statuses and links prefetched (no query per row).

Completing a to-do here asks for the next one (MiniCRM's rule: the sales process never
stops): the page comes back with a "next to-do" form prefilled from the done one.
"""

import datetime as dt
from dataclasses import dataclass, field

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from peewee import DateField, DateTimeField

from accord.admin.views import formatters as fmt
from accord.admin.views.base import _user_zone, prefetch, to_utc
from accord.admin.views.gate import current_user
from accord.admin.views.lookups import parse_id
from accord.admin.views.quick_add import owner_choices
from accord.admin.views.task_list import REMINDER_CHOICES
from accord.core import access, custom_values, i18n
from accord.core.models import (
    ActionType,
    Appointment,
    Contact,
    Deal,
    Document,
    Lead,
    Note,
    Task,
    utcnow,
)
from accord.core.services import Forbidden, NotFound, ValidationError, documents, records, tasks
from accord.core.services import history as record_history

OPEN_TASKS_SHOWN = 50
HISTORY_LIMIT = 50
LINKED_LIMIT = 50
MAX_NOTE = 10_000
MAX_TASK = 2_000

KIND_LABELS = {
    "lead": _l("Lead"),
    "contact": _l("Person"),
    "company": _l("Company"),
    "deal": _l("Deal"),
}

# The fields the header shows, per kind; "More details" lists the rest.
HEADER_FIELDS = {
    "lead": (
        "title",
        "organization_name",
        "email",
        "phone",
        "mobile",
        "website",
        "source",
        "converted_contact",
    ),
    "contact": (
        "title",
        "organization",
        "email",
        "phone",
        "mobile",
        "website",
        "customer_status",
        "source",
    ),
    "company": ("email", "phone", "website", "city", "customer_status", "source"),
    "deal": (
        "value",
        "stage",
        "probability",
        "estimated_close_date",
        "contact",
        "organization",
        "source",
        "loss_reason",
        "unqualified_reason",
    ),
}
# Header fields that point at another record (shown as a link when the user may see it).
FOREIGN = {
    "organization",
    "contact",
    "converted_contact",
    "stage",
    "source",
    "loss_reason",
    "unqualified_reason",
}
# Shown elsewhere on the page (title, badge, owner line) or never useful there.
NOT_IN_DETAILS = {"name", "status", "owner", "hot", "currency", "pipeline", "created_at"}
# Header labels that differ from the list's (the value says "%" itself).
HEADER_LABELS = {"probability": _l("Probability")}


# Small formatting helpers ----------------------------------------------------------


def _locale():
    return getattr(current_user(), "locale", None) or "en"


def money(value, currency):
    try:
        return i18n.format_money(value, currency or "EUR", _locale())
    except Exception:  # an unknown locale or currency code must not break the page
        return i18n.format_money(value, currency or "EUR", "en")


def mailto(address):
    return Markup('<a href="mailto:{}">{}</a>').format(address, address)


def tel(number):
    dial = "".join(c for c in number if c.isdigit() or c == "+")
    return Markup('<a href="tel:{}">{}</a>').format(dial, number)


def web_link(address):
    # Only http(s): anything else typed in (javascript:, data:) becomes a plain https URL.
    url = address if address.lower().startswith(("http://", "https://")) else f"https://{address}"
    return Markup('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>').format(
        url, address
    )


is_overdue = fmt.is_overdue  # one rule for every surface


def to_local_input(value):
    """A naive UTC datetime as the value of an <input type="datetime-local">."""
    if value is None:
        return ""
    local = value.replace(tzinfo=dt.UTC).astimezone(_user_zone())
    return local.strftime("%Y-%m-%dT%H:%M")


def parse_due(text):
    """A due time typed in the user's zone ("2030-01-02T09:00", "2030-01-02 09:00",
    "2030-01-02") -> naive UTC; "" -> None; anything else -> ValidationError."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            value = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        if pattern == "%Y-%m-%d":
            value = value.replace(hour=9)
        return to_utc(value)
    raise ValidationError({"due_at": gettext("Enter the due time as YYYY-MM-DD HH:MM.")})


def next_working_morning():
    """Tomorrow (or Monday) at 9:00 in the user's zone, as naive UTC: the default due
    time of a next to-do."""
    local = dt.datetime.now(_user_zone()).replace(tzinfo=None)
    day = local.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return to_utc(dt.datetime.combine(day, dt.time(9, 0)))


# What the page shows ---------------------------------------------------------------


@dataclass
class Fact:
    label: object
    value: object


@dataclass
class Item:
    """One line of the history: a note, a done to-do, a change, a conversion."""

    at: object
    kind: str  # note | task | activity | converted_from
    actor: object = None
    record: object = None  # the note or task
    entry: object = None  # a history.Entry
    lead: object = None  # converted_from: the lead this contact came from


@dataclass
class Section:
    """A linked list on the right: people, deals, the organization …"""

    key: str
    title: object
    rows: list
    empty: object = ""


@dataclass
class Datasheet:
    kind: str
    record: object
    link_field: str
    now: object
    facts: list = field(default_factory=list)
    actions: dict = field(default_factory=dict)
    todos: list = field(default_factory=list)
    history: list = field(default_factory=list)
    sections: list = field(default_factory=list)
    stage_history: list = field(default_factory=list)
    appointments: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    panels: list = field(default_factory=list)
    details_columns: list = field(default_factory=list)
    custom_values: list = field(default_factory=list)  # [(label, text)] of custom fields
    action_types: list = field(default_factory=list)
    # The quick to-do's choices: reminders, and assignees (None: only the user).
    reminders: list = field(default_factory=list)
    assignees: list = None
    next_todo: dict = None  # the prompt after a completed to-do: prefilled values
    forms: dict = field(default_factory=dict)  # typed values to keep after an error
    errors: dict = field(default_factory=dict)


class DatasheetMixin:
    """The datasheet as the details page of a record view, and its quick actions.

    Put it before the record view's base class: it replaces Flask-Admin's details view.
    """

    details_template = "accord/datasheet.html"

    # Reading ---------------------------------------------------------------------

    @property
    def link_field(self):
        """The field of a task, note, appointment or document that points here."""
        return self.model.entity

    def linked_query(self, model, record):
        query = model.select().where(getattr(model, self.link_field) == record.id)
        return access.visible(query, current_user(), model)

    def label(self, name):
        labels = self.column_labels or {}
        return labels.get(name) or name.replace("_", " ").capitalize()

    def datasheet(self, record, completed=None, forms=None, errors=None):
        kind = self.endpoint if self.endpoint in HEADER_FIELDS else self.model.entity
        sheet = Datasheet(
            kind=kind,
            record=record,
            link_field=self.link_field,
            now=utcnow(),
            forms=forms or {},
            errors=errors or {},
        )
        sheet.facts = self.header_facts(kind, record)
        sheet.actions = self.sheet_actions(record)
        sheet.todos = self.open_todos(record)
        entries = record_history.entries(record, HISTORY_LIMIT)
        sheet.history = self.history_items(record, entries)
        sheet.sections = self.linked_sections(kind, record)
        if isinstance(record, Deal):
            sheet.stage_history = record_history.stage_history(record, entries)
        sheet.appointments = self.linked_rows(
            Appointment, record, Appointment.starts_at.desc(), ("owner",)
        )
        sheet.documents = self.linked_rows(
            Document, record, Document.uploaded_at.desc(), ("owner",)
        )
        sheet.panels = self.record_panels(record)
        shown = set(HEADER_FIELDS.get(kind, ())) | NOT_IN_DETAILS
        sheet.details_columns = [(c, n) for c, n in self._details_columns if c not in shown]
        sheet.custom_values = [
            (definition.label, text)
            for definition, text in custom_values.display(record, _locale())
            if text
        ]
        sheet.action_types = list(ActionType.select().order_by(ActionType.position, ActionType.id))
        sheet.reminders = REMINDER_CHOICES
        sheet.assignees = owner_choices(current_user())
        if completed is not None:
            sheet.next_todo = self.next_todo_prefill(completed)
        return sheet

    def header_facts(self, kind, record):
        facts = []

        def add(name, value):
            if value not in (None, ""):
                facts.append(Fact(HEADER_LABELS.get(name) or self.label(name), value))

        for name in HEADER_FIELDS.get(kind, ()):
            if name in FOREIGN:
                has_link = getattr(record, f"{name}_id", None) is not None
                target = fmt.related(record, name) if has_link else None
                if name == "stage" and target is not None:
                    add(name, f"{target.pipeline.name} › {target.name}")
                elif target is not None:
                    # Someone else's record shows as its name only (DESIGN §5).
                    add(name, fmt.link_to(target))
                continue
            value = getattr(record, name, None)
            if name == "email" and value:
                add(name, mailto(value))
            elif name in ("phone", "mobile") and value:
                add(name, tel(value))
            elif name == "website" and value:
                add(name, web_link(value))
            elif name == "value":
                add(name, money(value, record.currency))
            elif name == "probability":
                add(name, self.probability_text(record))
            elif name == "customer_status":
                choices = dict((self.column_choices or {}).get(name) or ())
                if value and value != "none":
                    add(name, choices.get(value, value))
            elif name == "estimated_close_date":
                add(name, fmt.local_date(value) if value else None)
            else:
                add(name, value)
        return facts

    def probability_text(self, record):
        if record.probability is not None:
            return gettext("%(n)s%% (set on the deal)", n=record.probability)
        return gettext("%(n)s%% (from the stage)", n=record.stage.likelihood)

    def sheet_actions(self, record):
        actions = dict(self.details_actions(record))
        actions["edit"] = self.may("edit", record)
        actions["delete"] = self.can_delete and self.may("delete", record)
        actions["write"] = self.may("edit", record)
        return actions

    def open_todos(self, record):
        query = self.linked_query(Task, record).where(Task.done == False)  # noqa: E712
        rows = list(query.order_by(Task.due_at.asc(nulls="LAST"), Task.id).limit(OPEN_TASKS_SHOWN))
        prefetch(rows, ("owner", "action_type", "status"))
        return rows

    def linked_rows(self, model, record, order, names):
        rows = list(
            self.linked_query(model, record).order_by(order, model.id.desc()).limit(LINKED_LIMIT)
        )
        prefetch(rows, names)
        return rows

    def history_items(self, record, entries):
        notes = self.linked_rows(Note, record, Note.created_at.desc(), ("owner",))
        done = list(
            self.linked_query(Task, record)
            .where(Task.done == True)  # noqa: E712
            .order_by(Task.done_at.desc(), Task.id.desc())
            .limit(HISTORY_LIMIT)
        )
        prefetch(done, ("owner", "action_type"))
        items = [Item(n.created_at, "note", n.owner, record=n) for n in notes]
        items += [Item(t.done_at or t.updated_at, "task", t.owner, record=t) for t in done]
        items += [Item(e.at, "activity", e.activity.actor, entry=e) for e in entries]
        if isinstance(record, Contact):
            query = Lead.select().where(Lead.converted_contact == record.id)
            for lead in access.visible(query, current_user(), Lead).limit(5):
                items.append(Item(lead.converted_at, "converted_from", lead=lead))
        items.sort(key=lambda item: item.at or dt.datetime.min, reverse=True)
        return items[:HISTORY_LIMIT]

    def linked_sections(self, kind, record):
        sections = []
        if kind == "company":
            people = Contact.select().where(
                (Contact.organization == record.id) & ~Contact.is_organization
            )
            people = list(
                access.visible(people, current_user(), Contact)
                .order_by(Contact.name, Contact.id)
                .limit(LINKED_LIMIT)
            )
            prefetch(people, ("owner",))
            sections.append(Section("people", _l("People"), people, _l("No people yet.")))
            sections.append(self.deal_section(Deal.organization == record.id))
        elif kind == "contact":
            sections.append(self.deal_section(Deal.contact == record.id))
        return sections

    def deal_section(self, where):
        query = access.visible(Deal.select().where(where), current_user(), Deal)
        # Open deals first, then the closed ones; the newest first in each.
        order = (Deal.closed_at.is_null(False), Deal.updated_at.desc(), Deal.id.desc())
        rows = list(query.order_by(*order).limit(LINKED_LIMIT))
        prefetch(rows, ("owner", "stage"))
        return Section("deals", _l("Deals"), rows, _l("No deals yet."))

    def next_todo_prefill(self, task):
        return {
            "done": task,
            "content": task.content,
            "due": to_local_input(next_working_morning()),
            "action_type": task.action_type_id,
        }

    # Values for the template -----------------------------------------------------------

    def change_value(self, name, value, linked):
        """An old or new value of a history change, readable."""
        if value in (None, ""):
            return "—"
        if linked:
            return str(value)
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, (dict, list)):
            return gettext("changed")  # custom-field values: the record's page shows them
        column = self.model._meta.fields.get(name)
        choices = dict((self.column_choices or {}).get(name) or ())
        if value in choices:
            return str(choices[value])
        if isinstance(value, str) and isinstance(column, (DateTimeField, DateField)):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            if isinstance(column, DateTimeField):
                return fmt.local_datetime(parsed, "short")
            return fmt.local_date(parsed.date())
        text = str(value)
        return text if len(text) <= 80 else text[:79] + "…"

    def is_open(self, record):
        """Still in play: an open deal, a lead not yet converted, any contact."""
        if isinstance(record, Deal):
            return record.closed_at is None
        if isinstance(record, Lead):
            return record.converted_at is None
        return True

    def money(self, deal):
        return money(deal.value, deal.currency)

    def due_text(self, task):
        return fmt.local_datetime(task.due_at, "short") if task.due_at else ""

    # Rendering ---------------------------------------------------------------------

    def render_datasheet(self, record, **kwargs):
        sheet = self.datasheet(record, **kwargs)
        return self.render(
            self.details_template,
            model=record,
            sheet=sheet,
            kind_label=KIND_LABELS.get(sheet.kind, ""),
            details_columns=sheet.details_columns,
            get_value=self.get_detail_value,
            return_url=get_redirect_target() or self.get_url(".index_view"),
            local_datetime=fmt.local_datetime,
            link_to=fmt.link_to,
            badge=fmt.badge,
            is_overdue=is_overdue,
            me=current_user(),
        )

    @expose("/details/")
    def details_view(self):
        record = self.get_one(request.args.get("id"))  # hidden or missing: 404
        completed = None
        task_id = parse_id(request.args.get("completed"))
        if task_id is not None:
            completed = (
                self.linked_query(Task, record)
                .where((Task.id == task_id) & (Task.done == True))  # noqa: E712
                .first()
            )
        return self.render_datasheet(record, completed=completed)

    # Quick actions (POST, CSRF-checked by CSRFProtect) -------------------------------

    def sheet_url(self, record, anchor=None, **args):
        url = self.get_url(".details_view", id=record.id, **args)
        return f"{url}#{anchor}" if anchor else url

    def writable_record(self):
        record = self.get_one(request.args.get("id"))
        if not self.may("edit", record):
            abort(403)
        return record

    def form_text(self, name, limit):
        text = (request.form.get(name) or "").strip()
        if len(text) > limit:
            raise ValidationError({name: gettext("This text is too long.")})
        return text

    def linked_child(self, model, record, name):
        """A task or document of this record the user may see, from a form field."""
        child_id = parse_id(request.form.get(name))
        if child_id is None:
            abort(400)
        child = self.linked_query(model, record).where(model.id == child_id).first()
        if child is None:
            abort(404)
        return child

    def retry(self, record, form, exc):
        """A refused quick action: the page again, the typed values kept, the messages shown."""
        for message in exc.errors.values():
            flash(message, "error")
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return self.render_datasheet(record, forms={form: values}, errors=exc.errors)

    @expose("/add_todo/", methods=("POST",))
    def add_todo_view(self):
        record = self.writable_record()
        user = current_user()
        try:
            data = {
                "content": self.form_text("content", MAX_TASK),
                "due_at": parse_due(request.form.get("due")),
                self.link_field: record.id,
            }
            action_type = parse_id(request.form.get("action_type"))
            if action_type is not None:
                data["action_type"] = action_type
            reminder = request.form.get("reminder") or ""
            if reminder not in dict(REMINDER_CHOICES):
                raise ValidationError({"reminder": gettext("Choose a reminder from the list.")})
            data["reminder"] = reminder
            records.create(user, Task, data, **self.todo_owner(user))
        except ValidationError as exc:
            return self.retry(record, "todo", exc)
        except Forbidden as exc:
            if str(exc) != "owner":
                abort(403)
            message = gettext("You cannot assign this to that user.")
            return self.retry(record, "todo", ValidationError({"owner": message}))
        if request.form.get("next") == "1":
            flash(gettext("Next to-do planned."), "success")
        else:
            flash(gettext("To-do added."), "success")
        return redirect(self.sheet_url(record, "todos"))

    def todo_owner(self, user):
        """The assignee picked on the quick to-do form; only read from users who may
        assign others (the service checks the choice against their rights)."""
        if owner_choices(user) is None or "owner" not in request.form:
            return {}
        value = request.form.get("owner") or ""
        owner = parse_id(value)
        if value and owner is None:
            raise ValidationError({"owner": gettext("Unknown user.")})
        return {"owner": owner}

    @expose("/complete_todo/", methods=("POST",))
    def complete_todo_view(self):
        record = self.get_one(request.args.get("id"))
        task = self.linked_child(Task, record, "task")
        if not self.may("edit", task):
            abort(403)
        try:
            tasks.complete(current_user(), task)
        except (Forbidden, NotFound):
            abort(403)
        flash(gettext("Done: %(task)s", task=task.name), "success")
        # MiniCRM's rule: the page asks for the next to-do right away.
        return redirect(self.sheet_url(record, "next-todo", completed=task.id))

    @expose("/add_note/", methods=("POST",))
    def add_note_view(self):
        record = self.writable_record()
        try:
            content = self.form_text("content", MAX_NOTE)
            records.create(current_user(), Note, {"content": content, self.link_field: record.id})
        except ValidationError as exc:
            return self.retry(record, "note", exc)
        except Forbidden:
            abort(403)
        flash(gettext("Note added."), "success")
        return redirect(self.sheet_url(record, "history"))

    @expose("/upload_document/", methods=("POST",))
    def upload_document_view(self):
        record = self.writable_record()
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ValidationError({"file": gettext("Choose a file.")})
            documents.store(
                current_user(),
                upload_dir(),
                upload.filename,
                upload.stream,
                link={self.link_field: record.id},
            )
        except ValidationError as exc:
            return self.retry(record, "document", exc)
        except Forbidden:
            abort(403)
        flash(gettext("Document uploaded."), "success")
        return redirect(self.sheet_url(record, "documents"))

    @expose("/delete_document/", methods=("POST",))
    def delete_document_view(self):
        record = self.get_one(request.args.get("id"))
        document = self.linked_child(Document, record, "document")
        if not self.may("delete", document):
            abort(403)
        try:
            documents.remove(current_user(), document, upload_dir())
        except Forbidden:
            abort(403)
        flash(gettext("Document deleted."), "success")
        return redirect(self.sheet_url(record, "documents"))

    def download_url(self, document):
        return url_for("document.download_view", id=document.id)


def next_todo_url(task):
    """The datasheet of the record a just-completed task hangs off, asking for the next
    to-do; None when the task hangs off nothing the user may see."""
    record = task.linked
    if record is None or not access.can_see(current_user(), record):
        return None
    endpoint = fmt.endpoint_of(record)
    return url_for(f"{endpoint}.details_view", id=record.id, completed=task.id) + "#next-todo"


def upload_dir():
    # Imported here: documents.py builds on the record views, which build on this module.
    from accord.admin.views.documents import upload_dir as documents_upload_dir

    return documents_upload_dir()
