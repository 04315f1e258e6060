"""The Flask application factory: back office, login, security, plugins' views and routes."""

import secrets

from flask import Flask, g, has_request_context, redirect, url_for
from flask_babel import Babel
from flask_babel import gettext as flask_gettext
from flask_wtf.csrf import CSRFProtect

from accord.admin import session_cookie
from accord.core import i18n
from accord.core import runtime as core_runtime
from accord.core.config import Config
from accord.core.db import database

MAX_CONTENT_LENGTH = 32 * 1024 * 1024


def current_runtime():
    from flask import current_app

    return current_app.extensions["accord"]


def create_app(config=None, runtime=None, extra_plugins=(), migrate=False):
    """Build the web app. `migrate=True` applies migrations first (what `serve` does);
    otherwise the app refuses to start on a schema that is behind or half-migrated."""
    config = config or Config.from_env()
    rt = runtime or core_runtime.build(config, extra_plugins=extra_plugins)
    if migrate:
        rt.migrate()
    rt.check_schema()

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.load_secret_key(),
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.base_url.startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config.base_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="en",
        ACCORD_BASE_URL=config.base_url,
        ACCORD_UPLOAD_DIR=str(config.ensure_home() / "uploads"),
    )
    app.extensions["accord"] = rt
    app.session_interface = session_cookie.CheckedSessionInterface()

    _init_database(app)
    _init_i18n(app)
    CSRFProtect(app)

    from accord.admin import auth, csrf_token, policy, security, template_contexts, views

    template_contexts.init_app(app)
    csrf_token.init_app(app)

    security.init_security(app)
    auth.init_auth(app)
    views.init_back_office(app, rt)
    _init_plugins(app, rt)
    policy.enforce(app)

    @app.get("/")
    def root():
        return redirect(url_for("admin.index"))

    root.access_policy = "public"  # redirects only

    @app.get("/favicon.ico")
    def favicon():
        response = app.send_static_file("accord/favicon.svg")
        response.mimetype = "image/svg+xml"
        return response

    favicon.access_policy = "public"
    return app


def _init_database(app):
    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()


def _init_i18n(app):
    def select_locale():
        user = getattr(g, "_login_user", None)
        return getattr(user, "locale", None) or "en"

    def select_timezone():
        user = getattr(g, "_login_user", None)
        return getattr(user, "timezone", None) or "UTC"

    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Jobs and the CLI run outside a request: they keep the English text.
    i18n.set_translator(lambda m: flask_gettext(m) if has_request_context() else m)


def _init_plugins(app, rt):
    for blueprints in rt.pm.hook.accord_blueprints(app=app):
        for bp in blueprints or ():
            app.register_blueprint(bp, url_prefix=f"/plugins/{bp.name}")


def csp_nonce():
    """One nonce per request for the inline scripts Flask-Admin's templates emit."""
    if not hasattr(g, "csp_nonce"):
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce
