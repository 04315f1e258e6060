"""admin.csrf_token: a session's signed CSRF token is signed once a minute, never shared
between sessions, and still accepted by every form."""

import itsdangerous.timed

from accord.admin import csrf_token
from accord.core.models import Lead
from tests.auth_world import build_users
from tests.web import csrf_token as token_on
from tests.web import login, post


def test_a_sessions_token_is_signed_once_a_minute_and_still_valid(app, rt, monkeypatch):
    users = build_users()
    client = app.test_client()
    login(client, users.A.email)
    first = token_on(client, "/admin/lead/new/")
    # A later second: Flask-WTF alone would sign a different token (its timestamp).
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 10)
    again = token_on(client, "/admin/lead/new/")
    assert again == first

    # Another session has a token of its own.
    other = app.test_client()
    login(other, users.M.email)
    assert token_on(other, "/admin/lead/new/") != first

    # The held token is the one the form posts, and it is accepted.
    response = post(
        client, "/admin/lead/new/", {"last_name": "Held Token"}, token_from="/admin/lead/new/"
    )
    assert response.status_code == 302
    assert Lead.select().where(Lead.last_name == "Held Token").count() == 1

    # A minute on, the token is signed anew (and the new one is held).
    real_monotonic = csrf_token.time.monotonic
    monkeypatch.setattr(
        csrf_token.time, "monotonic", lambda: real_monotonic() + csrf_token.SIGNED_SECONDS + 1
    )
    renewed = token_on(client, "/admin/lead/new/")
    assert renewed != first
    assert token_on(client, "/admin/lead/new/") == renewed


def test_a_post_that_starts_a_fresh_session_renders_its_own_token(app, rt):
    """Login clears the session (SECURITY A4): a form rendered by a POST is never given
    the token held for the session before."""
    users = build_users()
    client = app.test_client()
    first = token_on(client, "/login")
    wrong = {"email": users.A.email, "password": "not the password", "csrf_token": first}
    page = client.post("/login", data=wrong).get_data(as_text=True)
    assert first in page  # the same session: the same token, re-rendered
    assert login(client, users.A.email).status_code == 302
    after = token_on(client, "/admin/lead/new/")
    assert after != first  # the fresh session's own token
    response = post(client, "/admin/lead/new/", {"last_name": "Fresh"}, token_from="/admin/")
    assert response.status_code == 302
