"""My notification rules: a user creates, changes and deletes their own custom rules."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accord.admin.app import current_runtime
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core.models.notifications import RULE_ENTITIES, RULE_TRIGGERS
from accord.core.services import NotFound, ValidationError
from accord.core.services import notification_rules as rules

ENTITY_LABELS = {"lead": _l("Leads"), "contact": _l("Contacts and companies"), "deal": _l("Deals")}
TRIGGER_LABELS = {
    "created": _l("Created"),
    "stage_changed": _l("Stage changed"),
    "status_changed": _l("Status changed"),
    "owner_changed": _l("Owner changed"),
    "task_added": _l("Task added"),
    "note_added": _l("Note added"),
}
FILTER_LABELS = {
    "owner_id": _l("Owner"),
    "team_id": _l("Owner's team"),
    "pipeline_id": _l("Pipeline"),
    "stage_id": _l("Stage"),
    "status_id": _l("Status"),
    "source_id": _l("Source"),
}
assert set(TRIGGER_LABELS) == set(RULE_TRIGGERS)


def _form_data(form):
    data = {key: form.get(key, "") for key in ("name", "record_entity", *rules.ID_FIELDS)}
    data["custom_key"] = form.get("custom_key", "")
    data["custom_value"] = form.get("custom_value", "")
    data["triggers"] = form.getlist("triggers")
    data["channels"] = form.getlist("channels")
    data["active"] = bool(form.get("active"))
    return data


def _rule_data(rule):
    data = {key: getattr(rule, key) for key in ("name", "record_entity", *rules.ID_FIELDS)}
    data.update(
        custom_key=rule.custom_key,
        custom_value=rule.custom_value,
        triggers=rule.triggers or [],
        channels=rule.channels or [],
        active=rule.active,
    )
    return data


def describe(rule, options):
    """A one-line summary of the rule's filter for the list."""
    names = {f: {row[0]: row[1] for row in rows} for f, rows in options.items()}
    parts = []
    for fieldname in rules.ID_FIELDS:
        value = getattr(rule, fieldname)
        if value is not None:
            label = names[fieldname].get(value, gettext("(removed)"))
            parts.append(f"{FILTER_LABELS[fieldname]}: {label}")
    if rule.custom_key:
        parts.append(f"{rule.custom_key} = {rule.custom_value}")
    return "; ".join(parts) or gettext("every record")


class NotificationRulesView(GateMixin, BaseView):
    access_policy = "authenticated"

    def is_visible(self):
        return False  # reached from the notification list and My profile

    def _page(self, data, errors, rule=None):
        rt = current_runtime()
        return self.render(
            "accord/notifications/rule_form.html",
            data=data,
            errors=errors,
            rule=rule,
            options=rules.options(current_user()),
            filters=rules.FILTERS,
            triggers_for=rules.TRIGGERS,
            entities=[(e, ENTITY_LABELS[e]) for e in RULE_ENTITIES],
            trigger_labels=TRIGGER_LABELS,
            filter_labels=FILTER_LABELS,
            channels=list(rt.channels.values()),
        )

    @expose("/")
    def index(self):
        user = current_user()
        options = rules.options(user)
        rows = [(rule, describe(rule, options)) for rule in rules.mine(user)]
        return self.render(
            "accord/notifications/rules.html",
            rows=rows,
            entity_labels=ENTITY_LABELS,
            trigger_labels=TRIGGER_LABELS,
        )

    @expose("/new/", methods=("GET", "POST"))
    def new(self):
        return self._edit(None)

    @expose("/edit/", methods=("GET", "POST"))
    def edit(self):
        rule_id = parse_id(request.args.get("id"))
        try:
            rule = rules.get(current_user(), rule_id)
        except NotFound:
            abort(404)
        return self._edit(rule)

    def _edit(self, rule):
        if request.method != "POST":
            data = _rule_data(rule) if rule else {"record_entity": "deal", "active": True}
            return self._page(data, {}, rule)
        data = _form_data(request.form)
        try:
            rules.save(current_user(), data, list(current_runtime().channels), rule=rule)
        except ValidationError as error:
            return self._page(data, error.errors, rule), 400
        flash(gettext("The rule was saved."), "success")
        return redirect(url_for(".index"))

    @expose("/delete/", methods=("POST",))
    def delete(self):
        try:
            rule = rules.get(current_user(), parse_id(request.form.get("id")))
        except NotFound:
            abort(404)
        rules.delete(current_user(), rule)
        flash(gettext("The rule was deleted."), "success")
        return redirect(url_for(".index"))


def notification_rules_view():
    return NotificationRulesView(
        name=_l("Notification rules"),
        endpoint="notification_rules",
        url="/admin/notification-rules",
    )
