"""Settings › Company logo (admins only): upload a PNG or JPEG used in invitation emails.
The file is checked by its first bytes, size-limited, stored under a generated name and
served back only to admins, as an image with nosniff and a sandboxing CSP."""

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accord.admin.app import current_runtime
from accord.admin.views.gate import GateMixin, current_user
from accord.core.services import branding
from accord.core.services.errors import ValidationError


class CompanyLogoView(GateMixin, BaseView):
    access_policy = "admin"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        config = current_runtime().config
        if request.method == "POST":
            user = current_user()
            if request.form.get("do") == "remove":
                branding.remove_logo(user, config)
                flash(gettext("The logo was removed."), "success")
                return redirect(url_for(".index"))
            upload = request.files.get("logo")
            data = upload.read(branding.MAX_LOGO_BYTES + 1) if upload else b""
            try:
                branding.set_logo(user, config, data)
            except ValidationError as error:
                for message in error.errors.values():
                    flash(message, "error")
            else:
                flash(gettext("The logo was saved."), "success")
                return redirect(url_for(".index"))
        logo = branding.current_logo(config)
        return self.render(
            "accord/calendar/logo.html",
            logo=logo,
            max_kb=branding.MAX_LOGO_BYTES // 1024,
        )

    @expose("/image")
    def image(self):
        logo = branding.current_logo(current_runtime().config)
        if logo is None:
            abort(404)
        response = Response(logo.data, mimetype=logo.content_type)
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response


def company_logo_view(category):
    return CompanyLogoView(
        name=_l("Company logo"),
        category=category,
        endpoint="company_logo",
        url="/admin/company_logo",
    )
