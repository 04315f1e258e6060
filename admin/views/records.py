"""The record views at /admin/<entity>/: leads, contacts, companies, deals, tasks,
appointments and notes. Everything about access lives in AccessModelView."""

from functools import partial

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.peewee import filters as pf
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from accord.admin.views import base, deal_list, task_list
from accord.admin.views import formatters as fmt
from accord.admin.views.base import AccessModelView
from accord.admin.views.convert import ConvertMixin
from accord.admin.views.custom_fields import CustomFieldsMixin
from accord.admin.views.datasheet import DatasheetMixin, next_todo_url
from accord.admin.views.filters import ChoiceFilter, EmptyFilter, owner_filters, query_options
from accord.admin.views.gate import current_user
from accord.admin.views.lookups import OwnerLoader, RecordLoader, parse_id
from accord.core import access
from accord.core.db import write
from accord.core.models import (
    ADDRESS_FIELDS,
    CUSTOMER_STATUSES,
    REACH_FIELDS,
    ActionType,
    Appointment,
    Contact,
    Deal,
    Lead,
    LossReason,
    Note,
    Pipeline,
    Source,
    Stage,
    Status,
    Task,
    UnqualifiedReason,
)
from accord.core.services import ValidationError, deals, records, tasks

LABELS = {
    "name": _l("Name"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "organization_name": _l("Organization"),
    "organization": _l("Organization"),
    "title": _l("Title"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "website": _l("Website"),
    "street": _l("Street"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "region": _l("Region"),
    "country": _l("Country"),
    "status": _l("Status"),
    "source": _l("Source"),
    "description": _l("Description"),
    "owner": _l("Owner"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
    "converted_at": _l("Converted"),
    "converted_contact": _l("Converted to"),
    "customer_status": _l("Customer status"),
    "value": _l("Value"),
    "currency": _l("Currency"),
    "contact": _l("Contact"),
    "stage": _l("Stage"),
    "pipeline": _l("Pipeline"),
    "probability": _l("Probability %"),
    "hot": _l("Hot"),
    "estimated_close_date": _l("Estimated close"),
    "loss_reason": _l("Loss reason (when lost)"),
    "unqualified_reason": _l("Unqualified reason (when unqualified)"),
    "last_stage_change_at": _l("Stage changed"),
    "closed_at": _l("Closed"),
    "content": _l("Text"),
    "due_at": _l("Due"),
    "reminder": _l("Reminder"),
    "done": _l("Done"),
    "done_at": _l("Done at"),
    "action_type": _l("Action"),
    "lead": _l("Lead"),
    "deal": _l("Deal"),
    "linked": _l("Linked to"),
    "creator": _l("Created by"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "all_day": _l("All day"),
    "location": _l("Location"),
    "calendar": _l("Calendar"),
}

CUSTOMER_STATUS_CHOICES = [
    ("none", _l("None")),
    ("prospect", _l("Prospect")),
    ("customer", _l("Customer")),
]
assert {c for c, _label in CUSTOMER_STATUS_CHOICES} == set(CUSTOMER_STATUSES)

REMINDER_CHOICES = task_list.REMINDER_CHOICES


def statuses(kind):
    return Status.select().where(Status.entity_kind == kind).order_by(Status.position, Status.id)


def status_options(kind):
    return query_options(lambda: statuses(kind), lambda s: s.name)


def _by_name(model):
    return query_options(lambda: model.select().order_by(model.name), lambda r: r.name)


def stages_query():
    return (
        Stage.select(Stage, Pipeline)
        .join(Pipeline)
        .order_by(Pipeline.position, Pipeline.id, Stage.position, Stage.id)
    )


def stage_label(stage):
    return f"{stage.pipeline.name} › {stage.name}"


def owner_ref():
    return OwnerLoader("owner", placeholder=_l("Choose a user"))


def lead_ref():
    return RecordLoader("lead", Lead, ["name", "email"], placeholder=_l("Choose a lead"))


def person_ref(name="contact"):
    return RecordLoader(
        name,
        Contact,
        ["name", "email"],
        where=Contact.is_organization == False,  # noqa: E712
        placeholder=_l("Choose a person"),
    )


def any_contact_ref(name="contact"):
    return RecordLoader(name, Contact, ["name", "email"], placeholder=_l("Choose a contact"))


def organization_ref(name="organization"):
    return RecordLoader(
        name,
        Contact,
        ["name"],
        where=Contact.is_organization == True,  # noqa: E712
        placeholder=_l("Choose a company"),
    )


def deal_ref():
    return RecordLoader("deal", Deal, ["name"], placeholder=_l("Choose a deal"))


def choice_select(choices):
    # A plain SelectField (not a subclass): the inline-edit widget checks the class name.
    return partial(SelectField, choices=choices)


# What a linked contact or company shows in a list (formatters.link_to: its name, the
# datasheet it links to, the access check): not its address, custom values …
LINK_FIELDS = ("id", "name", "is_organization", "owner", "deleted_at")


class RecordView(CustomFieldsMixin, AccessModelView):
    """Shared columns and panels of owned records."""

    column_labels = LABELS
    list_prefetch_fields = {
        name: LINK_FIELDS for name in ("organization", "contact", "converted_contact")
    }
    column_default_sort = ("updated_at", True)
    column_formatters = {
        "owner": fmt.owner,
        "status": fmt.badge,
        "action_type": fmt.badge,
        "organization": fmt.record_link,
        "contact": fmt.record_link,
        "lead": fmt.record_link,
        "deal": fmt.record_link,
        "linked": fmt.linked,
        "creator": fmt.user_name,
        "converted_contact": fmt.record_link,
    }

    def related_lists(self, record):
        """Panels of records linked to this one, each scoped by the access policy."""
        return []

    def scoped(self, model, where, order=None, limit=20):
        query = model.select().where(where)
        query = access.visible(query, current_user(), model)
        return list(query.order_by(order or model.id.desc()).limit(limit))


class LeadView(ConvertMixin, DatasheetMixin, RecordView):
    column_list = [
        "name",
        "organization_name",
        "email",
        "phone",
        "status",
        "source",
        "owner",
        "updated_at",
    ]
    column_details_list = [
        "name",
        "title",
        "organization_name",
        *REACH_FIELDS,
        *ADDRESS_FIELDS,
        "status",
        "source",
        "description",
        "owner",
        "converted_at",
        "converted_contact",
        "created_at",
        "updated_at",
    ]
    column_formatters = {**RecordView.column_formatters, "name": fmt.lead_name}
    column_searchable_list = ["name", "email", "phone", "organization_name"]
    search_kind = "lead"
    search_label = _l("Name, email, phone, organization")
    column_editable_list = ["status"]
    form_columns = [
        "first_name",
        "last_name",
        "organization_name",
        "title",
        *REACH_FIELDS,
        *ADDRESS_FIELDS,
        "status",
        "source",
        "description",
        "owner",
    ]
    form_ajax_refs = {"owner": owner_ref()}
    form_fk_queries = {"status": statuses("lead"), "source": Source.select().order_by(Source.name)}
    column_filters = [
        *owner_filters(Lead),
        ChoiceFilter(Lead.status, _l("Status"), status_options("lead")),
        ChoiceFilter(Lead.source, _l("Source"), _by_name(Source)),
        EmptyFilter(Lead.converted_at, _l("Converted"), _l("converted"), empty_means_yes=False),
        Lead.created_at,
        Lead.updated_at,
    ]

    def details_actions(self, record):
        actions = super().details_actions(record)
        actions["convert"] = record.converted_at is None and self.may("edit", record)
        return actions


class ContactView(DatasheetMixin, RecordView):
    """People (is_organization False); companies have their own view below."""

    is_organization = False
    column_list = [
        "name",
        "organization",
        "email",
        "phone",
        "customer_status",
        "status",
        "owner",
        "updated_at",
    ]
    column_details_list = [
        "name",
        "organization",
        "title",
        *REACH_FIELDS,
        *ADDRESS_FIELDS,
        "customer_status",
        "status",
        "source",
        "description",
        "owner",
        "created_at",
        "updated_at",
    ]
    column_choices = {"customer_status": CUSTOMER_STATUS_CHOICES}
    column_searchable_list = ["name", "email", "phone"]
    search_kind = "contact"
    search_label = _l("Name, email, phone")
    column_editable_list = ["customer_status"]
    form_columns = [
        "first_name",
        "last_name",
        "organization",
        "title",
        *REACH_FIELDS,
        *ADDRESS_FIELDS,
        "customer_status",
        "status",
        "source",
        "description",
        "owner",
    ]
    form_overrides = {"customer_status": choice_select(CUSTOMER_STATUS_CHOICES)}
    form_ajax_refs = {"organization": organization_ref(), "owner": owner_ref()}
    form_fk_queries = {
        "status": statuses("contact"),
        "source": Source.select().order_by(Source.name),
    }
    column_filters = [
        *owner_filters(Contact),
        ChoiceFilter(Contact.status, _l("Status"), status_options("contact")),
        ChoiceFilter(Contact.source, _l("Source"), _by_name(Source)),
        Contact.customer_status,
        Contact.created_at,
        Contact.updated_at,
    ]

    def base_query(self):
        return Contact.select().where(Contact.is_organization == self.is_organization)

    @property
    def create_defaults(self):
        return {"is_organization": self.is_organization}


class CompanyView(ContactView):
    is_organization = True
    search_kind = "company"
    column_list = [
        "name",
        "email",
        "phone",
        "city",
        "customer_status",
        "status",
        "owner",
        "updated_at",
    ]
    column_details_list = [
        "name",
        "email",
        "phone",
        "website",
        *ADDRESS_FIELDS,
        "customer_status",
        "status",
        "source",
        "description",
        "owner",
        "created_at",
        "updated_at",
    ]
    form_columns = [
        "name",
        "email",
        "phone",
        "website",
        *ADDRESS_FIELDS,
        "customer_status",
        "status",
        "source",
        "description",
        "owner",
    ]
    form_ajax_refs = {"owner": owner_ref()}


def _reason_check(stage, data):
    """Closing as lost or unqualified needs a reason (as deals.move_stage asks)."""
    if stage is None:
        return
    if stage.category == "lost" and not data.get("loss_reason"):
        raise ValidationError({"loss_reason": gettext("Choose why the deal was lost.")})
    if stage.category == "unqualified" and not data.get("unqualified_reason"):
        raise ValidationError({"unqualified_reason": gettext("Choose why it is unqualified.")})


class DealView(DatasheetMixin, RecordView):
    column_list = [
        "name",
        "value",
        "organization",
        "contact",
        "stage",
        "owner",
        "hot",
        "estimated_close_date",
        "updated_at",
    ]
    column_details_list = [
        "name",
        "value",
        "organization",
        "contact",
        "pipeline",
        "stage",
        "probability",
        "hot",
        "estimated_close_date",
        "source",
        "loss_reason",
        "unqualified_reason",
        "owner",
        "last_stage_change_at",
        "closed_at",
        "created_at",
        "updated_at",
    ]
    column_formatters = {**RecordView.column_formatters, "value": fmt.money}
    column_searchable_list = ["name"]
    search_kind = "deal"
    search_label = _l("Deal name")
    column_editable_list = ["hot"]
    form_columns = [
        "name",
        "value",
        "currency",
        "organization",
        "contact",
        "stage",
        "loss_reason",
        "unqualified_reason",
        "probability",
        "hot",
        "estimated_close_date",
        "source",
        "owner",
    ]
    form_ajax_refs = {
        "organization": organization_ref(),
        "contact": person_ref(),
        "owner": owner_ref(),
    }
    form_fk_queries = {
        "stage": stages_query(),
        "source": Source.select().order_by(Source.name),
        "loss_reason": LossReason.select().order_by(LossReason.name),
        "unqualified_reason": UnqualifiedReason.select().order_by(UnqualifiedReason.name),
    }
    form_fk_labels = {"stage": stage_label}
    # Every field can narrow the list; the per-stage count above it follows the filters
    # (admin/views/deal_list.py, template accord/board_deal_list.html).
    column_filters = [
        pf.FilterLike(Deal.name, _l("Name")),
        pf.FilterEqual(Deal.name, _l("Name")),
        ChoiceFilter(Deal.stage, _l("Stage"), query_options(stages_query, stage_label)),
        ChoiceFilter(Deal.pipeline, _l("Pipeline"), _by_name(Pipeline)),
        deal_list.OutcomeFilter(Deal.stage, _l("Outcome")),
        EmptyFilter(Deal.closed_at, _l("Closed"), _l("closed"), empty_means_yes=False),
        pf.DateTimeBetweenFilter(Deal.closed_at, _l("Closed")),
        pf.FloatGreaterFilter(Deal.value, _l("Value")),
        pf.FloatSmallerFilter(Deal.value, _l("Value")),
        pf.FloatEqualFilter(Deal.value, _l("Value")),
        deal_list.CodeFilter(Deal.currency, _l("Currency")),
        *owner_filters(Deal),
        pf.BooleanEqualFilter(Deal.hot, _l("Hot")),
        pf.DateBetweenFilter(Deal.estimated_close_date, _l("Estimated close")),
        pf.DateSmallerFilter(Deal.estimated_close_date, _l("Estimated close")),
        pf.DateGreaterFilter(Deal.estimated_close_date, _l("Estimated close")),
        EmptyFilter(Deal.estimated_close_date, _l("Estimated close"), _l("not set")),
        ChoiceFilter(Deal.source, _l("Source"), _by_name(Source)),
        deal_list.LinkedNameFilter(Deal.contact, _l("Contact name")),
        deal_list.LinkedNameFilter(Deal.organization, _l("Organization name")),
        ChoiceFilter(Deal.loss_reason, _l("Loss reason"), _by_name(LossReason)),
        ChoiceFilter(
            Deal.unqualified_reason, _l("Unqualified reason"), _by_name(UnqualifiedReason)
        ),
        pf.DateTimeBetweenFilter(Deal.created_at, _l("Created")),
        pf.DateTimeGreaterFilter(Deal.created_at, _l("Created")),
        pf.DateTimeSmallerFilter(Deal.created_at, _l("Created")),
        pf.DateTimeBetweenFilter(Deal.updated_at, _l("Updated")),
        pf.DateTimeGreaterFilter(Deal.updated_at, _l("Updated")),
        pf.DateTimeSmallerFilter(Deal.updated_at, _l("Updated")),
        pf.DateTimeBetweenFilter(Deal.last_stage_change_at, _l("Stage changed")),
    ]
    column_sortable_list = ["name", "value", "hot", "estimated_close_date", "updated_at"]
    list_template = "accord/board_deal_list.html"

    def stage_counts_html(self, search, filters):
        """Per stage, how many of the listed deals (the list's search and filters), as
        the badges above the list."""
        return deal_list.stage_counts_html(self, search, filters)

    def list_count(self, query, search=None, filters=None, ordered=None):
        """From the per-stage counts the page shows anyway (one question, not two)."""
        if request.args.get("count") == "exact":
            return super().list_count(query, search, filters)
        total = deal_list.listed_total(self, search, filters)
        if total is None or total > base.COUNT_CAP:
            g.accord_count_capped = True
            return None
        return total

    def create_record(self, user, data, owner, form):
        stage = Stage.get_or_none(Stage.id == data["stage"]) if data.get("stage") else None
        _reason_check(stage, data)
        return records.create(user, Deal, data, **owner)

    def update_record(self, user, record, data, owner, form):
        if "stage" not in data:
            return records.update(user, record, data, **owner)
        stage = data.pop("stage")
        loss = data.pop("loss_reason", record.loss_reason_id)
        unqualified = data.pop("unqualified_reason", record.unqualified_reason_id)
        with write():  # the other fields and the stage move stand or fall together
            if data or owner:
                records.update(user, record, data, **owner)
            category = getattr(Stage.get_or_none(Stage.id == stage), "category", None)
            reason = unqualified if category == "unqualified" else loss
            return deals.move_stage(user, record, stage, reason=reason)

    def details_actions(self, record):
        actions = super().details_actions(record)
        if self.may("edit", record):
            actions["move_stage"] = {
                "stages": list(stages_query()),
                "label": stage_label,
                "loss_reasons": list(LossReason.select().order_by(LossReason.name)),
                "unqualified_reasons": list(
                    UnqualifiedReason.select().order_by(UnqualifiedReason.name)
                ),
            }
        return actions

    @expose("/move_stage/", methods=("POST",))
    def move_stage_view(self):
        deal = self.get_one(request.args.get("id"))
        if not self.may("edit", deal):
            abort(403)
        stage = parse_id(request.form.get("stage"))
        reason = parse_id(request.form.get("reason"))
        if stage is None:
            flash(gettext("Choose a stage."), "error")
        else:
            user = current_user()
            done = self.run_service(None, lambda: deals.move_stage(user, deal, stage, reason))
            if done is not None:
                flash(gettext("The deal moved to %(stage)s.", stage=done.stage.name), "success")
        return redirect(self.get_url(".details_view", id=deal.id))


class LinkedView(RecordView):
    """Tasks, appointments, notes: they hang off a lead, contact or deal."""

    list_prefetch = ("lead", "contact", "deal")
    form_ajax_refs = {
        "lead": lead_ref(),
        "contact": any_contact_ref(),
        "deal": deal_ref(),
        "owner": owner_ref(),
    }


class TaskView(LinkedView):
    column_list = ["content", "due_at", "action_type", "status", "linked", "owner", "done"]
    column_details_list = [
        "content",
        "due_at",
        "reminder",
        "action_type",
        "status",
        "linked",
        "owner",
        "creator",
        "done",
        "done_at",
        "created_at",
        "updated_at",
    ]
    column_default_sort = ("due_at", False)
    column_formatters = {
        **RecordView.column_formatters,
        "content": fmt.task_content(),
        "due_at": fmt.due,
    }
    column_choices = {"reminder": REMINDER_CHOICES}
    column_searchable_list = ["content"]
    search_label = _l("Task text")
    column_editable_list = ["done"]
    form_columns = [
        "content",
        "due_at",
        "reminder",
        "action_type",
        "status",
        "lead",
        "contact",
        "deal",
        "owner",
        "done",
    ]
    form_overrides = {"reminder": choice_select(REMINDER_CHOICES)}
    form_fk_queries = {
        "status": statuses("task"),
        "action_type": ActionType.select().order_by(ActionType.position, ActionType.id),
    }
    column_filters = [
        *owner_filters(Task),
        Task.done,
        ChoiceFilter(
            Task.action_type,
            _l("Action"),
            query_options(lambda: ActionType.select().order_by(ActionType.position)),
        ),
        ChoiceFilter(Task.status, _l("Status"), status_options("task")),
        Task.due_at,
        Task.created_at,
        # The quick tabs above the list (Mine, Overdue, Today, This week).
        *task_list.filters(),
    ]
    list_template = "accord/task_list.html"

    def quick_tabs(self):
        return task_list.tabs(self)

    def details_actions(self, record):
        actions = super().details_actions(record)
        actions["complete"] = self.may("edit", record)
        return actions

    @expose("/complete/", methods=("POST",))
    def complete_view(self):
        task = self.get_one(request.args.get("id"))
        if not self.may("edit", task):
            abort(403)
        done = request.form.get("done", "1") == "1"
        user = current_user()
        if self.run_service(None, lambda: tasks.complete(user, task, done)) is not None:
            flash(gettext("Task done.") if done else gettext("Task open again."), "success")
            if done and (sheet := next_todo_url(task)):
                return redirect(sheet)  # the record's datasheet asks for the next to-do
        return redirect(self.get_url(".details_view", id=task.id))


class NoteView(LinkedView):
    column_list = ["content", "linked", "owner", "created_at"]
    column_details_list = ["content", "linked", "owner", "created_at", "updated_at"]
    column_default_sort = ("created_at", True)
    column_formatters = {**RecordView.column_formatters, "content": fmt.short_text(120)}
    column_formatters_detail = {**RecordView.column_formatters}
    column_searchable_list = ["content"]
    search_label = _l("Note text")
    column_editable_list = ["content"]
    form_columns = ["content", "lead", "contact", "deal", "owner"]
    column_filters = [*owner_filters(Note), Note.created_at]


def record_views():
    from accord.admin.views.appointments import AppointmentView

    return [
        LeadView(Lead, _l("Leads"), endpoint="lead", url="lead"),
        ContactView(Contact, _l("Contacts"), endpoint="contact", url="contact"),
        CompanyView(Contact, _l("Companies"), endpoint="company", url="company"),
        DealView(Deal, _l("Deals"), endpoint="deal", url="deal"),
        TaskView(Task, _l("Tasks"), endpoint="task", url="task"),
        AppointmentView(Appointment, _l("Appointments"), endpoint="appointment", url="appointment"),
        NoteView(Note, _l("Notes"), endpoint="note", url="note"),
    ]
