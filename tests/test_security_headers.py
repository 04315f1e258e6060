"""Security headers, cookies, error pages and the production start check (SECURITY A5, C20)."""

import dataclasses
import re
from html.parser import HTMLParser

import pytest
from flask import Flask

from accord.admin.app import MAX_CONTENT_LENGTH, create_app, csp_nonce
from accord.admin.security import check_production
from tests.auth_world import build_users
from tests.web import login


@pytest.fixture
def world(rt):
    """World W's users only (same emails and password): these tests need no records."""
    return build_users()


CSP_DIRECTIVES = {
    "default-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
STATIC_ASSET = "/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css"


@pytest.fixture
def anon(session_app):
    """An anonymous client for pages that read no data: no database reset needed."""
    return session_app.test_client()


def csp(response):
    policy = response.headers["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )


def assert_common_headers(response):
    directives = csp(response)
    for name, value in CSP_DIRECTIVES.items():
        assert directives[name] == value, (name, directives)
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{16,}'", directives["script-src"])
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert "camera=()" in response.headers["Permissions-Policy"]


def nonce_of(response):
    return csp(response)["script-src"].split("'nonce-")[1].rstrip("'")


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts = []  # (attrs, has_src)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_of(html):
    parser = Scripts()
    parser.feed(html)
    return parser.scripts


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def assert_no_inline_script(html):
    """No nonce can allow these: they must not reach a page (csp-compat.js does their job)."""
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    assert "javascript:" not in html.lower()
    assert any(s.get("src", "").endswith("/accord/csp-compat.js") for s in scripts_of(html))


def test_a5_login_page_headers(anon):
    r = anon.get("/login")
    assert r.status_code == 200
    assert_common_headers(r)
    assert r.headers["Cache-Control"] == "no-store"
    # Offline: every asset is served by us.
    html = r.get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_a5_admin_page_headers_when_logged_in(client, world):
    login(client, "a@world.test")
    r = client.get("/admin/")
    assert r.status_code == 200
    assert_common_headers(r)
    assert r.headers["Cache-Control"] == "no-store"


def test_a5_error_and_static_responses_have_headers(client, world):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert_common_headers(missing)
    assert "Traceback" not in missing.get_data(as_text=True)

    asset = client.get(STATIC_ASSET)
    assert asset.status_code == 200
    assert_common_headers(asset)
    asset.close()

    # Logged in: pages are no-store, public static assets stay cacheable.
    login(client, "n1@world.test")
    asset = client.get(STATIC_ASSET)
    assert "no-store" not in asset.headers.get("Cache-Control", "")
    asset.close()
    assert client.get("/no/such/page").headers["Cache-Control"] == "no-store"


def test_a5_anonymous_redirect_is_not_cached_as_a_page(anon):
    r = anon.get("/admin/")
    assert r.status_code == 302
    assert_common_headers(r)


def test_a5_each_response_gets_a_fresh_nonce(anon):
    assert nonce_of(anon.get("/login")) != nonce_of(anon.get("/login"))


def test_a5_back_office_scripts_carry_the_header_nonce(client, world):
    """The real back office: every <script> carries this response's CSP nonce."""
    login(client, "a@world.test")
    page = client.get("/admin/lead/")
    assert page.status_code == 200
    nonce = nonce_of(page)
    html = page.get_data(as_text=True)
    scripts = scripts_of(html)
    assert scripts
    for attrs in scripts:
        assert attrs.get("nonce") == nonce, attrs
        src = attrs.get("src")
        if src:
            assert src.startswith("/") and not src.startswith("//"), src  # same origin only
    assert_no_inline_script(html)


def test_a5_flask_admin_inline_scripts_carry_the_header_nonce(session_runtime, rt, world):
    """The mechanism on its own app: an Admin given csp_nonce renders the header's nonce."""
    from flask_admin import Admin
    from flask_admin.contrib.peewee import ModelView
    from flask_admin.theme import Bootstrap4Theme

    from accord.core.models import Lead

    app = create_app(session_runtime.config, runtime=session_runtime)
    app.config["TESTING"] = True
    check = Admin(
        app,
        name="check",
        url="/nonce-check",
        endpoint="noncecheck",
        theme=Bootstrap4Theme(swatch="default"),
        csp_nonce_generator=csp_nonce,
    )

    class CheckView(ModelView):
        create_modal = True
        form_columns = ("first_name", "last_name")

    check.add_view(CheckView(Lead, endpoint="noncecheck_lead", url="/nonce-check/lead"))
    # With maps on, Flask-Admin's form pages carry an inline <script> block.
    app.config["FLASK_ADMIN_MAPS"] = True
    client = app.test_client()
    page = client.get("/nonce-check/lead/new/")
    assert page.status_code == 200
    nonce = nonce_of(page)
    scripts = scripts_of(page.get_data(as_text=True))
    assert [s for s in scripts if "src" not in s], "expected an inline script"
    assert all(s.get("nonce") == nonce for s in scripts), scripts

    # A modal is loaded into a page with another nonce: its inline script is dropped
    # (csp-compat.js does its work), so nothing in it gets refused.
    modal = client.get("/nonce-check/lead/new/?modal=True")
    assert modal.status_code == 200
    assert "applyGlobalStyles" not in modal.get_data(as_text=True)

    # The list page (row delete, bulk actions) carries no inline handler or js: link.
    listing = client.get("/nonce-check/lead/")
    assert listing.status_code == 200
    assert "With selected" in listing.get_data(as_text=True)
    assert_no_inline_script(listing.get_data(as_text=True))


def test_a5_csp_compat_script_is_served(anon):
    r = anon.get("/static/accord/csp-compat.js")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "tryParseJson" in body and "new Function" not in body.replace("new Function()", "")
    r.close()


def test_a5_cookies_httponly_lax_not_secure_over_http(client, world):
    r = login(client, "a@world.test")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.fixture
def https_app(session_runtime, rt):
    config = dataclasses.replace(session_runtime.config, base_url="https://crm.example.test")
    app = create_app(config, runtime=session_runtime)
    app.config["TESTING"] = True
    return app


def test_a5_cookies_secure_over_https(https_app, world):
    base = "https://crm.example.test"
    client = https_app.test_client()
    html = client.get("/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    # Over HTTPS Flask-WTF also checks the Referer (Referrer-Policy same-origin sends it).
    r = client.post(
        "/login",
        base_url=base,
        headers={"Referer": f"{base}/login"},
        data={
            "email": "a@world.test",
            "password": "correct-horse-battery",
            "remember": "1",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302
    cookies = r.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"session", "remember_token"}
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a5_check_production():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k" * 10 + "0123456789abcdef0123456789abcdef"
    assert check_production(app) is app

    app.debug = True
    with pytest.raises(RuntimeError, match="debug"):
        check_production(app)
    app.debug = False

    for weak in ("test-secret-key", "", "short", "a" * 40, "changeme"):
        app.config["SECRET_KEY"] = weak
        with pytest.raises(RuntimeError, match="secret key"):
            check_production(app)


def test_a5_check_production_refuses_the_test_app(session_app):
    with pytest.raises(RuntimeError):
        check_production(session_app)  # TESTING on and the test secret


# --- error pages (C20, F30 style: short, no stack trace) ------------------------------


def test_c20_oversized_body_is_413(anon):
    r = anon.post("/login", data=b"x" * (MAX_CONTENT_LENGTH + 1), content_type="text/plain")
    assert r.status_code == 413
    assert "too large" in r.get_data(as_text=True).lower()
    form = anon.post(
        "/login", data={"email": "a@world.test", "password": "p" * (MAX_CONTENT_LENGTH + 10)}
    )
    assert form.status_code == 413


def test_error_pages_are_plain(anon):
    r = anon.get("/nothing-here", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.is_json
    r = anon.put("/login")
    assert r.status_code == 405
    assert "Allow" in r.headers
    assert "Traceback" not in r.get_data(as_text=True)
