"""Settings › Custom fields: define fields per entity through services.custom_fields.

Choices are edited one per line ("Label; ABBR; #font; #background") instead of raw JSON,
so an admin never has to write JSON to colour a dropdown.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from accord.admin.app import current_runtime
from accord.admin.views.settings import LABELS, SettingsView
from accord.core.models import CUSTOM_FIELD_ENTITIES, CustomField
from accord.core.services import custom_fields

ENTITY_LABELS = {
    "lead": _l("Leads"),
    "contact": _l("Contacts (people)"),
    "company": _l("Companies"),
    "deal": _l("Deals"),
    "task": _l("Tasks"),
}


def _type_choices():
    registry = current_runtime().registries["field_types"]
    return [(name, str(kind.label or name)) for name, kind in registry.items()]


def choices_to_text(choices):
    lines = []
    for c in choices or []:
        parts = [
            c["label"],
            c.get("abbreviation", ""),
            c.get("font_color", ""),
            c.get("background_color", ""),
        ]
        while parts and not parts[-1]:
            parts.pop()
        lines.append("; ".join(parts))
    return "\n".join(lines)


def text_to_choices(text):
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")] + ["", "", ""]
        choice = {"label": parts[0], "abbreviation": parts[1]}
        if parts[2]:
            choice["font_color"] = parts[2]
        if parts[3]:
            choice["background_color"] = parts[3]
        # The stored key of an existing choice is its label unless it had its own.
        choices.append(choice)
    return choices


class CustomFieldView(SettingsView):
    column_list = [
        "entity_kind",
        "position",
        "key",
        "label",
        "type",
        "required",
        "show_in_list",
        "filterable",
        "archived_at",
    ]
    column_default_sort = ("position", False)
    column_searchable_list = ["key", "label"]
    column_filters = [CustomField.entity_kind, CustomField.type]
    column_labels = {
        **LABELS,
        "choices_text": _l("Choices"),
        "currency": _l("Currency"),
        "region": _l("Phone region"),
    }
    column_formatters = {
        "entity_kind": lambda v, c, m, n: ENTITY_LABELS.get(m.entity_kind, m.entity_kind)
    }
    can_delete = False  # archive instead: values are kept
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
        "entity_kind": lambda **kw: SelectField(
            choices=[(e, ENTITY_LABELS[e]) for e in CUSTOM_FIELD_ENTITIES], **kw
        ),
        "type": lambda **kw: SelectField(choices=_type_choices, **kw),
    }
    form_extra_fields = {
        "choices_text": TextAreaField(
            _l("Choices"),
            validators=[Optional()],
            description=_l(
                "Dropdown and multi-select: one choice per line — Label; abbreviation; text colour; background colour (e.g. Gold; GLD; #000000; #ffd700)."
            ),
        ),
        "currency": StringField(
            _l("Currency"),
            validators=[Optional()],
            description=_l("Currency fields: the default code, e.g. EUR."),
        ),
        "region": StringField(
            _l("Phone region"),
            validators=[Optional()],
            description=_l("Phone fields: the default country, e.g. TR."),
        ),
        "archived": BooleanField(_l("Archived (hidden; values kept)")),
    }

    def on_form_prefill(self, form, id):
        record = self.get_one(id)
        options = record.options or {}
        form.choices_text.data = choices_to_text(options.get("choices"))
        form.currency.data = options.get("currency", "")
        form.region.data = options.get("region", "")
        form.archived.data = record.archived_at is not None
        form.key.render_kw = {"readonly": True}
        form.entity_kind.render_kw = {"disabled": True}

    def _options(self, form, record=None):
        options = dict(record.options or {}) if record is not None else {}
        if (form.choices_text.data or "").strip():
            options["choices"] = text_to_choices(form.choices_text.data)
        else:
            options.pop("choices", None)
        for name in ("currency", "region"):
            value = (getattr(form, name).data or "").strip().upper()
            if value:
                options[name] = value
            else:
                options.pop(name, None)
        return options

    def create_record(self, user, data, owner, form):
        flags = {
            k: data[k] for k in ("required", "position", "show_in_list", "filterable") if k in data
        }
        return custom_fields.define(
            user,
            data.get("entity_kind"),
            data.get("key"),
            data.get("label"),
            data.get("type"),
            self._options(form),
            **flags,
        )

    def update_record(self, user, record, data, owner, form):
        data.pop("key", None)
        data.pop("entity_kind", None)
        changes = {k: v for k, v in data.items() if k in custom_fields.EDITABLE}
        options = self._options(form, record)
        if options != (record.options or {}):
            changes["options"] = options
        field = record
        if changes:
            field = custom_fields.change(user, record, **changes)
        archived = bool(form.archived.data)
        if archived and field.archived_at is None:
            field = custom_fields.archive(user, field)
        elif not archived and field.archived_at is not None:
            field = custom_fields.restore(user, field)
        return field

    def show_errors(self, form, errors):
        # Option errors belong to the choices box.
        mapped = {("choices_text" if key == "options" else key): msg for key, msg in errors.items()}
        return super().show_errors(form, mapped)
