"""Settings (admins only): pipelines and stages, statuses, action types, sources, tags,
closing reasons and custom-field definitions. Writes go through services.settings."""

import json
import re

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import NumberRange, Regexp

from accord.admin.app import current_runtime
from accord.admin.views.base import AccessModelView
from accord.admin.views.filters import ChoiceFilter, query_options
from accord.admin.views.gate import current_user
from accord.core import access
from accord.core.models import (
    CUSTOM_FIELD_ENTITIES,
    STAGE_CATEGORIES,
    ActionType,
    Activity,
    CustomField,
    LossReason,
    Pipeline,
    Source,
    Stage,
    Status,
    Tag,
    UnqualifiedReason,
    utcnow,
)
from accord.core.models.vocabularies import STATUS_ENTITIES
from accord.core.services import ValidationError, settings

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


class PipelineView(SettingsView):
    column_list = ["name", "position", "is_default"]
    column_default_sort = ("position", False)
    form_columns = ["name", "position", "is_default"]

    def related_lists(self, record):
        stages = Stage.select().where(Stage.pipeline == record.id).order_by(Stage.position)
        return [(_l("Stages"), list(stages))]


class StageView(SettingsView):
    column_list = ["pipeline", "position", "name", "category", "likelihood"]
    column_default_sort = ("position", False)
    column_searchable_list = ["name"]
    column_filters = [
        ChoiceFilter(Stage.pipeline, _l("Pipeline"), query_options(lambda: Pipeline.select())),
        Stage.category,
    ]
    form_columns = ["pipeline", "name", "position", "category", "likelihood"]
    form_overrides = {"category": _select([(c, c) for c in STAGE_CATEGORIES])}
    form_args = {"likelihood": {"validators": [NumberRange(0, 100)]}}
    form_fk_queries = {"pipeline": Pipeline.select().order_by(Pipeline.position)}


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


def _field_type_choices():
    registry = current_runtime().registries["field_types"]
    return [(name, str(kind.label or name)) for name, kind in sorted(registry.items())]


class CustomFieldView(SettingsView):
    column_list = ["entity_kind", "position", "key", "label", "type", "required", "archived_at"]
    column_default_sort = ("position", False)
    column_searchable_list = ["key", "label"]
    column_filters = [CustomField.entity_kind, CustomField.type]
    form_columns = [
        "entity_kind",
        "key",
        "label",
        "type",
        "required",
        "position",
        "show_in_list",
        "filterable",
    ]
    form_overrides = {
        "entity_kind": _select([(e, e) for e in CUSTOM_FIELD_ENTITIES]),
        "type": lambda **kwargs: SelectField(choices=_field_type_choices, **kwargs),
    }
    form_extra_fields = {
        "options_json": TextAreaField(
            _l("Options (JSON)"),
            description=_l('Type-specific, e.g. {"choices": ["a", "b"]}. Leave empty for none.'),
        ),
        "archived": BooleanField(_l("Archived")),
    }

    def on_form_prefill(self, form, id):
        record = self.get_one(id)
        form.options_json.data = json.dumps(record.options or {}, ensure_ascii=False)
        form.archived.data = record.archived_at is not None

    def _extra(self, form, data, record=None):
        key = data.get("key", getattr(record, "key", ""))
        if not KEY.fullmatch(key or ""):
            raise ValidationError(
                {"key": gettext("Use lowercase letters, digits and _ (starting with a letter).")}
            )
        text = (form.options_json.data or "").strip()
        try:
            options = json.loads(text) if text else {}
        except ValueError:
            raise ValidationError({"options_json": gettext("This is not valid JSON.")}) from None
        if not isinstance(options, dict):
            raise ValidationError({"options_json": gettext("Use a JSON object: {…}.")})
        if record is None or options != (record.options or {}):
            data["options"] = options
        archived = bool(form.archived.data)
        if record is None or archived != (record.archived_at is not None):
            data["archived_at"] = utcnow() if archived else None
        return data

    def create_record(self, user, data, owner, form):
        return settings.create(user, CustomField, self._extra(form, dict(data)))

    def update_record(self, user, record, data, owner, form):
        return settings.update(user, record, self._extra(form, dict(data), record))


def settings_views(category):
    def view(cls, model, name, endpoint):
        return cls(model, name, category=category, endpoint=endpoint, url=endpoint)

    return [
        view(PipelineView, Pipeline, _l("Pipelines"), "pipeline"),
        view(StageView, Stage, _l("Stages"), "stage"),
        view(StatusView, Status, _l("Statuses"), "status"),
        view(ActionTypeView, ActionType, _l("Action types"), "action_type"),
        view(NamedView, Source, _l("Sources"), "source"),
        view(NamedView, Tag, _l("Tags"), "tag"),
        view(NamedView, LossReason, _l("Loss reasons"), "loss_reason"),
        view(NamedView, UnqualifiedReason, _l("Unqualified reasons"), "unqualified_reason"),
        view(CustomFieldView, CustomField, _l("Custom fields"), "custom_field"),
    ]
