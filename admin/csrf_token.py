"""The signed CSRF token of a session, signed once a minute instead of once a request.

Flask-WTF signs the session's raw token anew for every request that renders a form (a
serializer built, a key derived, an HMAC: 0.05 ms of a list page) and keeps the signed
token in `g.csrf_token` for the rest of the request, as its documentation says. The
signed token carries its signing time only for a time limit, and Accord sets none
(WTF_CSRF_TIME_LIMIT = None): a token signed a moment ago serves as well. So the token
Flask-WTF signed is held per raw token and secret key for SIGNED_SECONDS and put in
`g` before the next request of the session asks for it. Validation is untouched.
"""

import time

from flask import current_app, g, request, session

from accord.admin.security import is_static_endpoint

SIGNED_SECONDS = 60
HELD = 4096  # raw tokens; past it all are forgotten
_SIGNED = {}  # (raw token, secret key) -> (time.monotonic() when held, signed token)


def init_app(app):
    @app.before_request
    def _signed_already():
        # Only for pages: a POST may start a fresh session (login, logout) before it
        # renders anything, and its form must carry the new session's token.
        if request.method not in ("GET", "HEAD") or is_static_endpoint(request.endpoint):
            return
        name = _field_name()
        key = _key(name)
        held = None if key is None else _SIGNED.get(key)
        if held is not None and time.monotonic() - held[0] < SIGNED_SECONDS:
            setattr(g, name, held[1])

    @app.after_request
    def _hold_signed(response):
        name = _field_name()
        signed = g.get(name)
        key = _key(name) if signed else None  # only when this request had a form
        if key is None:
            return response
        held = _SIGNED.get(key)
        if held is None or (held[1] != signed and time.monotonic() - held[0] >= SIGNED_SECONDS):
            if len(_SIGNED) >= HELD:
                _SIGNED.clear()
            _SIGNED[key] = (time.monotonic(), signed)
        return response


def _field_name():
    return current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


def _key(name):
    """(the session's raw token, the signing key), or None without a raw token."""
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None  # signed tokens expire: each request signs its own
    raw = session.get(name)
    if not isinstance(raw, str) or not raw:
        return None
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return raw, secret
