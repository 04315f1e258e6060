"""Settings (admins only): pipelines and stages, statuses, action types, sources, tags,
closing reasons and custom-field definitions. Writes go through services.settings."""

import re

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import Regexp

from accord.admin.views.base import AccessModelView
from accord.admin.views.gate import current_user
from accord.admin.views.pipelines import pipeline_views
from accord.core import access
from accord.core.models import (
    ActionType,
    Activity,
    CustomField,
    LossReason,
    Source,
    Status,
    Tag,
    UnqualifiedReason,
)
from accord.core.models.vocabularies import STATUS_ENTITIES
from accord.core.services import settings

COLOUR = Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use a colour like #1a2b3c."))
KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

LABELS = {
    "name": _l("Name"),
    "position": _l("Order"),
    "is_default": _l("Default"),
    "pipeline": _l("Pipeline"),
    "category": _l("Category"),
    "likelihood": _l("Likelihood %"),
    "entity_kind": _l("Used for"),
    "abbreviation": _l("Abbreviation"),
    "font_color": _l("Text colour"),
    "background_color": _l("Background colour"),
    "preview": _l("Looks like"),
    "key": _l("Key"),
    "label": _l("Label"),
    "type": _l("Type"),
    "required": _l("Required"),
    "show_in_list": _l("Show in lists"),
    "filterable": _l("Filterable"),
    "archived_at": _l("Archived"),
    "options_json": _l("Options (JSON)"),
    "archived": _l("Archived"),
}


def _select(choices):
    return lambda **kwargs: SelectField(choices=choices, **kwargs)


def preview(view, context, model, name):
    kind = type(model).__name__.lower()
    return Markup('<span class="badge accord-badge accord-{}-{}">{}</span>').format(
        kind, model.id, model.abbreviation or model.name
    )


class SettingsView(AccessModelView):
    """Admin-only views over non-record tables: no row scoping, settings right checked."""

    access_policy = "admin"
    column_labels = LABELS
    column_default_sort = ("name", False)

    def _right(self, action_name):
        if not has_request_context():
            return True
        return access.can(current_user(), "settings")

    def may(self, action_name, record):
        return access.can(current_user(), "settings")

    def get_query(self):
        return self.base_query()

    def create_record(self, user, data, owner, form):
        return settings.create(user, self.model, data)

    def update_record(self, user, record, data, owner, form):
        return settings.update(user, record, data)

    def delete_record(self, user, record):
        return settings.delete(user, record)

    def details_actions(self, record):
        return {}

    def record_history(self, record):
        kind = getattr(record, "entity", None) or record._meta.table_name
        query = Activity.select().where(
            (Activity.entity_kind == kind) & (Activity.record_id == record.id)
        )
        return list(query.order_by(Activity.created_at.desc(), Activity.id.desc()).limit(20))

    def record_panels(self, record):
        return []

    def related_lists(self, record):
        return []


class NamedView(SettingsView):
    """Sources, tags, loss and unqualified reasons: a unique name."""

    column_list = ["name"]
    column_searchable_list = ["name"]
    form_columns = ["name"]


class StatusView(SettingsView):
    column_list = ["entity_kind", "position", "name", "abbreviation", "preview"]
    column_default_sort = ("position", False)
    column_formatters = {"preview": preview}
    column_searchable_list = ["name"]
    column_filters = [Status.entity_kind]
    form_columns = [
        "entity_kind",
        "name",
        "abbreviation",
        "font_color",
        "background_color",
        "position",
    ]
    form_overrides = {"entity_kind": _select([(e, e) for e in STATUS_ENTITIES])}
    form_args = {
        "font_color": {"validators": [COLOUR]},
        "background_color": {"validators": [COLOUR]},
    }


class ActionTypeView(StatusView):
    column_list = ["position", "name", "abbreviation", "preview"]
    column_filters = None
    form_columns = ["name", "abbreviation", "font_color", "background_color", "position"]
    form_overrides = {}


def settings_views(category):
    from accord.admin.views.custom_field_settings import CustomFieldView

    def view(cls, model, name, endpoint):
        return cls(model, name, category=category, endpoint=endpoint, url=endpoint)

    return [
        # Pipelines and their stages have their own pages (admin/views/pipelines.py).
        *pipeline_views(category),
        view(StatusView, Status, _l("Statuses"), "status"),
        view(ActionTypeView, ActionType, _l("Action types"), "action_type"),
        view(NamedView, Source, _l("Sources"), "source"),
        view(NamedView, Tag, _l("Tags"), "tag"),
        view(NamedView, LossReason, _l("Loss reasons"), "loss_reason"),
        view(NamedView, UnqualifiedReason, _l("Unqualified reasons"), "unqualified_reason"),
        view(CustomFieldView, CustomField, _l("Custom fields"), "custom_field"),
    ]
