"""Security headers, error pages and the production start check (SECURITY A5, C20, F30)."""

import re

from flask import g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from jinja2 import BaseLoader
from peewee import OperationalError

from accord.admin.app import csp_nonce

# A production secret must be long and not one of the values found in docs and tests.
MIN_SECRET_LENGTH = 32
KNOWN_DEFAULT_SECRETS = {
    "test-secret-key",
    "secret",
    "secret-key",
    "dev",
    "development",
    "changeme",
    "change-me",
    "default",
    "accord",
}
# Messages of a write that could not get its lock in time: SQLite, PostgreSQL, MySQL.
LOCK_MARKERS = (
    "database is locked",
    "database table is locked",
    "busy",
    "lock timeout",
    "lock wait timeout",
    "could not obtain lock",
    "deadlock",
    "could not serialize access",
)
RETRY_AFTER_SECONDS = 2

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def content_security_policy(nonce):
    # Flask-Admin's inline <script> blocks carry this nonce (Admin(csp_nonce_generator=...)).
    # style-src needs 'unsafe-inline': its templates and widgets use style="" attributes.
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "frame-ancestors 'none'; "
        "form-action 'self'; "
        "base-uri 'self'; "
        "object-src 'none'"
    )


# Flask-Admin 2.2.1's templates use inline handlers (onclick="...") and javascript: links,
# which no nonce can allow: rather than weaken script-src, they are rewritten into data
# attributes that admin/static/accord/csp-compat.js handles (it is added to every page).
_INLINE_HANDLER = re.compile(r"(\s)onclick=")
_JS_LINK = 'href="javascript:void(0)"'
_MODAL_STYLE_SCRIPT = re.compile(
    r"<script[^>]*>\s*window\.faForm\.applyGlobalStyles\([^<]*\);?\s*</script>"
)
_COMPAT_SCRIPT = (
    "<script {{ admin_csp_nonce_attribute }} "
    "src=\"{{ url_for('static', filename='accord/csp-compat.js') }}\"></script>"
)


def rewrite_admin_template(name, source):
    """Flask-Admin template source without inline script the CSP would refuse."""
    if not name.startswith("admin/"):
        return source
    source = _INLINE_HANDLER.sub(r"\1data-accord-onclick=", source)
    source = source.replace(_JS_LINK, 'href="#" data-accord-noop="1"')
    # A modal's inline script carries its own response's nonce, not the page's.
    source = _MODAL_STYLE_SCRIPT.sub("", source)
    if name == "admin/base.html":
        source = source.replace("{% block tail_js %}", "{% block tail_js %}" + _COMPAT_SCRIPT, 1)
    return source


class CspTemplateLoader(BaseLoader):
    """Wraps the app's template loader and applies rewrite_admin_template."""

    def __init__(self, inner):
        self.inner = inner

    def get_source(self, environment, template):
        source, filename, uptodate = self.inner.get_source(environment, template)
        return rewrite_admin_template(template, source), filename, uptodate

    def list_templates(self):
        return self.inner.list_templates()


def check_production(app):
    """Refuse a production start in debug/testing mode or with a weak or default secret."""
    problems = []
    if app.debug or app.config.get("DEBUG"):
        problems.append("debug mode is on")
    if app.testing or app.config.get("TESTING"):
        problems.append("testing mode is on")
    key = app.config.get("SECRET_KEY") or ""
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if len(key) < MIN_SECRET_LENGTH:
        problems.append(f"the secret key is shorter than {MIN_SECRET_LENGTH} characters")
    elif key.strip().lower() in KNOWN_DEFAULT_SECRETS or len(set(key)) < 8:
        problems.append("the secret key is a known default or too simple")
    if problems:
        raise RuntimeError(
            "Refusing to start in production: "
            + "; ".join(problems)
            + ". Unset FLASK_DEBUG and set ACCORD_SECRET_KEY (or delete it to use the generated key)."
        )
    return app


def is_lock_error(error):
    message = str(error).lower()
    return any(marker in message for marker in LOCK_MARKERS)


def is_static_endpoint(endpoint):
    """Public assets: the app's and Flask-Admin's static files."""
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def wants_json():
    """An ajax call or a client that prefers JSON gets JSON errors, not HTML pages."""
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]


def error_response(code, title, message, headers=None):
    """A short page (or JSON for scripts) with no stack trace and no request data."""
    if wants_json():
        response = jsonify(error=message)
        response.status_code = code
    else:
        body = render_template("accord/auth/error.html", code=code, title=title, message=message)
        response = make_response(body, code)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_security(app):
    https = app.config.get("ACCORD_BASE_URL", "").startswith("https://")
    app.jinja_env.loader = CspTemplateLoader(app.jinja_env.loader)

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # setdefault: a view may set a stricter policy (document downloads use sandbox).
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not is_static_endpoint(request.endpoint):
            # g._login_user is loaded by auth's before_request; never query the DB here,
            # this also runs for error pages (a locked database).
            user = g.get("_login_user")
            logged_in = bool(getattr(user, "is_authenticated", False))
            if logged_in or request.endpoint in ("login", "logout"):
                headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(OperationalError)
    def _database_error(error):
        if not is_lock_error(error):
            raise error
        # The service's transaction rolled back: nothing was written; the client retries.
        app.logger.warning("database busy: %s %s: %s", request.method, request.path, error)
        return error_response(
            503,
            _("Busy"),
            _("The database is busy. Please try again in a moment."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return error_response(
            400,
            _("Bad request"),
            _("The form has expired or did not come from Accord. Reload the page and try again."),
        )

    limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    pages = {
        400: (_l("Bad request"), _l("The request could not be understood.")),
        403: (_l("Forbidden"), _l("You do not have access to this page.")),
        404: (_l("Not found"), _l("This page does not exist, or you cannot see it.")),
        405: (_l("Method not allowed"), _l("This address does not accept that method.")),
        413: (
            _l("Too large"),
            _l(
                "The request is too large. Files and imports are limited to %(mb)s MB.", mb=limit_mb
            ),
        ),
        429: (_l("Too many requests"), _l("Too many requests. Please wait and try again.")),
        500: (_l("Server error"), _l("Something went wrong. The error has been logged.")),
    }

    def register(code, title, message):
        def handler(error):
            headers = {}
            if code == 405 and getattr(error, "valid_methods", None):
                headers["Allow"] = ", ".join(error.valid_methods)
            return error_response(code, str(title), str(message), headers)

        app.register_error_handler(code, handler)

    for code, (title, message) in pages.items():
        register(code, title, message)
    return app
