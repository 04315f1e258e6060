"""The trash (admins only): deleted leads, contacts and deals, and restoring them."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accord.admin.views.formatters import local_datetime
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core.models import Contact, Deal, Lead
from accord.core.services import Forbidden, records

TRASHABLE = {"lead": Lead, "contact": Contact, "deal": Deal}
SHOWN = 100


class TrashView(GateMixin, BaseView):
    access_policy = "admin"

    @expose("/")
    def index(self):
        sections = []
        for kind, model in TRASHABLE.items():
            query = model.select().where(model.deleted_at.is_null(False))
            rows = list(query.order_by(model.deleted_at.desc(), model.id.desc()).limit(SHOWN))
            sections.append((kind, rows))
        titles = {"lead": _l("Leads"), "contact": _l("Contacts and companies"), "deal": _l("Deals")}
        return self.render(
            "accord/trash.html", sections=sections, titles=titles, local_datetime=local_datetime
        )

    @expose("/restore/", methods=("POST",))
    def restore(self):
        model = TRASHABLE.get(request.form.get("entity", ""))
        record_id = parse_id(request.form.get("id"))
        if model is None or record_id is None:
            abort(400)
        record = model.get_or_none(model.id == record_id)
        if record is None or record.deleted_at is None:
            abort(404)
        try:
            records.restore(current_user(), record)
        except Forbidden:
            abort(403)
        flash(gettext("%(name)s is back.", name=str(record)), "success")
        return redirect(url_for(".index"))


def trash_view(category):
    return TrashView(_l("Trash"), category=category, endpoint="trash", url="trash")
