"""The lean list renderer: a record list's rows as one HTML string.

Flask-Admin renders each cell through Jinja macros, builds an inline-edit form per row
and a URL per row action: ~185k Python calls for a page of 25 rows, 25–45× a bare page
at a million records (issue 8). Here everything that is the same on every row is worked
out once per page — each column's value function, the row-action buttons and the
inline-edit widget with placeholders for the id and value — and each row is a few string
substitutions. The markup is Flask-Admin's own (same classes, same x-editable
attributes), so its scripts (bulk actions, inline editing) work unchanged, and the inline
edit still posts to the view's policy-checked `ajax_update`.
"""

import re
from itertools import repeat

from flask_admin.model import template as row_templates
from flask_admin.tools import rec_getattr
from flask_babel import get_locale
from markupsafe import Markup, escape
from peewee import FieldAccessor

from accord.admin.views import formatters
from accord.admin.views.reference import held

# Stand-ins substituted per row: plain word characters that survive URL quoting and
# HTML escaping unchanged.
PK = "accordpk0rowid"
SHOWN = "accordshown0value"
CSRF = "accordcsrf0token"
_DATA_VALUE = re.compile(r'data-value="[^"]*"')
_SPACES = re.compile(r"\s+")
_TOKENS = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')
DATA_VALUE = "data-value=\x00"

# Row actions whose markup depends on the row's id only (Flask-Admin's built-ins).
_ID_ONLY_ACTIONS = (
    row_templates.ViewRowAction,
    row_templates.ViewPopupRowAction,
    row_templates.EditRowAction,
    row_templates.EditPopupRowAction,
    row_templates.DeleteRowAction,
)
# Inline-edit fields whose x-editable value is the shown text (XEditableWidget).
_SHOWN_TYPES = {
    "StringField",
    "TextAreaField",
    "SelectField",
    "Select2Field",
    "DateField",
    "DateTimeField",
    "TimeField",
    "IntegerField",
    "FloatField",
    "DecimalField",
}
# ... whose value is the related record's id, or "__None" when blank.
_KEY_TYPES = {"QuerySelectField", "ModelSelectField", "KeyPropertyField"}


class _Stub:
    """A row for rendering the id-only actions once (`get_pk_value(row)` reads its id)."""

    def __init__(self, pk):
        self.id = pk


_UNKNOWN = object()  # a type not looked up yet


def type_formatter(view, memo, value, name):
    """The column type formatter for `value`'s type (looked up once per type)."""
    kind = type(value)
    if kind not in memo:
        memo[kind] = next(
            (f for t, f in view.column_type_formatters.items() if isinstance(value, t)), None
        )
    return memo[kind]


def plain_cell(view, name, context):
    """row -> shown value, as Flask-Admin's `_get_list_value` computes it."""
    column_fmt = view.column_formatters.get(name)
    # Choice labels are often lazy translations: translate them once a page.
    choices = {
        key: label if isinstance(label, Markup) or not hasattr(label, "__html__") else str(label)
        for key, label in (view._column_choices_map.get(name) or {}).items()
    }
    dotted = "." in name
    by_type, constants = {}, {}
    # Text shows as it is unless the view formats str (then through type_formatter).
    plain_text = not any(issubclass(str, kind) for kind in view.column_type_formatters)
    if (
        column_fmt is formatters.record_link
        and plain_text
        and not choices
        and type_formatter(view, {}, Markup(""), name) is None
    ):
        # A link, or a name, shown as it comes (what `cell` below would return).
        return formatters.link_cell(name)

    # A plain column: its accessor reads the row's data, and so can the cell.
    plain = column_fmt is None and type(vars(view.model).get(name)) is FieldAccessor

    def cell(row):
        if plain:
            value = row.__data__.get(name)
        elif column_fmt is not None:
            value = column_fmt(view, context, row, name)
        elif dotted:
            value = rec_getattr(row, name)
        else:
            value = getattr(row, name, None)  # rec_getattr without its split and reduce
        if choices:
            return choices.get(value) or value
        if plain_text and type(value) is str:
            return value
        if value is None or value is True or value is False:
            # "Yes", "No", "": translated once a page, not once a cell.
            if value not in constants:
                fmt = type_formatter(view, by_type, value, name)
                shown = fmt(view, value, name) if fmt else value
                if hasattr(shown, "__html__") and not isinstance(shown, Markup):
                    shown = str(shown)  # a lazy translation: translate it now, once
                constants[value] = shown
            return constants[value]
        fmt = by_type.get(type(value), _UNKNOWN)
        if fmt is _UNKNOWN:
            fmt = type_formatter(view, by_type, value, name)
        return fmt(view, value, name) if fmt is not None else value

    return cell


class Editor:
    """One column's inline-edit widget, rendered once with stand-ins for id and value."""

    def __init__(self, view, name, form, csrf):
        self.name = name
        try:
            field = form[name]
            self.kind = field.type
            html = str(field(pk=PK, display_value=SHOWN, csrf=csrf))
        except Exception:  # e.g. a select with no value to show: upstream's way per row
            self.kind, html = None, ""
        if self.kind in _SHOWN_TYPES or self.kind == "BooleanField" or self.kind in _KEY_TYPES:
            html, found = _DATA_VALUE.subn(DATA_VALUE, html, count=1)
            self.ok = found == 1 and html.count(PK) == 1 and html.count(SHOWN) == 1
        else:
            self.ok = False  # a widget we do not know: rendered per row upstream's way
        self.head, rest = html.split(PK, 1) if self.ok else ("", "")
        self.middle, rest = rest.split(DATA_VALUE, 1) if self.ok else ("", "")
        self.after_value, self.tail = rest.split(SHOWN, 1) if self.ok else ("", "")

    def with_csrf(self, csrf):
        """A copy whose markup carries `csrf` where it was built with CSRF."""
        copy = object.__new__(Editor)
        copy.__dict__.update(self.__dict__)
        for part in ("head", "middle", "after_value", "tail"):
            setattr(copy, part, getattr(self, part).replace(CSRF, str(csrf)))
        return copy

    def __call__(self, pk, row, shown):
        shown = escape(shown)
        if self.kind == "BooleanField":
            value = "1" if getattr(row, self.name) else ""
        elif self.kind in _KEY_TYPES:
            key = row.__data__.get(self.name)
            value = "__None" if key is None else escape(key)
        else:
            value = shown
        return (
            f'{self.head}{_shown_pk(pk)}{self.middle}data-value="{value}"'
            f"{self.after_value}{shown}{self.tail}"
        )


def held_editor(view, name, sample_row, csrf):
    """The column's Editor for this request. Inline-edit fields offer fixed choices or
    reference data (statuses, users), so the widget is built once per process while the
    reference data stays the same, with a stand-in for the CSRF token."""

    def build():
        try:
            form = view.list_form(obj=sample_row)
        except Exception:  # the Editor then falls back to upstream's way per row
            form = None
        return Editor(view, name, form, CSRF)

    editor = held(("inline editor", view.endpoint, name, str(get_locale())), build)
    return editor.with_csrf(csrf)


def _buttons_context(view, context):
    """`context` with what Flask-Admin's row-action macros read: its row_actions.html
    imported with context (as its list.html does) and the view's delete form. Built only
    when buttons are rendered: held buttons need neither."""
    template = context.environment.get_template("admin/model/row_actions.html")
    delete_form = view.delete_form() if view.can_delete else None
    derived = context.derived({"delete_form": delete_form})
    module = template.make_module(derived.get_all())
    return context.derived({"delete_form": delete_form, "row_actions": module})


def row_actions(view, context, actions, csrf):
    """[(None, html with PK) | (action, None)]: id-only actions rendered once per process
    for the page's URL and locale (they differ only by id and CSRF token), other actions
    rendered per row (`row_context` builds their context)."""
    signature = tuple((type(action), str(action.title or "")) for action in actions)
    return_url = context.resolve("return_url")
    key = ("row buttons", view.endpoint, str(get_locale()), return_url, signature)

    def build():
        ctx = _buttons_context(view, context)
        done = []
        for action in actions:
            if type(action) in _ID_ONLY_ACTIONS:
                html = str(action.render_ctx(ctx, PK, _Stub(PK)))
                if csrf:
                    html = html.replace(str(csrf), CSRF)
                if any(token != CSRF for token in _TOKENS.findall(html)):
                    done.append((action, None))  # a token of its own: rendered per row
                    continue
                # Runs of whitespace render as one space: 40 bytes less on every row.
                done.append((None, _SPACES.sub(" ", html).strip()))
            else:
                done.append((action, None))
        return tuple(done)

    token = str(csrf or "")
    return [(action, html and html.replace(CSRF, token)) for action, html in held(key, build)]


def render_rows(view, context, data, actions_enabled, csrf):
    """The <tr> elements of `data` (the list page's rows) as Markup."""
    if not data:
        return Markup("")
    token = formatters.PAGE_VIEWER.set(formatters.viewer())
    memo = formatters.PAGE_MEMO.set({})
    try:
        return _render_rows(view, context, data, actions_enabled, csrf)
    finally:
        formatters.PAGE_MEMO.reset(memo)
        formatters.PAGE_VIEWER.reset(token)


def _render_rows(view, context, data, actions_enabled, csrf):
    columns = [name for name, _label in view._list_columns]
    cells = [view.list_cell(name, context) for name in columns]
    editable = set(view.column_editable_list or ()) if view.can_edit else set()
    editors = {name: held_editor(view, name, data[0], csrf) for name in columns if name in editable}
    buttons = None
    if view.column_display_actions:
        buttons = row_actions(view, context, view.get_list_row_actions(), csrf)
    select_title = escape(context.resolve("_gettext")("Select record"))
    # What comes before the cells, with PK for the id: one replace a row when every
    # button depends on the id only (Flask-Admin's own), else built per row.
    head = ["<tr>"]
    if actions_enabled:
        head.append(
            f'<td><input type="checkbox" name="rowid" class="action-checkbox" '
            f'value="{PK}" title="{select_title}" /></td>'
        )
    fixed_head = buttons is None or all(action is None for action, _html in buttons)
    if buttons is not None and fixed_head:
        head += ['<td class="list-buttons-column">', *(html for _a, html in buttons), "</td>"]
    head = "".join(head)
    pks = [view.get_pk_value(row) for row in data]
    # Column by column: one loop per column over the rows, not a dozen steps per cell.
    filled = [
        _column(view, name, cell, editors.get(name), data, pks, csrf)
        for name, cell in zip(columns, cells, strict=True)
    ]
    # What comes before each row's cells: the checkbox and the buttons.
    around = head.split(PK)
    heads = [_shown_pk(pk).join(around) for pk in pks]
    if not fixed_head:
        row_context = _buttons_context(view, context)
        heads = [
            _row_head(shown, buttons, row_context, pk, row)
            for shown, pk, row in zip(heads, pks, data, strict=True)
        ]
    out = ["".join(parts) for parts in zip(heads, *filled, repeat("</tr>"), strict=False)]
    return Markup("\n".join(out))


def _shown_pk(pk):
    return str(pk) if type(pk) is int else str(escape(pk))


def _row_head(head, buttons, row_context, pk, row):
    """`head` (the checkbox) and a row's buttons, some rendered for the row."""
    shown_pk = _shown_pk(pk)
    parts = [head, '<td class="list-buttons-column">']
    for action, html in buttons:
        if action is None:
            parts.append(html.replace(PK, shown_pk))
        else:
            parts.append(str(action.render_ctx(row_context, pk, row)))
    parts.append("</td>")
    return "".join(parts)


def _column(view, name, cell, editor, data, pks, csrf):
    """One column's <td> elements, a row each."""
    opened = f'<td class="col-{name}">'
    if editor is None:
        # Markup is already escaped (links, badges): escape() would copy it again.
        return [
            f"{opened}{shown if type(shown) is Markup else escape(shown)}</td>"
            for shown in map(cell, data)
        ]
    if editor.ok:
        return [
            f"{opened}{editor(pk, row, cell(row))}</td>" for pk, row in zip(pks, data, strict=True)
        ]
    out = []
    for pk, row in zip(pks, data, strict=True):
        field = view.list_form(obj=row)[name]
        out.append(f"{opened}{field(pk=pk, display_value=cell(row), csrf=csrf)}</td>")
    return out
