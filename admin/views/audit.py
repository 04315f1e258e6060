"""Read-only admin lists: the activity (audit) log and the outbox, dead letters included."""

import json

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from accord.admin.views import formatters as fmt
from accord.admin.views.filters import ChoiceFilter, user_options
from accord.admin.views.settings import SettingsView
from accord.core.models import Activity, OutboxEvent


def changes(view, context, model, name):
    if not model.changes:
        return ""
    lines = [
        Markup("<div><b>{}</b>: {} → {}</div>").format(key, _show(old), _show(new))
        for key, (old, new) in sorted(model.changes.items())
    ]
    return Markup("").join(lines)


def _show(value):
    return "—" if value in (None, "") else str(value)[:80]


def payload(view, context, model, name):
    text = json.dumps(model.payload or {}, ensure_ascii=False, indent=1, sort_keys=True)
    return Markup("<pre>{}</pre>").format(text)


def error_text(view, context, model, name):
    return Markup("<pre>{}</pre>").format(model.last_error or "")


class ReadOnlyView(SettingsView):
    can_create = False
    can_edit = False
    can_delete = False
    column_default_sort = ("created_at", True)


class ActivityView(ReadOnlyView):
    column_labels = {
        "created_at": _l("When"),
        "actor": _l("Who"),
        "verb": _l("Did"),
        "entity_kind": _l("What"),
        "record_id": _l("Id"),
        "record_name": _l("Record"),
        "changes": _l("Changes"),
    }
    column_list = ["created_at", "actor", "verb", "entity_kind", "record_name", "changes"]
    column_details_list = [*column_list, "record_id"]
    column_formatters = {"actor": fmt.user_name, "changes": changes}
    column_searchable_list = ["record_name", "verb"]
    search_label = _l("Record name, action")
    column_filters = [
        ChoiceFilter(Activity.actor, _l("Who"), user_options),
        Activity.verb,
        Activity.entity_kind,
        Activity.created_at,
    ]

    def record_history(self, record):
        return []


class OutboxView(ReadOnlyView):
    column_labels = {
        "created_at": _l("Created"),
        "type": _l("Event"),
        "entity_kind": _l("Record type"),
        "record_id": _l("Record id"),
        "status": _l("Status"),
        "attempts": _l("Attempts"),
        "lease_until": _l("Leased until"),
        "processed_at": _l("Processed"),
        "last_error": _l("Last error"),
        "payload": _l("Payload"),
    }
    column_list = [
        "created_at",
        "type",
        "entity_kind",
        "record_id",
        "status",
        "attempts",
        "processed_at",
        "last_error",
    ]
    column_details_list = [*column_list, "lease_until", "payload"]
    column_formatters = {"status": fmt.outbox_status, "last_error": fmt.short_text(60)}
    column_formatters_detail = {
        "status": fmt.outbox_status,
        "last_error": error_text,
        "payload": payload,
    }
    column_searchable_list = ["type"]
    search_label = _l("Event type")
    column_filters = [OutboxEvent.status, OutboxEvent.type, OutboxEvent.created_at]

    def record_history(self, record):
        return []


def audit_views(category):
    return [
        ActivityView(
            Activity, _l("Activity log"), category=category, endpoint="activity", url="activity"
        ),
        OutboxView(OutboxEvent, _l("Outbox"), category=category, endpoint="outbox", url="outbox"),
    ]
