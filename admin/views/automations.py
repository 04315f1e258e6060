"""Settings › Automations (admins only): the list, the builder, "Test against a record",
the run log, and Settings › Email templates.

The builder is a plain HTML form that works without JavaScript: "Update the form"
re-renders it for the chosen trigger and action types, "Add a condition" / "Add an
action" add a row, and every input survives a refresh or a refused save.
admin/static/accord/automations.js only presses "Update the form" when a type changes
and narrows the operator list to the chosen field.
"""

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from accord.admin.app import current_runtime
from accord.admin.views.gate import current_user
from accord.admin.views.lookups import parse_id
from accord.admin.views.pipelines import SettingsPage
from accord.admin.views.settings import SettingsView
from accord.core import access
from accord.core.automation import conditions, engine
from accord.core.models import RECORD_MODELS, User
from accord.core.models.automations import Automation, AutomationRun, EmailTemplate
from accord.core.services import Forbidden, NotFound, ValidationError, records
from accord.core.services import automations as service

RUN_STATUSES = ("running", "done", "failed", "stopped", "skipped")
RUNS_PER_PAGE = 50
TESTABLE = ("deal", "lead", "contact", "task")


def _registries():
    rt = current_runtime()
    return rt, rt.registries["triggers"], rt.registries["actions"]


def _rows(form, prefix):
    """Indexes of the `<prefix>-<i>-...` rows in a submitted form, in order."""
    found = set()
    for key in form:
        if key.startswith(prefix + "-"):
            part = key[len(prefix) + 1 :].split("-", 1)[0]
            if part.isdigit():
                found.add(int(part))
    return sorted(found)


def _params(form, prefix):
    return {key[len(prefix) :]: form.get(key) for key in form if key.startswith(prefix)}


def spec_from_form(form, keep_empty=False):
    """The builder's input as a spec for services.automations; empty rows are dropped
    unless `keep_empty` (a refresh keeps the rows the admin has not filled in yet)."""
    rules = []
    for i in _rows(form, "cond"):
        field = form.get(f"cond-{i}-field") or ""
        if (field or keep_empty) and not form.get(f"cond-{i}-remove"):
            rules.append(
                {
                    "field": field,
                    "op": form.get(f"cond-{i}-op") or "",
                    "value": form.get(f"cond-{i}-value"),
                }
            )
    actions = []
    for i in _rows(form, "action"):
        kind = form.get(f"action-{i}-type") or ""
        if (kind or keep_empty) and not form.get(f"action-{i}-remove"):
            actions.append({"type": kind, "params": _params(form, f"action-{i}-")})
    return {
        "name": form.get("name", ""),
        "enabled": bool(form.get("enabled")),
        "trigger": form.get("trigger", ""),
        "trigger_params": _params(form, "trigger-"),
        "conditions": {"match": form.get("match") or "all", "rules": rules},
        "actions": actions,
    }


def spec_from_automation(automation):
    rules = [
        {"field": r["field"], "op": r["op"], "value": conditions.display_value(r)}
        for r in (automation.conditions or {}).get("rules") or []
    ]
    return {
        "name": automation.name,
        "enabled": automation.enabled,
        "trigger": automation.trigger,
        "trigger_params": dict(automation.trigger_params or {}),
        "conditions": {
            "match": (automation.conditions or {}).get("match") or "all",
            "rules": rules,
        },
        "actions": [dict(a) for a in automation.actions or []],
    }


class AutomationView(SettingsPage):
    """/admin/automation/: list, builder, test, run log."""

    def _automation(self, value):
        found = Automation.get_or_none(Automation.id == parse_id(value))
        if found is None:
            abort(404)
        return found

    @expose("/")
    def index(self):
        _rt, triggers, _actions = _registries()
        rows = list(Automation.select().order_by(Automation.position, Automation.id))
        last = {}
        for run in AutomationRun.select().order_by(AutomationRun.id.desc()).limit(500):
            last.setdefault(run.automation_id, run)
        return self.render(
            "accord/automations/list.html",
            automations=rows,
            triggers=triggers,
            last=last,
        )

    # The builder ---------------------------------------------------------------------

    @expose("/new/", methods=("GET", "POST"))
    def create(self):
        return self._builder(None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit(self):
        return self._builder(self._automation(request.values.get("id")))

    def _builder(self, automation):
        rt, triggers, actions = _registries()
        errors = {}
        if request.method == "POST":
            spec = spec_from_form(request.form, keep_empty="save" not in request.form)
            if "add_condition" in request.form:
                spec["conditions"]["rules"].append({"field": "", "op": "", "value": ""})
            if "add_action" in request.form:
                spec["actions"].append({"type": "", "params": {}})
            if "save" in request.form:
                try:
                    saved = service.save(current_user(), rt, spec, automation)
                except ValidationError as exc:
                    errors = exc.errors
                    flash(gettext("The automation was not saved: see the messages below."), "error")
                except Forbidden:
                    abort(403)
                else:
                    flash(gettext("Automation %(name)s saved.", name=saved.name), "success")
                    return redirect(url_for(".index"))
        elif automation is not None:
            spec = spec_from_automation(automation)
        else:
            spec = {
                "name": "",
                "enabled": True,
                "trigger": "",
                "trigger_params": {},
                "conditions": {"match": "all", "rules": [{"field": "", "op": "", "value": ""}]},
                "actions": [{"type": "", "params": {}}],
            }
        trigger_cls = triggers.get(spec["trigger"])
        trigger = trigger_cls() if trigger_cls else None
        entity = trigger.entity_for(spec["trigger_params"]) if trigger else None
        subjects = conditions.subjects(entity)
        return self.render(
            "accord/automations/edit.html",
            automation=automation,
            spec=spec,
            errors=errors,
            triggers=triggers,
            trigger=trigger,
            actions=actions,
            subjects=subjects,
            suggestions=_suggestions(subjects),
            operator_labels=conditions.OPERATOR_LABELS,
            no_value=conditions.NO_VALUE,
        )

    @expose("/toggle/", methods=("POST",))
    def toggle(self):
        automation = self._automation(request.form.get("id"))
        enabled = request.form.get("enabled") == "1"
        self.run(lambda: service.set_enabled(current_user(), automation, enabled))
        message = gettext("%(name)s is on.") if enabled else gettext("%(name)s is off.")
        flash(message % {"name": automation.name}, "success")
        return redirect(url_for(".index"))

    @expose("/delete/", methods=("POST",))
    def delete(self):
        automation = self._automation(request.form.get("id"))
        self.run(lambda: service.delete(current_user(), automation))
        flash(gettext("Automation %(name)s deleted.", name=automation.name), "success")
        return redirect(url_for(".index"))

    # Test against a record --------------------------------------------------------------

    @expose("/test/", methods=("GET", "POST"))
    def test(self):
        automation = self._automation(request.values.get("id"))
        rt, triggers, _actions = _registries()
        trigger_cls = triggers.get(automation.trigger)
        entity = trigger_cls().entity_for(automation.trigger_params) if trigger_cls else None
        kind = entity if entity in TESTABLE else request.values.get("kind") or "deal"
        if kind not in TESTABLE:
            abort(400)
        model = RECORD_MODELS[kind]
        user = current_user()
        recent = list(
            access.visible(model.select(), user, model).order_by(model.id.desc()).limit(50)
        )
        result, record = None, None
        record_id = request.values.get("record")
        if record_id:
            try:
                record = records.get(model, record_id, user)
            except NotFound:
                flash(gettext("No such record."), "error")
            else:
                # Reads only: the dry run evaluates and describes, it writes nothing.
                result = engine.dry_run(automation, record, rt, user=user)
        return self.render(
            "accord/automations/test.html",
            automation=automation,
            kind=kind,
            fixed_kind=entity in TESTABLE,
            kinds=TESTABLE,
            recent=recent,
            record=record,
            result=result,
            operator_labels=conditions.OPERATOR_LABELS,
            labels=dict((k, label) for k, label, _ops in conditions.subjects(entity)),
            display_value=conditions.display_value,
        )

    # Run log --------------------------------------------------------------------------

    @expose("/runs/")
    def runs(self):
        query = AutomationRun.select(AutomationRun, Automation).join(Automation)
        automation_id = parse_id(request.args.get("automation"))
        status = request.args.get("status") or ""
        record_kind = request.args.get("record_kind") or ""
        record_id = parse_id(request.args.get("record_id"))
        if automation_id:
            query = query.where(AutomationRun.automation == automation_id)
        if status:
            if status not in RUN_STATUSES:
                abort(400)
            query = query.where(AutomationRun.status == status)
        if record_kind:
            if record_kind not in RECORD_MODELS:
                abort(400)
            query = query.where(AutomationRun.record_kind == record_kind)
        if record_id:
            query = query.where(AutomationRun.record_id == record_id)
        page = max(parse_id(request.args.get("page")) or 1, 1)
        rows = list(
            query.order_by(AutomationRun.id.desc())
            .offset((page - 1) * RUNS_PER_PAGE)
            .limit(RUNS_PER_PAGE + 1)
        )
        _rt, _triggers, actions = _registries()
        return self.render(
            "accord/automations/runs.html",
            runs=rows[:RUNS_PER_PAGE],
            more=len(rows) > RUNS_PER_PAGE,
            page=page,
            automations=list(Automation.select().order_by(Automation.name)),
            statuses=RUN_STATUSES,
            kinds=sorted(RECORD_MODELS),
            filters={
                "automation": automation_id or "",
                "status": status,
                "record_kind": record_kind,
                "record_id": record_id or "",
            },
            actions=actions,
        )


def _suggestions(subjects):
    """Names to pick from for the value of each condition field (a <datalist> each)."""
    out = {}
    for key, _label, _ops in subjects:
        subject = conditions.BY_KEY.get(key)
        if subject is None or subject.model is None:
            continue
        model = subject.model
        if model is User:
            names = [u.email for u in User.select().where(User.active == True).limit(200)]  # noqa: E712
        elif key == "stage":
            from accord.core.default_automations import stage_choices

            names = [label for _id, label in stage_choices()]
        elif key == "company":
            query = model.select().where(model.is_organization == True)  # noqa: E712
            names = [c.name for c in query.order_by(model.name).limit(200)]
        else:
            names = [row.name for row in model.select().limit(200)]
        out[key] = names
    return out


class EmailTemplateView(SettingsView):
    """Settings › Email templates: subject and body with placeholders, checked on save."""

    column_list = ["name", "subject", "updated_at"]
    column_searchable_list = ["name", "subject"]
    form_columns = ["name", "subject", "body"]
    form_overrides = {"body": TextAreaField}
    form_args = {
        "body": {
            "description": _l(
                "Placeholders: {{ deal.name }}, {{ contact.first_name }}, {{ owner.name }}, "
                "custom fields by key ({{ deal.onboarding }})."
            ),
            "render_kw": {"rows": 10},
        }
    }
    form_widget_args = {"body": {"rows": 10}}
    column_labels = {"subject": _l("Subject"), "body": _l("Text"), "updated_at": _l("Changed")}

    def create_record(self, user, data, owner, form):
        return service.save_template(user, data)

    def update_record(self, user, record, data, owner, form):
        # The form hands over only the changed fields; the service checks the whole.
        current = {"name": record.name, "subject": record.subject, "body": record.body}
        return service.save_template(user, {**current, **data}, record)


def automation_views(category):
    return [
        AutomationView(
            name=_l("Automations"), category=category, endpoint="automation", url="automation"
        ),
        EmailTemplateView(
            EmailTemplate,
            _l("Email templates"),
            category=category,
            endpoint="email_template",
            url="email_template",
        ),
    ]
