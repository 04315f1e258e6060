"""Login, logout and the session (SECURITY A1-A4).

The session (and the remember-me cookie) carries "<user id>:<session_version>". The
service layer bumps the version on logout, deactivation, role and password changes, so
every older session dies server-side even though Flask's session is a signed cookie.
"""

import re
from urllib.parse import unquote, urlencode, urlsplit

from flask import (
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from accord.admin.policy import declare
from accord.admin.security import is_static_endpoint, wants_json
from accord.core.compiled import sql_of
from accord.core.models import User
from accord.core.rows import fields_rows
from accord.core.services import users

__all__ = ["current_user", "current_accord_user", "init_auth", "safe_next", "unauthorized"]

DEFAULT_NEXT = "/admin/"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SessionUser(UserMixin):
    """What Flask-Login keeps: the peewee user, identified with its session version."""

    def __init__(self, user):
        self.user = user

    def get_id(self):
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self):
        return bool(self.user.active)

    def __getattr__(self, name):
        # locale, timezone, role, name... read straight from the user row.
        if name == "user":  # not set yet (copy, unpickle): no recursion
            raise AttributeError(name)
        return getattr(self.user, name)


def current_accord_user():
    """The logged-in peewee User, or None (what views pass to accord.core.access)."""
    if not has_request_context():
        return None
    # Flask-Login keeps the loaded user in g._login_user (login_user and logout_user set
    # it too): read it there first, as list cells ask for the user hundreds of times.
    wrapper = g.get("_login_user")
    if wrapper is None:
        wrapper = current_user._get_current_object()
    if not getattr(wrapper, "is_authenticated", False):
        return None
    return wrapper.user


def load_user(session_id):
    """Session / remember-cookie id -> SessionUser, or None when it no longer holds."""
    user_id, sep, version = str(session_id).partition(":")
    if not sep or not user_id.isdigit() or not version.isdigit():
        return None
    sql = sql_of("user by id", lambda key: User.select().where(User.id == key), -1)
    found = fields_rows(User, (), sql, (int(user_id),))  # every page: not through peewee
    user = found[0] if found else None
    if user is None or not user.active or user.session_version != int(version):
        return None
    return SessionUser(user)


def safe_next(value):
    """`value` if it is a same-origin path ("/..."), else None (SECURITY A3).

    Decoded first (up to three times) so %2F%2Fevil cannot turn into //evil later;
    backslashes and control characters are refused because browsers read "/\\x" as
    "//x" and drop tabs and newlines inside URLs.
    """
    if not value or len(value) > 2000:
        return None
    decoded = value
    for _round in range(3):
        unquoted = unquote(decoded)
        if unquoted == decoded:
            break
        decoded = unquoted
    else:
        return None  # still changing after three rounds: nobody needs that
    for candidate in (value, decoded):
        if "\\" in candidate or _CONTROL.search(candidate):
            return None
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return value


def unauthorized():
    """Anonymous visitor: 401 for scripts, else the login page with a safe `next`."""
    if wants_json():
        response = jsonify(error=_("Please log in."))
        response.status_code = 401
        return response
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    next_url = safe_next(target)
    if next_url and next_url != DEFAULT_NEXT:
        return redirect("/login?" + urlencode({"next": next_url}))
    return redirect("/login")


def init_auth(app):
    app.config.setdefault("REMEMBER_COOKIE_DURATION", 60 * 60 * 24 * 30)  # 30 days
    manager = LoginManager(app)
    manager.login_view = "login"
    manager.login_message = _l("Please log in.")
    manager.user_loader(load_user)
    manager.unauthorized_handler(unauthorized)

    @app.before_request
    def _load_and_gate():
        if is_static_endpoint(request.endpoint):
            return None
        # Loads the user now: the locale selector reads g._login_user, set by Flask-Login.
        authenticated = current_user.is_authenticated
        # Belt and braces: the back-office views gate themselves too (is_accessible).
        if not authenticated and (request.path + "/").startswith("/admin/"):
            return unauthorized()
        return None

    @app.route("/login", methods=["GET", "POST"], endpoint="login")
    @declare("public")
    def login():
        next_url = safe_next(request.args.get("next") or request.form.get("next"))
        if request.method == "GET":
            if current_user.is_authenticated:
                return redirect(next_url or DEFAULT_NEXT)
            return _login_page(next_url)
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        user, problem = users.authenticate(email, password)
        if problem == "locked":
            message = _(
                "Too many failed attempts. This account is locked for a while; try again later."
            )
            page, status = _login_page(next_url, email, message, status=429)
            return page, status, {"Retry-After": str(users.LOCK_MINUTES * 60)}
        if user is None:
            # Unknown email and wrong password answer exactly alike (SECURITY A2).
            return _login_page(next_url, email, _("Invalid email or password."), status=200)
        session.clear()  # a fresh session at login (SECURITY A4)
        login_user(SessionUser(user), remember=bool(request.form.get("remember")))
        return redirect(next_url or DEFAULT_NEXT)

    @app.route("/logout", methods=["GET", "POST"], endpoint="logout")
    @declare("authenticated")
    def logout():
        user = current_accord_user()
        if user is None:
            return redirect("/login")
        if request.method == "GET":
            # No GET changes state (SECURITY C17): a page with a button that POSTs.
            return render_template("accord/auth/logout.html", user=user)
        users.end_sessions(user)  # every session and remember cookie of this user dies
        session.clear()
        logout_user()  # after clear(): it flags the remember cookie for deletion
        flash(_("You have been logged out."), "info")
        return redirect("/login")

    return manager


def _login_page(next_url, email="", error=None, status=200):
    body = render_template(
        "accord/login.html",
        next_url=next_url,
        email=email,
        error=error,
        action="/login" + (("?" + urlencode({"next": next_url})) if next_url else ""),
    )
    return body, status
