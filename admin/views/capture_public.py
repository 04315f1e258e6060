"""The public side of lead-capture forms: GET /forms/<token> shows the form, POST makes
one lead (SECURITY C16). No login; every route is declared "public".

CSRF: the form is meant to be embedded on other sites (a plain <form> posting here),
and such a page cannot carry our CSRF token, so these routes are exempt on purpose.
Nothing here acts for a logged-in user — a submission only ever creates a new,
unattended lead — so a forged post gains nothing a visitor could not do directly;
the honeypot, the per-IP rate limit and the body-size limit guard against abuse.
"""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext

from accord.admin.policy import declare
from accord.core.services import ValidationError
from accord.core.services import capture_forms as service

# A form post is a few kilobytes; anything much bigger is not a person typing.
MAX_BODY = 64 * 1024

blueprint = Blueprint("capture", __name__)


def client_ip():
    # The socket's address, as the login throttle sees it: a client-sent
    # X-Forwarded-For is not trusted (a proxy in front must be configured explicitly).
    return request.remote_addr or "unknown"


def render_form(form, values=None, errors=None, message=None, status=200):
    body = render_template(
        "accord/capture/form.html",
        form=form,
        fields=service.public_fields(form),
        values=values or {},
        errors=errors or {},
        message=message,
        honeypot=service.HONEYPOT,
    )
    return body, status


def render_thanks(form):
    return render_template("accord/capture/thanks.html", form=form)


@blueprint.route("/forms/<token>", methods=("GET", "POST"), endpoint="form")
@declare("public")
def form_page(token):
    form = service.by_token(token)
    if form is None:
        abort(404)  # unknown and disabled forms look the same
    if request.method == "GET":
        return render_form(form)
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    request.max_content_length = MAX_BODY  # also bounds a body sent without a length
    if not service.allow(form, client_ip()):
        message = gettext(
            "Too many submissions from your address. Please wait a minute and try again."
        )
        body, status = render_form(form, request.form, message=message, status=429)
        return body, status, {"Retry-After": str(int(service.RATE_WINDOW.total_seconds()))}
    if service.is_spam(request.form):
        return render_thanks(form)  # bots see success; nothing is written
    try:
        service.submit(form, request.form, client_ip())
    except ValidationError as exc:
        keys = {key for key, _label, _required in service.public_fields(form)}
        values = {k: v for k, v in request.form.items() if k in keys}
        message = exc.errors.get("") or gettext("Please correct the marked fields.")
        return render_form(form, values, exc.errors, message, status=400)
    return render_thanks(form)


def register(app):
    app.register_blueprint(blueprint)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(blueprint)  # see the module docstring
    return blueprint
