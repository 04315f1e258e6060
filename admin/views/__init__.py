"""The Flask-Admin back office: every view, with its declared access policy."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from accord.admin.app import csp_nonce
from accord.admin.policy import POLICIES
from accord.admin.views import menu_cache, static_urls
from accord.admin.views.audit import audit_views
from accord.admin.views.automations import automation_views
from accord.admin.views.base import AccessModelView
from accord.admin.views.board import register as register_board
from accord.admin.views.calendar import calendar_view
from accord.admin.views.calendar_feed import calendar_feed_view
from accord.admin.views.calendar_public import init_calendar_routes
from accord.admin.views.capture_forms import capture_form_view
from accord.admin.views.capture_public import register as register_capture_public
from accord.admin.views.company_logo import company_logo_view
from accord.admin.views.documents import document_view
from accord.admin.views.exports import export_jobs_view
from accord.admin.views.gate import GateMixin, allowed, current_user
from accord.admin.views.home import HomeView
from accord.admin.views.notification_rules import notification_rules_view
from accord.admin.views.notifications import install as install_notifications
from accord.admin.views.notifications import notifications_view
from accord.admin.views.profile import profile_view
from accord.admin.views.quick_add import menu_links as add_menu_links
from accord.admin.views.quick_add import quick_add_view
from accord.admin.views.records import record_views
from accord.admin.views.search import search_view
from accord.admin.views.settings import settings_views
from accord.admin.views.trash import trash_view
from accord.admin.views.users import user_views
from accord.admin.views.webhooks import webhook_views

SETTINGS = _l("Settings")

__all__ = ["AccessModelView", "init_back_office"]


def init_back_office(app, rt):
    admin = Admin(
        app,
        name="Accord",
        url="/admin",
        # The default swatch is fully offline: no CDN, no web fonts (STACK-NOTES).
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        index_view=HomeView(),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_views(*record_views(), document_view())
    init_calendar_routes(app)  # /rsvp/<token> and /calendar/feed/<token>.ics
    register_board(admin)  # the deal board, listed right after Deals
    admin.add_view(calendar_view())
    admin.add_views(profile_view(), calendar_feed_view())
    admin.add_view(export_jobs_view())
    admin.add_views(quick_add_view(), search_view())
    admin.add_views(notifications_view(), notification_rules_view())
    install_notifications(app)
    admin.add_views(*user_views(SETTINGS), *settings_views(SETTINGS))
    admin.add_view(company_logo_view(SETTINGS))
    admin.add_views(*automation_views(SETTINGS))
    admin.add_views(trash_view(SETTINGS), *audit_views(SETTINGS))
    admin.add_views(*webhook_views(SETTINGS))
    admin.add_view(capture_form_view(SETTINGS))
    register_capture_public(app)  # /forms/<token>: public lead-capture forms
    for views in rt.pm.hook.accord_admin_views(app=app):
        admin.add_views(*(guard(view) for view in views or ()))
    app.jinja_env.globals["accord_cached_menu"] = menu_cache.cached_menu
    app.jinja_env.globals["accord_static_url"] = static_urls.static_url
    app.jinja_env.globals["accord_add_links"] = add_menu_links
    return admin


def guard(view):
    """A plugin's view: its declared policy is required and applied on top of its own
    is_accessible, so a plugin cannot forget the login check."""
    policy = getattr(view, "access_policy", None)
    if policy not in POLICIES:
        raise RuntimeError(
            f"admin view {type(view).__name__} declares no access_policy (one of {POLICIES})"
        )
    if not isinstance(view, GateMixin):
        own_check = view.is_accessible
        view.is_accessible = lambda: allowed(policy, current_user()) and own_check()
    return view
