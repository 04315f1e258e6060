"""The appointment views at /admin/appointment/: the form with reminder, linked record
(scoped ajax lookups), attendees (active users and outside addresses) and the details
page with each attendee's answer. Writes go through core/services/appointments.py."""

import datetime as dt

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length

from accord.admin.views.filters import owner_filters
from accord.admin.views.lookups import parse_id
from accord.admin.views.records import (
    REMINDER_CHOICES,
    LinkedView,
    RecordView,
    choice_select,
)
from accord.core.models import Appointment, User
from accord.core.services import appointments

RESPONSE_LABELS = {
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "tentative": _l("Maybe"),
    "needs-action": _l("No answer yet"),
}
RESPONSE_CLASS = {
    "accepted": "success",
    "declined": "danger",
    "tentative": "warning",
    "needs-action": "secondary",
}
MAX_EMAILS_TEXT = 10_000


def attendee_list(view, context, model, name):
    rows = appointments.attendees(model)
    if not rows:
        return Markup('<span class="text-muted">{}</span>').format(gettext("No attendees."))
    items = [
        Markup(
            '<li class="accord-attendee"><span class="badge badge-{}">{}</span> {}{}</li>'
        ).format(
            RESPONSE_CLASS.get(row.response, "secondary"),
            RESPONSE_LABELS.get(row.response, row.response),
            row.name + " " if row.name else "",
            Markup("&lt;{}&gt;").format(row.email),
        )
        for row in rows
    ]
    return Markup('<ul class="list-unstyled mb-0">{}</ul>').format(Markup("").join(items))


def active_users():
    return User.select().where(User.active == True).order_by(User.first_name, User.email)  # noqa: E712


def _local_arg(name):
    """A date (YYYY-MM-DD) or local date-time (YYYY-MM-DDTHH:MM) from the query string."""
    raw = (request.args.get(name) or "")[:16]
    for fmt_ in ("%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(raw, fmt_)
        except ValueError:
            continue
    return None


class AppointmentView(LinkedView):
    column_list = ["title", "starts_at", "ends_at", "location", "linked", "owner"]
    column_details_list = [
        "title",
        "starts_at",
        "ends_at",
        "all_day",
        "location",
        "description",
        "reminder",
        "linked",
        "owner",
        "attendees",
        "created_at",
        "updated_at",
    ]
    column_labels = {**LinkedView.column_labels, "attendees": _l("Attendees")}
    column_formatters_detail = {**RecordView.column_formatters, "attendees": attendee_list}
    column_choices = {"reminder": REMINDER_CHOICES}
    column_default_sort = ("starts_at", True)
    column_searchable_list = ["title", "location"]
    search_label = _l("Title, location")
    column_editable_list = ["location"]
    form_columns = [
        "title",
        "starts_at",
        "ends_at",
        "all_day",
        "location",
        "description",
        "reminder",
        "lead",
        "contact",
        "deal",
        "owner",
    ]
    form_overrides = {"reminder": choice_select(REMINDER_CHOICES)}
    form_extra_fields = {
        "attendee_users": SelectMultipleField(
            _l("Attendees: users"),
            choices=[],
            coerce=int,
            validate_choice=True,
            render_kw={"data-role": "select2"},  # Flask-Admin's own select2, no CDN
        ),
        "attendee_emails": TextAreaField(
            _l("Attendees: other email addresses"),
            [Length(max=MAX_EMAILS_TEXT)],
            # Flask-Admin renders descriptions as HTML: the brackets are entities.
            description=_l("One per line: ann@example.com or Ann Smith &lt;ann@example.com&gt;"),
        ),
    }
    column_filters = [*owner_filters(Appointment), Appointment.starts_at, Appointment.all_day]

    # The form ------------------------------------------------------------------------

    def _with_attendee_choices(self, form):
        if "attendee_users" in form:
            form.attendee_users.choices = [(u.id, f"{u.name} <{u.email}>") for u in active_users()]
        return form

    def create_form(self, obj=None):
        form = self._with_attendee_choices(super().create_form(obj))
        if request.method == "GET":
            self._prefill(form)
        return form

    def edit_form(self, obj=None):
        form = self._with_attendee_choices(super().edit_form(obj))
        if request.method == "GET" and obj is not None and "attendee_users" in form:
            rows = appointments.attendees(obj)
            form.attendee_users.data = [r.user_id for r in rows if r.user_id]
            form.attendee_emails.data = "\n".join(
                f"{r.name} <{r.email}>" if r.name else r.email for r in rows if not r.user_id
            )
        return form

    def _prefill(self, form):
        """A new appointment from a calendar slot or a record: ?start=…&deal=<id>."""
        start = _local_arg("start")
        if start is not None:
            form.starts_at.data = start
            form.ends_at.data = start + dt.timedelta(hours=1)
            if "T" not in (request.args.get("start") or ""):
                form.all_day.data = request.args.get("all_day") == "1"
                if not form.all_day.data:
                    form.starts_at.data = start.replace(hour=9)
                    form.ends_at.data = start.replace(hour=10)
        for name in ("lead", "contact", "deal"):
            record_id = parse_id(request.args.get(name))
            if record_id is not None and name in form:
                # The scoped loader: a record the user may not see is simply not filled in.
                form[name].data = self._form_ajax_refs[name].get_one(record_id)

    def _attendees(self, form):
        """(user ids, [(email, name)]), or (None, None) for a form without them (the
        list's inline edit): the attendees then stay as they are."""
        if form is None or "attendee_users" not in form or "attendee_emails" not in form:
            return None, None
        emails = appointments.parse_emails(form.attendee_emails.data or "")
        return form.attendee_users.data or [], emails

    def create_record(self, user, data, owner, form):
        users, emails = self._attendees(form)
        return appointments.create(user, data, users or (), emails or (), **owner)

    def update_record(self, user, record, data, owner, form):
        users, emails = self._attendees(form)
        return appointments.update(user, record, data, users, emails, **owner)
