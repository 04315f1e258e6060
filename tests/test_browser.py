"""A real browser (Debian's Chromium through Playwright) against a live back office."""

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

from accord.core.models import Note
from tests.world import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(os.environ.get("ACCORD_TEST_OUTPUT", "test-output"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]

ENTITY_LISTS = ("lead", "contact", "company", "deal", "task", "appointment", "note", "document")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


def log_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/admin/**")


def watch_errors(page):
    """Collect console errors (a CSP violation shows up here) and off-site requests."""
    problems = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.on(
        "request",
        lambda req: (
            problems.append(f"external request: {req.url}")
            if not req.url.startswith(("http://127.0.0.1", "data:", "about:"))
            else None
        ),
    )
    page.on(
        "response",
        lambda res: (
            problems.append(f"{res.status} {res.url}")
            if res.status >= 400 and res.request.resource_type != "document"
            else None
        ),
    )
    return problems


def test_admin_walks_the_back_office_and_adds_a_lead(browser, live_server, world):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    context = browser.new_context()
    page = context.new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "a@world.test")
    page.screenshot(path=str(OUTPUT / "home.png"), full_page=True)

    for entity in ENTITY_LISTS:
        response = page.goto(f"{live_server}/admin/{entity}/")
        assert response.status == 200, entity
    page.goto(f"{live_server}/admin/lead/")
    assert "LeadOfN1" in page.content().replace(" ", "")

    page.goto(f"{live_server}/admin/lead/new/")
    page.fill("input[name=first_name]", "Zeynep")
    page.fill("input[name=last_name]", "Yılmaz-Browser")
    page.fill("input[name=email]", "zeynep@browser.test")
    page.click("input[type=submit][value='Save'], button[type=submit]:has-text('Save')")
    page.goto(f"{live_server}/admin/lead/?search=Browser")
    assert "Yılmaz-Browser" in page.content()
    page.screenshot(path=str(OUTPUT / "lead-list.png"), full_page=True)
    assert problems == [], problems
    context.close()


def test_restricted_user_sees_only_own_and_unowned(browser, live_server, world):
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "r@world.test")
    page.goto(f"{live_server}/admin/lead/")
    html = page.content()
    assert "OfR" in html and "Ofnobody" in html
    for other in ("OfN1", "OfN3", "OfN4"):
        assert other not in html, other
    response = page.goto(f"{live_server}/admin/lead/details/?id={world.record('lead', 'N1').id}")
    assert response.status == 404
    context.close()


def test_inline_edit_saves_through_the_lean_list(browser, live_server, world):
    """The list's inline editors (rendered once per column, not per row) still open,
    post to the policy-checked ajax_update and save."""
    note = world.record("note", "N1")
    context = browser.new_context()
    page = context.new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "a@world.test")
    page.goto(f"{live_server}/admin/note/?search={quote(note.content)}")
    editor = page.locator(f"td.col-content a[data-role=x-editable][data-pk='{note.id}']")
    editor.click()
    page.fill(".editable-input textarea", "Edited in the list")
    with page.expect_response(lambda r: "/ajax/update/" in r.url) as answer:
        page.click(".editable-submit")
    assert answer.value.status == 200
    assert Note.get_by_id(note.id).content == "Edited in the list"

    contact = world.record("contact", "N1")
    page.goto(f"{live_server}/admin/contact/?search={contact.email}")
    cell = page.locator(f"td.col-customer_status a[data-pk='{contact.id}']")
    assert cell.get_attribute("data-source") and cell.get_attribute("data-csrf")
    assert "editable" in (cell.get_attribute("class") or "")  # x-editable took it up
    assert problems == [], problems
    context.close()
