"""Login, logout and sessions (SECURITY A1-A4)."""

import re
import statistics
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from accord.admin.auth import current_accord_user, safe_next
from accord.core.models import LoginThrottle, User
from accord.core.services import users
from tests.auth_world import build_users
from tests.web import csrf_token, login, post
from tests.world import PASSWORD


@pytest.fixture
def world(rt):
    """World W's users only (same emails and password): these tests need no records."""
    return build_users()


REMEMBER = "remember_token"


@pytest.fixture
def anon(session_app):
    """An anonymous client for requests that read no data: no database reset needed."""
    return session_app.test_client()


def logged_in(client):
    """GET /logout shows its confirmation page only to a logged-in user."""
    return client.get("/logout").status_code == 200


def post_login(client, email, password, headers=None, **query):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        query_string=query,
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers or {},
    )


def logout(client):
    return post(client, "/logout", token_from="/logout")


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def reload(user):
    return User.get_by_id(user.id)


# --- A1: brute force ---------------------------------------------------------------


def test_a1_eleventh_try_refused_even_with_right_password(app, world):
    attacker = app.test_client()
    for i in range(10):
        # A different forged client address each time: the account is what counts.
        r = post_login(
            attacker, "n1@world.test", f"wrong-{i}", {"X-Forwarded-For": f"203.0.113.{i}"}
        )
        assert r.status_code == 200
        assert not logged_in(attacker)

    victim = app.test_client()
    r = post_login(victim, "n1@world.test", PASSWORD)
    assert r.status_code == 429
    assert "locked" in r.get_data(as_text=True)
    assert int(r.headers["Retry-After"]) > 0
    assert not logged_in(victim)

    # A fresh forged address changes nothing.
    r = post_login(victim, "n1@world.test", PASSWORD, {"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 429
    assert not logged_in(victim)
    assert reload(world.N1).last_login_at is None

    other = app.test_client()
    r = login(other, "n2@world.test")
    assert r.status_code == 302
    assert logged_in(other)


def test_a1_success_resets_the_failure_count(client, world):
    for i in range(9):
        assert post_login(client, "n4@world.test", f"nope-{i}").status_code == 200
    assert login(client, "n4@world.test").status_code == 302
    assert LoginThrottle.get_or_none(LoginThrottle.key == "n4@world.test") is None


# --- A2: no enumeration ------------------------------------------------------------


def _normalised(response, email):
    html = response.get_data(as_text=True)
    html = html.replace(email, "EMAIL")
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="TOKEN"', html)


def test_a2_unknown_user_and_wrong_password_look_the_same(app, world):
    unknown = post_login(app.test_client(), "nobody@world.test", "whatever-password")
    wrong = post_login(app.test_client(), "n3@world.test", "whatever-password")
    assert unknown.status_code == wrong.status_code == 200
    assert _normalised(unknown, "nobody@world.test") == _normalised(wrong, "n3@world.test")
    assert "Invalid email or password." in wrong.get_data(as_text=True)
    # A deactivated user with the right password gets the same answer too.
    inactive = post_login(app.test_client(), "d@world.test", PASSWORD)
    assert inactive.status_code == 200
    assert _normalised(inactive, "d@world.test") == _normalised(wrong, "n3@world.test")


def test_a2_unknown_user_costs_a_password_check(app, world):
    """Loose on purpose: an unknown email must not answer in a fraction of the time."""

    def timed(email):
        c = app.test_client()
        token = csrf_token(c, "/login")
        start = time.perf_counter()
        c.post("/login", data={"email": email, "password": "bad-password", "csrf_token": token})
        return time.perf_counter() - start

    wrong = statistics.median(timed(f"n{i}@world.test") for i in (1, 2, 3))
    unknown = statistics.median(timed(f"ghost{i}@world.test") for i in (1, 2, 3))
    assert unknown > wrong * 0.5, (unknown, wrong)


# --- A3: open redirect ---------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.example",
    "//evil.example/admin/",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "%252F%252Fevil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " //evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "evil.example",
    "///evil.example",
]


def _on_site(location):
    parts = urlsplit(location)
    return (
        parts.scheme in ("", "http")
        and parts.netloc in ("", "localhost")
        and parts.path.startswith("/")
        and not parts.path.startswith("//")
        and "\\" not in location
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a3_safe_next_refuses(target):
    assert safe_next(target) is None


def test_a3_hostile_next_never_leaves_the_site(app, world):
    for target in HOSTILE_NEXT:
        client = app.test_client()
        r = post_login(client, "a@world.test", PASSWORD, next=target)
        assert r.status_code == 302, target
        location = r.headers["Location"]
        assert _on_site(location), (target, location)
        assert location == "/admin/", (target, location)
        # Already logged in: the login page redirects, and just as safely.
        again = client.get("/login", query_string={"next": target})
        assert again.headers["Location"] == "/admin/", target
    # The raw, unencoded form in the URL itself.
    client = app.test_client()
    token = csrf_token(client, "/login")
    r = client.post(
        "/login?next=//evil.example",
        data={"email": "a@world.test", "password": PASSWORD, "csrf_token": token},
    )
    assert r.headers["Location"] == "/admin/"


def test_a3_good_next_is_followed(client, world):
    r = login(client, "a@world.test", next_url="/admin/lead/")
    assert r.status_code == 302
    assert r.headers["Location"] == "/admin/lead/"
    assert safe_next("/admin/lead/?page=2&sort=1") == "/admin/lead/?page=2&sort=1"


def test_a3_login_redirect_carries_a_safe_next(anon):
    r = anon.get("/admin/lead/?page=2")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("/login?next=")
    assert parse_qs(urlsplit(location).query)["next"] == ["/admin/lead/?page=2"]
    page = anon.get(location).get_data(as_text=True)
    assert 'action="/login?next=' in page


def test_a3_scripts_get_401_instead_of_a_redirect(anon):
    r = anon.get("/admin/lead/", headers={"X-Requested-With": "XMLHttpRequest"})
    assert r.status_code == 401
    assert r.is_json and r.get_json()["error"]
    r = anon.get("/admin/", headers={"Accept": "application/json"})
    assert r.status_code == 401


# --- A4: sessions ----------------------------------------------------------------------


def test_a4_session_cookie_changes_at_login(client, world):
    client.get("/login")
    before = session_cookie(client)
    assert before  # the CSRF token already lives in the session
    assert login(client, "n1@world.test").status_code == 302
    after = session_cookie(client)
    assert after and after != before
    assert logged_in(client)


def test_a4_nothing_of_the_anonymous_session_survives_login(client, world):
    """Session renewal: a token planted before login (fixation) is worthless after it."""
    planted = csrf_token(client, "/login")
    login(client, "n1@world.test")
    r = client.post("/logout", data={"csrf_token": planted})
    assert r.status_code == 400
    assert logged_in(client)


def test_a4_current_accord_user_is_the_peewee_user(client, world):
    login(client, "m@world.test")
    with client:
        client.get("/logout")
        user = current_accord_user()
        assert isinstance(user, User)
        assert user.id == world.M.id
    assert current_accord_user() is None  # outside a request


def test_the_locale_follows_the_logged_in_user(client, world):
    from flask_babel import get_locale

    users.update_user(world.N1, world.N1, locale="fr")
    login(client, "n1@world.test")
    with client:
        client.get("/logout")
        assert str(get_locale()) == "fr"


def test_a4_logout_kills_a_copied_cookie(app, world):
    browser = app.test_client()
    login(browser, "n1@world.test")
    stolen = session_cookie(browser)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert logged_in(thief)

    r = logout(browser)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not logged_in(browser)
    assert not logged_in(thief)
    assert thief.get("/admin/").status_code == 302
    assert reload(world.N1).session_version == world.N1.session_version + 1


def test_a4_get_logout_changes_nothing(client, world):
    login(client, "n1@world.test")
    r = client.get("/logout")
    assert r.status_code == 200
    assert 'method="post"' in r.get_data(as_text=True)
    assert logged_in(client)
    assert reload(world.N1).session_version == world.N1.session_version


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda w: users.update_user(w.A, w.N1, active=False), id="deactivated"),
        pytest.param(lambda w: users.set_password(w.A, w.N1, "another-long-pass"), id="password"),
        pytest.param(lambda w: users.set_password(w.N1, w.N1, "another-long-pass"), id="own-pw"),
        pytest.param(lambda w: users.update_user(w.A, w.N1, role="restricted"), id="role"),
        pytest.param(lambda w: users.end_sessions(w.N1), id="logout-everywhere"),
    ],
)
def test_a4_change_kills_sessions_and_remember_cookies(app, world, change):
    kept = app.test_client()
    token = csrf_token(kept, "/login")
    r = kept.post(
        "/login",
        data={"email": "n1@world.test", "password": PASSWORD, "remember": "1", "csrf_token": token},
    )
    assert r.status_code == 302
    remember = kept.get_cookie(REMEMBER)
    assert remember is not None and remember.http_only

    # The remember cookie alone logs a new browser in.
    returning = app.test_client()
    returning.set_cookie(REMEMBER, remember.value)
    assert logged_in(returning)

    change(world)

    assert not logged_in(kept)
    assert kept.get("/admin/").status_code == 302
    later = app.test_client()
    later.set_cookie(REMEMBER, remember.value)
    assert not logged_in(later)
    assert not logged_in(returning)


def test_a4_other_users_sessions_survive(app, world):
    n1, n2 = app.test_client(), app.test_client()
    login(n1, "n1@world.test")
    login(n2, "n2@world.test")
    users.update_user(world.A, world.N1, active=False)
    assert not logged_in(n1)
    assert logged_in(n2)


def test_a4_profile_change_keeps_the_session(app, world):
    c = app.test_client()
    login(c, "n1@world.test")
    users.update_user(world.N1, world.N1, first_name="Renamed")
    assert logged_in(c)


def test_a4_inactive_user_cannot_log_in(client, world):
    r = login(client, "d@world.test")
    assert r.status_code == 200
    assert not logged_in(client)
    assert reload(world.D).last_login_at is None


def test_a4_logout_deletes_the_remember_cookie(client, world):
    token = csrf_token(client, "/login")
    client.post(
        "/login",
        data={"email": "n2@world.test", "password": PASSWORD, "remember": "1", "csrf_token": token},
    )
    assert client.get_cookie(REMEMBER) is not None
    logout(client)
    assert client.get_cookie(REMEMBER) is None
    assert not logged_in(client)


def test_a4_anonymous_logout_goes_to_login(anon):
    r = anon.get("/logout")
    assert r.status_code == 302
    assert urlsplit(r.headers["Location"]).path == "/login"
