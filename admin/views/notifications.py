"""The bell: each user's web notifications (list, mark read, mark all read) and their
channel choices per notification kind. Custom rules are in notification_rules.py."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from accord.admin.app import current_runtime
from accord.admin.views.formatters import local_datetime
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.admin.views.reference import held
from accord.core import access, notifications
from accord.core.services import ValidationError

PAGE = 30


def safe_path(url):
    """Only back-office paths become links (never another site, never javascript:)."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else ""


def link_for(user, note):
    url = safe_path(note.url or "")
    if url and note.record_kind:
        # The policy may have changed since: link only to what the user may see now.
        record = notifications.fresh_record(note.record_kind, note.record_id)
        if record is None or not access.can_see(user, record):
            return ""
    return url


def unread_badge():
    """The navbar bell's number ("" when none; "99+" beyond the cap)."""
    user = current_user()
    if user is None:
        return ""
    count = notifications.unread_count(user)
    return "" if not count else ("99+" if count > 99 else str(count))


class NotificationsView(GateMixin, BaseView):
    access_policy = "authenticated"

    def is_visible(self):
        return False  # the bell in the navbar, not a menu entry

    @expose("/")
    def index(self):
        user = current_user()
        before = parse_id(request.args.get("before"))
        rows = notifications.recent(user, before_id=before, limit=PAGE + 1)
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        items = [(note, link_for(user, note)) for note in rows]
        return self.render(
            "accord/notifications/list.html",
            items=items,
            next_before=rows[-1].id if more else None,
            unread=notifications.unread_count(user),
            local_datetime=local_datetime,
        )

    @expose("/read/", methods=("POST",))
    def read(self):
        note_id = parse_id(request.form.get("id"))
        if note_id is None:
            abort(400)
        # Scoped to the user: another user's id changes nothing.
        notifications.mark_read(current_user(), note_id)
        return redirect(url_for(".index"))

    @expose("/read-all/", methods=("POST",))
    def read_all(self):
        count = notifications.mark_read(current_user())
        flash(gettext("%(n)s notification(s) marked read.", n=count), "success")
        return redirect(url_for(".index"))

    @expose("/settings/", methods=("GET", "POST"))
    def settings(self):
        rt = current_runtime()
        user = current_user()
        kinds = [k for k in rt.notification_kinds.values() if k.configurable]
        channels = list(rt.channels.values())
        if request.method == "POST":
            choices = {
                kind.name: [c.name for c in channels if request.form.get(f"{kind.name}:{c.name}")]
                for kind in kinds
            }
            try:
                notifications.set_preferences(rt, user, choices)
            except ValidationError as error:
                for message in error.errors.values():
                    flash(message, "error")
            else:
                flash(gettext("Your notification choices were saved."), "success")
                return redirect(url_for(".settings"))
        return self.render(
            "accord/notifications/settings.html",
            kinds=kinds,
            channels=channels,
            chosen=notifications.preferences(rt, user),
        )


def bell():
    """The navbar bell as Markup: rendered once per process for each locale and number
    shown (every page shows it; its template cost a fiftieth of a list page)."""
    badge = unread_badge()
    key = ("bell", str(get_locale()), url_for("notifications.index"), badge)
    return held(
        key,
        lambda: Markup(render_template("accord/notifications/bell.html", accord_badge=badge)),
    )


def install(app):
    app.jinja_env.globals["accord_bell"] = bell


def notifications_view():
    return NotificationsView(
        name=_l("Notifications"), endpoint="notifications", url="/admin/notifications"
    )
