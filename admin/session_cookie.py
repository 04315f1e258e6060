"""The session cookie: Flask's signed cookie, its signature checked once per cookie.

Flask checks a session cookie on every request: a serializer built, a key derived, an
HMAC compared — 0.12 ms of a 3 ms list page. A session's cookie stays the same from
request to request until the session changes, so once a cookie's signature holds, its
payload and signing time are remembered: a request with the very same cookie only
decodes the payload (new objects every time) and checks its age as itsdangerous does.
A cookie that fails is never remembered, and a changed secret key matches nothing held.
"""

import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired, want_bytes

HELD = 4096  # cookies remembered; past it all are forgotten


class CheckedSessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._checked = {}  # (cookie, keys) -> (signed at, epoch seconds; signed payload)
        self._serializers = {}  # keys -> the signing serializer

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        if not value or not app.secret_key:
            return super().open_session(app, request)
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = self.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (value, keys)
        checked = self._checked.get(key)
        try:
            if checked is None:
                checked = _unsign(serializer, value, max_age)
                if len(self._checked) >= HELD:
                    self._checked.clear()
                self._checked[key] = checked
            else:
                _check_age(checked[0], max_age)
            return self.session_class(serializer.load_payload(checked[1]))
        except BadSignature:  # SignatureExpired included
            self._checked.pop(key, None)
            return self.session_class()


def _unsign(serializer, value, max_age):
    """(signing time, payload) of a cookie whose signature holds under one of the keys
    (itsdangerous' loads, keeping the payload undecoded); BadSignature otherwise."""
    value, failed = want_bytes(value), None
    for signer in serializer.iter_unsigners():
        try:
            payload, signed_at = signer.unsign(value, max_age=max_age, return_timestamp=True)
            return int(signed_at.timestamp()), payload
        except SignatureExpired:
            raise
        except BadSignature as error:
            failed = error
    raise failed


def _check_age(signed_at, max_age):
    age = int(time.time()) - signed_at  # as itsdangerous counts it
    if age > max_age or age < 0:
        raise SignatureExpired(f"Signature age {age} > {max_age} seconds")
