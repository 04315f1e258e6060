"""My calendar feed (from My profile): create, regenerate or turn off the private
iCalendar address. The token is stored hashed, so its URL is shown once, right after
it is made; regenerating revokes the old one at once."""

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accord.admin.app import current_runtime
from accord.admin.views.gate import GateMixin, current_user
from accord.core import calendar_feed


class CalendarFeedView(GateMixin, BaseView):
    access_policy = "authenticated"

    def is_visible(self):
        return False  # reached from My profile

    @expose("/", methods=("GET", "POST"))
    def index(self):
        user = current_user()
        url = None
        if request.method == "POST":
            if request.form.get("do") == "off":
                calendar_feed.revoke(user)
                flash(gettext("The calendar feed is off; its address no longer works."), "success")
                return redirect(url_for(".index"))
            token = calendar_feed.regenerate(user)
            base = current_runtime().config.base_url
            url = f"{base}{url_for('calendar_public.feed', token=token)}"
        return self.render(
            "accord/calendar/feed.html", url=url, active=calendar_feed.has_feed(user)
        )


def calendar_feed_view():
    return CalendarFeedView(
        name=_l("Calendar feed"), endpoint="calendar_feed", url="/admin/calendar_feed"
    )
