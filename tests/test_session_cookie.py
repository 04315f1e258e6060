"""admin.session_cookie: a session cookie's signature is checked once, and a held cookie
is still refused once it is too old, tampered with, or signed with another key."""

from flask import request

from accord.admin import session_cookie
from tests.auth_world import build_users
from tests.web import login


def signed_in(client):
    return client.get("/admin/").status_code == 200


def session_cookie_of(client, app):
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def test_a_cookie_is_checked_once_and_decoded_anew_each_time(app, rt, monkeypatch):
    users = build_users()
    client = app.test_client()
    assert login(client, users.A.email).status_code == 302
    interface = app.session_interface
    assert isinstance(interface, session_cookie.CheckedSessionInterface)
    assert signed_in(client)  # the first page after login settles the session
    cookie = session_cookie_of(client, app)
    unsigned = []
    real = session_cookie._unsign
    monkeypatch.setattr(session_cookie, "_unsign", lambda *a: unsigned.append(1) or real(*a))
    for _ in range(3):
        assert signed_in(client)
    assert session_cookie_of(client, app) == cookie  # the same cookie every time
    assert unsigned == [1]  # checked when first seen, not again
    # Each request gets its own session: one request's change is not the next one's.
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        first = interface.open_session(app, request)
        first["_user_id"] = "somebody else"
        second = interface.open_session(app, request)
    assert second["_user_id"] != "somebody else" and second.get("_user_id")
    assert unsigned == [1]


def test_a_held_cookie_is_refused_when_old_tampered_or_signed_with_another_key(
    app, rt, monkeypatch
):
    users = build_users()
    client = app.test_client()
    login(client, users.A.email)
    assert signed_in(client)  # held now
    cookie = session_cookie_of(client, app)

    # Tampered: one character of the signature changed.
    forged = cookie[:-1] + ("A" if cookie[-1] != "A" else "B")
    other = app.test_client()
    other.set_cookie("session", forged)
    assert not signed_in(other)

    # Too old: the same cookie, a lifetime later.
    lifetime = app.permanent_session_lifetime.total_seconds()
    now = session_cookie.time.time()
    monkeypatch.setattr(session_cookie.time, "time", lambda: now + lifetime + 5)
    assert not signed_in(client)
    monkeypatch.undo()
    client.set_cookie("session", cookie)
    assert signed_in(client)

    # Another secret key: what was held under the old one matches nothing.
    monkeypatch.setattr(app, "secret_key", "another key")
    stranger = app.test_client()
    stranger.set_cookie("session", cookie)
    assert not signed_in(stranger)
