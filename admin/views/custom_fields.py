"""Custom fields in the record views: form fields, list columns, filters, sorting and
search, all built per request from the current definitions (an admin may add a field
at any time; no restart)."""

import datetime as dt
import json

from flask import g, has_request_context, request
from flask_admin.contrib.peewee import filters as pf
from flask_admin.form import rules
from flask_admin.helpers import get_form_data
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup
from peewee import SqliteDatabase
from wtforms import SelectMultipleField
from wtforms.form import BaseForm
from wtforms.validators import Optional

from accord.admin.views.gate import current_user
from accord.admin.views.reference import held, held_options
from accord.core import custom_index, custom_values
from accord.core.db import database
from accord.core.fields import FieldError, field_type
from accord.core.models import CUSTOM_FIELD_ENTITIES, RecordTag, Tag
from accord.core.services import tags

PREFIX = "custom__"
TEXT_TYPES = ("text", "paragraph", "email", "phone", "url", "address")


def _definitions(kind):
    cache = g.setdefault("_accord_custom_defs", {})
    if kind not in cache:
        # Shared by the requests of this process (read only: never change one).
        shared = held(("definitions", kind), lambda: tuple(custom_values.definitions(kind)))
        cache[kind] = list(shared)
    return cache[kind]


def _expression(model, definition):
    expr = custom_index.expression(model, definition.key, definition.type)
    expr._accord_custom = True  # see CustomFieldsMixin._handle_join
    return expr


class CustomSort:
    """A sortable-column value Flask-Admin passes back to `_sort_clause`."""

    def __init__(self, definition):
        self.definition = definition


class IsoDateMixin:
    # Dates are stored as ISO text: compare text with text on every database.
    def clean(self, value):
        return dt.date.fromisoformat(value.strip()).isoformat()


class DateAfter(IsoDateMixin, pf.DateGreaterFilter):
    pass


class DateBefore(IsoDateMixin, pf.DateSmallerFilter):
    pass


class DateOn(IsoDateMixin, pf.DateEqualFilter):
    pass


class ChoiceContains(pf.FilterEqual):
    """Multi-select: the stored JSON array holds this key."""

    def apply(self, query, value):
        return query.where(self.column ** f'%"{value}"%')

    def operation(self):
        return _l("includes")


def filters_for(model, definition):
    column, label = _expression(model, definition), definition.label
    choices = [(c["key"], c["label"]) for c in (definition.options or {}).get("choices") or []]
    kind = definition.type
    if kind in ("number", "currency"):
        return [
            pf.FloatEqualFilter(column, label),
            pf.FloatGreaterFilter(column, label),
            pf.FloatSmallerFilter(column, label),
        ]
    if kind == "date":
        return [DateOn(column, label), DateAfter(column, label), DateBefore(column, label)]
    if kind == "checkbox":
        # json_extract gives 1/0 on SQLite, ->> gives 'true'/'false' on PostgreSQL.
        truth = custom_index.expression(model, definition.key, "text")
        truth._accord_custom = True
        return [_CheckboxFilter(truth, label)]
    if kind == "dropdown":
        return [pf.FilterEqual(column, label, options=choices), pf.FilterInList(column, label)]
    if kind == "multiselect":
        return [ChoiceContains(column, label, options=choices)]
    if kind in TEXT_TYPES:
        return [pf.FilterLike(column, label), pf.FilterEqual(column, label)]
    # A plugin's type: compare with the value as the type stores it.
    return [TypedEqual(column, label, ftype=field_type(definition))]


class TypedEqual(pf.FilterEqual):
    def __init__(self, column, name, ftype, **kwargs):
        super().__init__(column, name, **kwargs)
        self.ftype = ftype

    def validate(self, value):
        try:
            return self.ftype.parse(value) is not None
        except (FieldError, ValueError, TypeError):
            return False

    def clean(self, value):
        stored = self.ftype.to_storage(self.ftype.parse(value))
        if isinstance(database.obj, SqliteDatabase):
            return stored  # json_extract gives native JSON values
        # ->> and JSON_UNQUOTE give text: compare with the JSON text of the value.
        return json.dumps(stored) if not isinstance(stored, str) else stored


class _CheckboxFilter(pf.BooleanEqualFilter):
    def apply(self, query, value):
        truthy = self.column.in_([1, "1", "true"])
        if value == "1":
            return query.where(truthy)
        return query.where(~truthy | self.column.is_null())


def _tag_options():
    return [(t.id, t.name) for t in Tag.select().order_by(Tag.name)]


class TagFilter(pf.BasePeeweeFilter):
    """Records carrying a tag (one indexed subquery on record_tag)."""

    reference_options = True  # its options are tags: reference data (list_skeleton)

    def __init__(self, model, name):
        super().__init__(model.id, name, options=None)
        self.model = model

    def get_options(self, view):
        if not has_request_context():
            return None  # start-up: no database reads
        return held_options(_tag_options)

    def apply(self, query, value):
        tagged = RecordTag.select(RecordTag.record_id).where(
            (RecordTag.entity_kind == self.model.entity) & (RecordTag.tag == int(value))
        )
        return query.where(self.model.id.in_(tagged))

    def validate(self, value):
        return str(value).isdigit()

    def operation(self):
        return _l("is")


class CustomFieldsRule(rules.BaseRule):
    """Renders the form's custom fields after the view's own (form_rules are static)."""

    @property
    def visible_fields(self):
        # Flask-Admin drops form fields no rule claims: claim today's custom fields.
        if not has_request_context() or self.rule_set is None:
            return []
        view = self.rule_set.view
        tags_field = ["tags"] if view.taggable else []
        return [*tags_field, *(PREFIX + d.key for d in view.custom_definitions())]

    def __call__(self, form, form_opts=None, field_args=None):
        parts = []
        for field in form:
            if field.name.startswith(PREFIX) or field.name == "tags":
                rule = rules.Field(field.name)
                rule.configure(self.rule_set, self.parent)
                parts.append(rule(form, form_opts, field_args))
        return Markup("".join(str(p) for p in parts))


class CustomFieldsMixin:
    """Mix into a record view before AccessModelView."""

    @property
    def custom_entity(self):
        # The endpoints lead, contact, company, deal and task are the custom-field entities.
        return self.endpoint if self.endpoint in CUSTOM_FIELD_ENTITIES else None

    @property
    def taggable(self):
        return self.endpoint in ("lead", "contact", "company", "deal")

    # Definitions --------------------------------------------------------------------

    def custom_definitions(self):
        if not self.custom_entity:
            return []
        return _definitions(self.custom_entity)

    # Forms --------------------------------------------------------------------------

    def scaffold_form(self):
        form_class = super().scaffold_form()
        rules_now = self.form_rules
        if (
            self.custom_entity
            and rules_now is not None
            and not any(isinstance(r, CustomFieldsRule) for r in rules_now)
        ):
            self.form_rules = [*rules_now, CustomFieldsRule()]
        return form_class

    def _add_custom_fields(self, form, obj):
        formdata = get_form_data() if request.method == "POST" else None
        stored = (getattr(obj, "custom", None) or {}) if obj is not None else {}
        for definition in self.custom_definitions():
            ftype = field_type(definition)
            name = PREFIX + definition.key
            unbound = ftype.form_field(
                definition.label, definition.required, (definition.options or {}).get("help", "")
            )
            # wtforms refuses fields on Form instances; BaseForm binds them (definitions
            # change at run time, so a form class per request would leak classes).
            BaseForm.__setitem__(form, name, unbound)
            setattr(form, name, form._fields[name])
            value = None
            if stored.get(definition.key) is not None:
                try:
                    value = ftype.to_form(ftype.from_storage(stored[definition.key]))
                except (FieldError, ValueError, TypeError, KeyError):
                    value = str(stored[definition.key])
            form[name].process(formdata, data=value)
        return form

    def _add_tags_field(self, form, obj):
        if not self.taggable:
            return form
        choices = [(str(t.id), t.name) for t in Tag.select().order_by(Tag.name)]
        if not choices:
            return form
        BaseForm.__setitem__(
            form, "tags", SelectMultipleField(_l("Tags"), choices=choices, validators=[Optional()])
        )
        form.tags = form._fields["tags"]
        current = [str(i) for i in tags.tag_ids(obj)] if obj is not None else []
        form.tags.process(get_form_data() if request.method == "POST" else None, data=current)
        return form

    def create_form(self, obj=None):
        form = self._add_tags_field(super().create_form(obj), None)
        return self._add_custom_fields(form, None)

    def edit_form(self, obj=None):
        form = self._add_tags_field(super().edit_form(obj), obj)
        return self._add_custom_fields(form, obj)

    def form_values(self, form, record=None):
        data, owner = super().form_values(form, record)
        custom = {}
        for field in form:
            if field.name.startswith(PREFIX):
                custom[field.name[len(PREFIX) :]] = field.data
        if custom:
            data["custom"] = custom
        if "tags" in form and (
            record is None or [int(v) for v in form.tags.data or []] != tags.tag_ids(record)
        ):
            data["tags"] = list(form.tags.data or [])
        return data, owner

    def show_errors(self, form, errors):
        mapped = {
            (PREFIX + key[len("custom.") :] if key.startswith("custom.") else key): message
            for key, message in errors.items()
        }
        return super().show_errors(form, mapped)

    # Lists: columns, sorting, filters, search ----------------------------------------

    def _custom_columns(self, listed_only=True):
        tag_column = [("tags", _l("Tags"))] if self.taggable else []
        return tag_column + [
            (PREFIX + d.key, d.label)
            for d in self.custom_definitions()
            if d.show_in_list or not listed_only
        ]

    @property
    def _list_columns(self):
        base = self.__dict__.get("_base_list_columns", [])
        if not self.custom_entity or not _in_request():
            return base
        return [*base, *self._custom_columns()]

    @_list_columns.setter
    def _list_columns(self, value):
        self.__dict__["_base_list_columns"] = value

    @property
    def _sortable_columns(self):
        base = self.__dict__.get("_base_sortable_columns", {})
        if not self.custom_entity or not _in_request():
            return base
        extra = {PREFIX + d.key: CustomSort(d) for d in self.custom_definitions() if d.show_in_list}
        return {**base, **extra}

    @_sortable_columns.setter
    def _sortable_columns(self, value):
        self.__dict__["_base_sortable_columns"] = value

    def _handle_join(self, query, field, joins):
        # Custom values live in the model's own row: never a join. (peewee Functions
        # answer any attribute, so upstream's model check cannot tell.)
        if getattr(field, "_accord_custom", False):
            return query
        return super()._handle_join(query, field, joins)

    def _sort_clause(self, query, joins, sort_field, sort_desc):
        if isinstance(sort_field, CustomSort):
            expr = _expression(self.model, sort_field.definition)
            return query, joins, (expr.desc(nulls="LAST") if sort_desc else expr.asc(nulls="LAST"))
        return super()._sort_clause(query, joins, sort_field, sort_desc)

    @property
    def _filters(self):
        base = self.__dict__.get("_base_filters") or []
        if not self.custom_entity or not _in_request():
            return base
        extra = [
            flt
            for d in self.custom_definitions()
            if d.filterable
            for flt in filters_for(self.model, d)
        ]
        if self.taggable:
            extra.insert(0, TagFilter(self.model, _l("Tag")))
        return [*base, *extra]

    @_filters.setter
    def _filters(self, value):
        self.__dict__["_base_filters"] = value

    @property
    def _filter_args(self):
        filters = self._filters
        if not filters:
            return None
        return {self.get_filter_arg(i, flt): (i, flt) for i, flt in enumerate(filters)}

    @_filter_args.setter
    def _filter_args(self, value):
        pass  # derived from _filters on every request

    @property
    def _search_fields(self):
        base = self.__dict__.get("_base_search_fields", [])
        if not self.custom_entity or not _in_request():
            return base
        extra = [
            _expression(self.model, d) for d in self.custom_definitions() if d.type in TEXT_TYPES
        ]
        return [*base, *extra]

    @_search_fields.setter
    def _search_fields(self, value):
        self.__dict__["_base_search_fields"] = value

    def _custom_cell(self, name):
        """record -> the custom column `name` as a list or datasheet shows it: a coloured
        badge for a dropdown choice that has colours, else the formatted value. The
        definition, its type and its badges are looked up once, not once a row."""
        key = name[len(PREFIX) :]
        definition = next((d for d in self.custom_definitions() if d.key == key), None)
        if definition is None:
            return lambda model: ""
        ftype, locale = field_type(definition), _locale()
        badges = _badges(definition) if definition.type == "dropdown" else {}

        def cell(model):
            stored = (model.custom or {}).get(key)
            if stored is None:
                return ""
            badge = badges.get(stored) if isinstance(stored, str) else None
            if badge is not None:
                return badge
            try:
                return ftype.format(ftype.from_storage(stored), locale)
            except (FieldError, ValueError, TypeError, KeyError):
                return str(stored)

        return cell

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute and self.taggable:
            g._accord_tags = tags.names_by_record(self.model.entity, [r.id for r in rows])
        return count, rows

    def _tags_of(self, model):
        # get_list (lists and exports) loads every row's tags in one query.
        names = getattr(g, "_accord_tags", None)
        if names is None:
            names = tags.names_by_record(self.model.entity, [model.id])
        return names.get(model.id, [])

    def _tags_cell(self, model):
        return Markup(" ").join(
            Markup('<span class="badge badge-light border">{}</span>').format(n)
            for n in self._tags_of(model)
        )

    def _page_tags_cell(self):
        """_tags_cell for a list page's rows: their tags were loaded with them (get_list),
        and most rows have none."""
        names = getattr(g, "_accord_tags", None)
        if names is None:
            return self._tags_cell
        badge = Markup('<span class="badge badge-light border">{}</span>')
        empty = Markup("")

        def cell(model):
            found = names.get(model.id)
            return Markup(" ").join(badge.format(n) for n in found) if found else empty

        return cell

    @pass_context
    def get_list_value(self, context, model, name):
        if name == "tags":
            return self._tags_cell(model)
        if name.startswith(PREFIX):
            return self._custom_cell(name)(model)
        return super().get_list_value(context, model, name)

    def list_cell(self, name, context):
        if name == "tags":
            return self._page_tags_cell()
        if name.startswith(PREFIX):
            return self._custom_cell(name)
        return super().list_cell(name, context)


def _badges(definition):
    """{choice key: its badge} for the dropdown's choices that have colours."""
    found = {}
    for choice in (definition.options or {}).get("choices") or []:
        if choice.get("background_color") and choice["key"] not in found:
            found[choice["key"]] = Markup(
                '<span class="badge" style="color:{};background:{}" title="{}">{}</span>'
            ).format(
                choice.get("font_color") or "#212529",
                choice["background_color"],
                choice["label"],
                choice.get("abbreviation") or choice["label"],
            )
    return found


def _locale():
    user = current_user()
    return getattr(user, "locale", None) or "en"


def _in_request():
    return has_request_context()
