"""A list page's fixed parts, rendered once and then filled in per request.

Around its 50 rows a list page renders a few hundred lines of Flask-Admin markup: the
menu, the filter bar with every filter's options, the actions, the search form, the
column headers. At a million records that markup cost more than the rows and their
queries together. Given the same user, locale, URL and reference data
(accord.core.reference_data's counter) it comes out the same, so each process renders it
once as a skeleton with holes and fills the holes on every request: the rows, the
pager, the count, the bell, the per-stage counts and the task tabs (the templates of
accord/holes/, marked by accord/list_holes.html), the CSRF token and the CSP nonce.

A page is rendered whole, as before, when the reference data has no counter (MySQL),
messages are waiting to be flashed, or a filter's options come from elsewhere
(fixed_chrome; a view can also opt out with `list_skeleton = False`).
"""

import re
import secrets

from flask import current_app, g, request, session
from flask_admin.model.filters import BaseFilter
from flask_babel import get_locale, get_timezone
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from accord.admin.app import csp_nonce
from accord.admin.views.filters import ChoiceFilter
from accord.admin.views.gate import current_user
from accord.admin.views.reference import reference_version
from accord.core import reference_data

# A process's own marker: a record's text can never end a hole early.
_TOKEN = secrets.token_hex(8)
_HOLE = re.compile(f"\x00{_TOKEN}:([a-z_]+)\x00")
LIMIT = 128  # skeletons per process (one per user, list URL and count state)


class Holes:
    """`accord_skeleton` while a skeleton renders: each hole a marker."""

    def hole(self, name):
        return Markup(_marker(name))


def _marker(name):
    return f"\x00{_TOKEN}:{name}\x00"


def render(view, template, kwargs, chrome):
    """The list page: `kwargs` for the holes, chrome() -> the rest of the template's
    arguments (needed only when a skeleton is rendered)."""
    key = _key(view, template, kwargs)
    if key is None:
        return view.render(template, **kwargs, **chrome())
    held = current_app.extensions.get("accord_list_skeletons")
    if held is None:
        held = current_app.extensions["accord_list_skeletons"] = reference_data.Held()
        held.LIMIT = LIMIT
    parts = held.get(key, reference_version(), lambda: _skeleton(view, template, kwargs, chrome))
    if parts is None:  # this page does not keep its holes: render it whole
        return view.render(template, **kwargs, **chrome())
    return fill(view, parts, kwargs)


def _key(view, template, kwargs):
    if reference_version() is None or session.get("_flashes") or not fixed_chrome(view):
        return None
    user = current_user()
    count = kwargs.get("count")
    # The count's form changes the markup around it: " (12)", nothing, or "1,000+".
    shape = "capped" if getattr(g, "accord_count_capped", False) else bool(count)
    return (
        view.endpoint,
        template,
        user.id,
        str(get_locale()),
        str(get_timezone()),
        request.full_path,
        shape,
    )


def fixed_chrome(view):
    """Whether the page around the rows depends only on what _key holds: every filter's
    options are fixed or read from reference data, and the view did not opt out."""
    if getattr(view, "list_skeleton", True) is False:
        return False
    for flt in view._filters or ():
        if isinstance(flt, ChoiceFilter):
            fixed = getattr(flt._options, "reference", False)
        elif type(flt).get_options is not BaseFilter.get_options:
            fixed = getattr(flt, "reference_options", False)
        else:
            fixed = not callable(flt.options)
        if not fixed:
            return False
    return True


def _skeleton(view, template, kwargs, chrome):
    """The page as literal parts and hole names, alternating; None when a marker came
    out changed (escaped into JSON, say): that page is then always rendered whole."""
    saved = {name: g.get(name) for name in ("csrf_token", "csp_nonce")}
    g.csrf_token, g.csp_nonce = _marker("csrf"), _marker("nonce")
    values = dict(kwargs, **chrome(), accord_skeleton=Holes())
    if values.get("count") and not getattr(g, "accord_count_capped", False):
        values["count"] = Markup(_marker("count_text"))
    try:
        html = view.render(template, **values)
    finally:
        for name, value in saved.items():
            if value is None:
                g.pop(name, None)
            else:
                setattr(g, name, value)
    parts = _HOLE.split(html)
    if any(_TOKEN in literal for literal in parts[::2]):
        return None
    return tuple(parts)


def fill(view, parts, kwargs):
    """The skeleton with its holes filled: the holes' macros render in one pass of
    accord/list_fill.html, with the same arguments as the whole page."""
    names = parts[1::2]
    template_holes = [name for name in dict.fromkeys(names) if name not in _SUBSTITUTES]
    filled = {name: substitute() for name, substitute in _SUBSTITUTES.items()}
    if template_holes:
        html = view.render(
            "accord/list_fill.html",
            **kwargs,
            accord_fill=template_holes,
            accord_fill_separator=Markup(_marker("end")),
        )
        filled.update(zip(template_holes, html.split(_marker("end")), strict=False))
    out = list(parts)
    out[1::2] = [filled[name] for name in names]
    return "".join(out)


_SUBSTITUTES = {"csrf": generate_csrf, "nonce": csp_nonce}
