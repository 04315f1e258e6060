"""How values read in lists and datasheets: names for owners and links, badges, money,
dates in the user's locale and time zone.

A linked record is shown as a link only when the viewer may see it; otherwise its
name alone (DESIGN §5). Every user-provided text is escaped.
"""

import datetime as dt
from contextvars import ContextVar
from decimal import Decimal

from flask import g, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from peewee import DoesNotExist

from accord.admin.views.gate import current_user
from accord.core import access, i18n
from accord.core.models import Contact, utcnow

# The viewer while a list's rows are rendered (list_rows.render_rows): a page formats
# hundreds of cells, and even a lookup in flask.g per cell showed.
PAGE_VIEWER = ContextVar("accord_page_viewer", default=None)
# ... and what its cells repeat, worked out once a page: details_url's patterns (keyed
# (endpoint, escaped); no lookup in flask.g per link), the owners' names (keyed
# ("owner", id)) and the viewer's access.seer ("seer").
PAGE_MEMO = ContextVar("accord_page_memo", default=None)


def viewer():
    """The logged-in user, looked up once per request (a list page formats hundreds of
    cells for them; the login and logout views format none)."""
    user = PAGE_VIEWER.get()
    if user is not None:
        return user
    if not has_request_context():
        return current_user()
    if "_accord_viewer" not in g:
        g._accord_viewer = current_user()
    return g._accord_viewer


def _locale():
    return _zone()[0]


def _timezone():
    return _zone()[1]


def _zone():
    """(locale, time zone) of the viewer, worked out once a list page."""
    memo = PAGE_MEMO.get()
    zone = None if memo is None else memo.get("zone")
    if zone is None:
        user = viewer()
        zone = (getattr(user, "locale", None) or "en", getattr(user, "timezone", None) or "UTC")
        if memo is not None:
            memo["zone"] = zone
    return zone


def local_datetime(value, format="medium"):
    try:
        return i18n.format_datetime(value, *_zone(), format=format)
    except Exception:  # an unknown zone or locale in a profile must not break a page
        return i18n.format_datetime(value, "en", "UTC", format=format)


def local_date(value):
    try:
        return i18n.format_date(value, _locale())
    except Exception:
        return i18n.format_date(value, "en")


def _type_datetime(view, value, name):
    return local_datetime(value)


def _type_date(view, value, name):
    return local_date(value)


def _type_bool(view, value, name):
    return _l("Yes") if value else _l("No")


def _type_none(view, value, name):
    return ""


def _type_decimal(view, value, name):
    return i18n.format_number(value, _locale())


def type_formatters():
    """For lists and details: datetime before date (a datetime is a date)."""
    return {
        type(None): _type_none,
        bool: _type_bool,
        dt.datetime: _type_datetime,
        dt.date: _type_date,
        Decimal: _type_decimal,
    }


def related(model, name):
    """The record a foreign key points to, or None (never raises)."""
    try:
        return getattr(model, name)
    except DoesNotExist:
        return None


def endpoint_of(record):
    if isinstance(record, Contact):
        return "company" if record.is_organization else "contact"
    return getattr(record, "entity", None)


def link_to(record, label=None):
    """A link to the record's datasheet if the viewer may see it, else its name only."""
    if record is None:
        return ""
    shown = escape(label if label is not None else str(record))
    endpoint = endpoint_of(record)
    if endpoint and _may_see(record):
        pattern = _details_pattern(endpoint, escaped=True)
        if pattern is None:  # no such view (a plugin's model): the name will do
            return shown
        head, _id, tail = pattern.partition(_ID)
        return Markup(f'<a href="{head}{int(record.id)}{tail}">{shown}</a>')
    return shown


def _may_see(record):
    """access.can_see(viewer(), record), the viewer's rules looked up once a page."""
    memo = PAGE_MEMO.get()
    if memo is None:
        return access.can_see(viewer(), record)
    sees = memo.get("seer")
    if sees is None:
        sees = memo["seer"] = access.seer(viewer())
    return sees(record)


_ID = "accordid0"  # word characters: url_for leaves them as they are


def details_url(endpoint, record_id):
    """url_for(endpoint.details_view, id=…), built once per endpoint and request (a list
    page links hundreds of records)."""
    pattern = _details_pattern(endpoint)
    return None if pattern is None else pattern.replace(_ID, str(int(record_id)), 1)


def _details_pattern(endpoint, escaped=False):
    """details_url's pattern with _ID for the id (HTML-escaped if asked), or None."""
    cache = PAGE_MEMO.get()
    if cache is None:
        cache = g.setdefault("_accord_details_urls", {})
    key = (endpoint, escaped)
    if key not in cache:
        try:
            pattern = url_for(f"{endpoint}.details_view", id=_ID)
        except Exception:
            pattern = None
        cache[key] = pattern if pattern is None or not escaped else str(escape(pattern))
    return cache[key]


def record_link(view, context, model, name):
    return link_to(related(model, name))


def link_cell(name):
    """record_link for one column down a list page (list_rows): the prefetched record
    taken from the row as it is, without the generic cell's steps around it."""

    def cell(row):
        record = row.__rel__.get(name)
        return link_to(record if record is not None else related(row, name))

    return cell


def linked(view, context, model, name):
    """The lead, contact or deal a task, note, appointment or document hangs off."""
    try:
        return link_to(model.linked)
    except DoesNotExist:
        return ""


def owner(view, context, model, name):
    names = PAGE_MEMO.get()  # a list page: a dozen owners down its rows, each shown once
    key = ("owner", model.__data__.get(name))
    if names is not None and key in names:
        return names[key]
    user = related(model, name)
    if user is None:
        shown = Markup('<span class="text-muted">{}</span>').format(_l("Unassigned"))
    else:
        shown = escape(user.name)
    if names is not None:
        names[key] = shown
    return shown


def user_name(view, context, model, name):
    user = related(model, name)
    return "" if user is None else escape(user.name)


def badge(view, context, model, name):
    """A status or action type in its own colours (classes served by /admin/badges.css)."""
    term = related(model, name)
    if term is None:
        return ""
    kind, shown = type(term).__name__.lower(), escape(term.name)
    # An f-string, not Markup.format: a list shows one per row.
    return Markup(
        f'<span class="badge accord-badge accord-{kind}-{int(term.id)}" title="{shown}">'
        f"{shown}</span>"
    )


def money(view, context, model, name):
    value = getattr(model, name)
    try:
        return i18n.format_money(value, getattr(model, "currency", None) or "EUR", _locale())
    except Exception:
        return i18n.format_money(value, "EUR", "en")


def lead_name(view, context, model, name):
    text = escape(model.name)
    if model.converted_at is not None:
        return Markup('{} <span class="badge badge-secondary">{}</span>').format(
            text, _l("converted")
        )
    return text


def is_overdue(task, now=None):
    """Open and due before now: shown with the class `accord-overdue` on every surface."""
    return not task.done and task.due_at is not None and task.due_at < (now or utcnow())


def overdue_class(task, now=None):
    """The CSS class a task's element gets in any list (calendar pages too)."""
    return "accord-overdue" if is_overdue(task, now) else ""


def due(view, context, model, name):
    value = model.due_at
    if value is None:
        return ""
    text = local_datetime(value, format="short")
    if is_overdue(model):
        return Markup('<span class="accord-overdue" title="{}">{}</span>').format(
            _l("Overdue"), text
        )
    return text


def task_content(limit=80):
    """A task's text in lists, in the overdue style when it is overdue."""
    shorten = short_text(limit)

    def formatter(view, context, model, name):
        text = shorten(view, context, model, name)
        if is_overdue(model):
            return Markup('<span class="accord-overdue">{}</span>').format(text)
        return text

    return formatter


def file_size(view, context, model, name):
    size = model.size or 0
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def short_text(limit=80):
    def formatter(view, context, model, name):
        text = getattr(model, name) or ""
        return text if len(text) <= limit else text[: limit - 1] + "…"

    return formatter


def outbox_status(view, context, model, name):
    css = {"dead": "danger", "pending": "warning", "processing": "info", "done": "success"}
    return Markup('<span class="badge badge-{}">{}</span>').format(
        css.get(model.status, "secondary"), model.status
    )
