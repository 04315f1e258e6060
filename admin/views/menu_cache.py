"""The navbar's main menu, rendered once per (user, role, locale, current view).

Flask-Admin renders the menu on every page: a macro call per item, and each item asks
its view whether it is accessible and visible. In Accord that answer depends on the
user's role (GateMixin, plugins' `is_visible` through accord.core.access) and the menu
is fixed at start-up, so the result is kept. A view whose menu entry depends on
something else than the user must not be cached: give it `menu_cache = False`.
"""

from collections import OrderedDict
from threading import Lock

from flask import current_app, has_request_context
from flask_babel import get_locale
from markupsafe import Markup

from accord.admin.views.gate import current_user

LIMIT = 512
_lock = Lock()


def _cache():
    """This app's cache, or None when a view opts out."""
    store = current_app.extensions.get("accord_menu_cache")
    if store is None:
        views = [v for admin in current_app.extensions.get("admin", []) for v in admin._views]
        cacheable = all(getattr(v, "menu_cache", True) is not False for v in views)
        store = current_app.extensions["accord_menu_cache"] = (cacheable, OrderedDict())
    return store[1] if store[0] else None


def cached_menu(view, caller):
    """`{% call accord_cached_menu(admin_view) %}{{ super() }}{% endcall %}`"""
    user = current_user() if has_request_context() else None
    cache = _cache() if user is not None else None
    if cache is None:
        return caller()
    key = (user.id, user.role, str(get_locale()), getattr(view, "endpoint", None))
    with _lock:
        html = cache.get(key)
        if html is not None:
            cache.move_to_end(key)
            return html
    html = Markup(caller())
    with _lock:
        cache[key] = html
        while len(cache) > LIMIT:
            cache.popitem(last=False)
    return html
