"""Settings › Lead forms (admins only): define public lead-capture forms, see each one's
public URL and an HTML snippet to paste into a website. Writes go through
accord.core.services.capture_forms; the public side is admin/views/capture_public.py."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core.models import Source, User
from accord.core.models.capture_forms import CaptureForm
from accord.core.services import Forbidden, ValidationError
from accord.core.services import capture_forms as service

ASSIGNMENT_CHOICES = [
    ("owner", _l("Always the same user")),
    ("round_robin", _l("Round robin among the chosen users")),
    ("none", _l("Unassigned (anyone may claim it)")),
]


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LeadFormForm(FlaskForm):
    name = StringField(_l("Name"))
    fields = CheckboxList(_l("Fields the form asks for"), choices=[], validate_choice=False)
    required = CheckboxList(_l("Required fields"), choices=[], validate_choice=False)
    source = SelectField(_l("Source of the leads"), choices=[], validate_choice=False)
    assignment = SelectField(_l("Owner of the leads"), choices=ASSIGNMENT_CHOICES)
    owner = SelectField(_l("User"), choices=[], validate_choice=False)
    assignees = CheckboxList(_l("Users taking turns"), choices=[], validate_choice=False)
    thank_you = TextAreaField(_l("Thank-you text"))
    active = BooleanField(_l("Active"), default=True)


def public_url(form):
    base = current_app.config.get("ACCORD_BASE_URL", "").rstrip("/")
    return base + url_for("capture.form", token=form.token)


def snippet(form):
    """A plain HTML form to paste into any website: the chosen fields and the honeypot."""
    lines = [f'<form method="post" action="{escape(public_url(form))}" accept-charset="utf-8">']
    for key, label, required in service.public_fields(form):
        mark = " required" if required else ""
        if key == "description":
            control = f'<textarea name="{escape(key)}" rows="4"{mark}></textarea>'
        else:
            kind = "email" if key == "email" else "text"
            control = f'<input type="{kind}" name="{escape(key)}"{mark}>'
        lines.append(f"  <p><label>{escape(label)}<br>{control}</label></p>")
    lines.append(
        '  <p style="position:absolute;left:-10000px" aria-hidden="true">'
        f'<input type="text" name="{service.HONEYPOT}" tabindex="-1" autocomplete="off"></p>'
    )
    lines.append(f'  <p><button type="submit">{escape(gettext("Send"))}</button></p>')
    lines.append("</form>")
    return "\n".join(lines)


class CaptureFormView(GateMixin, BaseView):
    access_policy = "admin"

    def make_form(self, record=None):
        form = LeadFormForm(obj=None)
        options = [(key, str(label)) for key, label in service.field_options()]
        form.fields.choices = options
        form.required.choices = options
        form.source.choices = [("", gettext("None"))] + [
            (str(s.id), s.name) for s in Source.select().order_by(Source.name)
        ]
        users = [
            (str(u.id), u.name)
            for u in User.select().where(User.active == True).order_by(User.first_name, User.email)  # noqa: E712
        ]
        form.owner.choices = [("", gettext("Choose a user"))] + users
        form.assignees.choices = users
        if request.method == "GET" and record is not None:
            form.name.data = record.name
            form.fields.data = list(record.fields or [])
            form.required.data = list(record.required or [])
            form.source.data = str(record.source_id or "")
            form.assignment.data = record.assignment
            form.owner.data = str(record.owner_id or "")
            form.assignees.data = [str(i) for i in record.assignees or []]
            form.thank_you.data = record.thank_you
            form.active.data = record.active
        elif request.method == "GET":
            form.owner.data = str(current_user().id)
            form.fields.data = ["first_name", "last_name", "email", "phone", "description"]
            form.required.data = ["last_name", "email"]
        return form

    def data(self, form):
        return {
            "name": form.name.data,
            "fields": form.fields.data or [],
            "required": form.required.data or [],
            "source": form.source.data or None,
            "assignment": form.assignment.data,
            "owner": form.owner.data or None,
            "assignees": form.assignees.data or [],
            "thank_you": form.thank_you.data or "",
            "active": bool(form.active.data),
        }

    def save(self, form, call):
        try:
            return call(self.data(form))
        except ValidationError as exc:
            for key, message in exc.errors.items():
                if key in form and key != "csrf_token":
                    form[key].errors = [*form[key].errors, message]
                else:
                    flash(message, "error")
            flash(gettext("Please correct the highlighted fields."), "error")
        except Forbidden:
            abort(403)
        return None

    def record(self):
        record = CaptureForm.get_or_none(CaptureForm.id == (parse_id(request.args.get("id")) or 0))
        if record is None:
            abort(404)
        return record

    @expose("/")
    def index(self):
        rows = list(CaptureForm.select().order_by(CaptureForm.name, CaptureForm.id))
        return self.render("accord/capture/settings_list.html", rows=rows, public_url=public_url)

    @expose("/new/", methods=("GET", "POST"))
    def create(self):
        form = self.make_form()
        if form.validate_on_submit():
            user = current_user()
            record = self.save(form, lambda data: service.create_form(user, data))
            if record is not None:
                flash(gettext("Lead form %(name)s created.", name=record.name), "success")
                return redirect(url_for(".edit", id=record.id))
        return self.render("accord/capture/settings_form.html", form=form, record=None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit(self):
        record = self.record()
        form = self.make_form(record)
        if form.validate_on_submit():
            user = current_user()
            if self.save(form, lambda data: service.update_form(user, record, data)) is not None:
                flash(gettext("Lead form saved."), "success")
                return redirect(url_for(".edit", id=record.id))
        return self.render(
            "accord/capture/settings_form.html",
            form=form,
            record=record,
            url=public_url(record),
            snippet=snippet(record),
        )

    @expose("/toggle/", methods=("POST",))
    def toggle(self):
        record = self.record()
        active = request.form.get("active") == "1"
        try:
            service.disable_form(current_user(), record, active=active)
        except (Forbidden, ValidationError):
            abort(403)
        flash(
            gettext("Lead form enabled.") if active else gettext("Lead form disabled."), "success"
        )
        return redirect(url_for(".index"))

    @expose("/new_token/", methods=("POST",))
    def new_token(self):
        record = self.record()
        try:
            service.new_token(current_user(), record)
        except Forbidden:
            abort(403)
        flash(gettext("The form has a new address; the old one no longer works."), "success")
        return redirect(url_for(".edit", id=record.id))


def capture_form_view(category):
    return CaptureFormView(
        _l("Lead forms"), category=category, endpoint="capture_form", url="capture_form"
    )
