"""Lead-capture forms and the task list in a real browser: an admin copies the snippet,
another site embeds it, a visitor sends it; a salesperson uses the task tabs."""

import datetime as dt
import html
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from accord.core.models import Lead, Source, Task, utcnow
from accord.core.services import capture_forms, records
from tests.test_browser import (  # noqa: F401
    CHROMIUM,
    OUTPUT,
    browser,
    live_server,
    log_in,
    watch_errors,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


@pytest.fixture
def other_site():
    """Another web site (another origin) serving one page: `pages["/"]`."""
    pages = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", pages
    server.shutdown()
    thread.join(5)


def test_a_form_embedded_on_another_site_creates_one_lead(
    app,
    browser,  # noqa: F811
    live_server,  # noqa: F811
    other_site,
    world,
):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    previous = app.config["ACCORD_BASE_URL"]
    app.config["ACCORD_BASE_URL"] = live_server  # the snippet points at this server
    try:
        page = browser.new_context().new_page()
        problems = watch_errors(page)
        log_in(page, live_server, "a@world.test")
        page.goto(f"{live_server}/admin/capture_form/new/")
        page.fill("input[name=name]", "Browser form")
        page.select_option("select[name=source]", label="Website")
        page.select_option("select[name=owner]", label="N1 World")
        page.fill("textarea[name=thank_you]", "Merci, à bientôt!")
        page.click("#lead-form-form button[type=submit]")
        page.wait_for_selector("#lead-form-snippet")
        page.screenshot(path=str(OUTPUT / "lead-form-settings.png"), full_page=True)
        snippet = page.input_value("#lead-form-snippet")
        assert problems == [], problems
    finally:
        app.config["ACCORD_BASE_URL"] = previous

    base, pages = other_site
    pages["/"] = f"<!doctype html><html><body><h1>Our shop</h1>{snippet}</body></html>"
    visitor = browser.new_context().new_page()
    visitor.goto(base + "/")
    box = visitor.locator("input[name=homepage]").bounding_box()
    assert box is None or box["x"] + box["width"] < 0  # the honeypot is off screen
    visitor.fill("input[name=first_name]", "Grace")
    visitor.fill("input[name=last_name]", "Hopper")
    visitor.fill("input[name=email]", "grace@example.test")
    visitor.fill("textarea[name=description]", "<b>Please call</b>")
    visitor.click("button[type=submit]")
    visitor.wait_for_selector("#capture-thanks")
    assert "Merci, à bientôt!" in visitor.content()
    visitor.screenshot(path=str(OUTPUT / "lead-form-thanks.png"), full_page=True)

    lead = Lead.get(Lead.email == "grace@example.test")
    assert lead.owner_id == world.users["N1"].id
    assert lead.source_id == Source.get(Source.name == "Website").id
    assert lead.description == "<b>Please call</b>"
    assert Lead.select().where(Lead.email == "grace@example.test").count() == 1


def test_the_public_page_keeps_input_and_shows_errors(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    world,
):
    form = capture_forms.create_form(
        world.users["A"],
        {
            "name": "Support request",
            "fields": ["last_name", "email", "description"],
            "required": ["last_name", "email"],
            "assignment": "none",
        },
    )
    page = browser.new_context().new_page()
    problems = watch_errors(page)
    page.goto(f"{live_server}/forms/{form.token}")
    page.fill("input[name=last_name]", "Turing")
    page.fill("input[name=email]", "not an email")
    page.fill("textarea[name=description]", "My printer")
    page.click("button[type=submit]")
    page.wait_for_selector("#capture-message")
    assert page.input_value("input[name=last_name]") == "Turing"
    assert page.input_value("textarea[name=description]") == "My printer"
    assert "Enter an email address." in page.content()
    page.screenshot(path=str(OUTPUT / "lead-form-error.png"), full_page=True)
    page.fill("input[name=email]", "alan@example.test")
    page.click("button[type=submit]")
    page.wait_for_selector("#capture-thanks")
    assert Lead.get(Lead.email == "alan@example.test").owner_id is None
    # The 400 of the first try is the page itself; nothing else failed (CSP, assets).
    assert [p for p in problems if "status of 400" not in p] == [], problems


def test_the_task_tabs_in_a_browser(
    browser,  # noqa: F811
    live_server,  # noqa: F811
    world,
):
    user = world.users["N1"]
    late = records.create(
        user, Task, {"content": "Browser overdue task", "due_at": utcnow() - dt.timedelta(days=2)}
    )
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    problems = watch_errors(page)
    log_in(page, live_server, user.email)
    page.goto(f"{live_server}/admin/task/")
    page.click("#task-tabs a[data-tab=overdue]")
    page.wait_for_selector("#task-tabs a[data-tab=overdue].active")
    body = page.content()
    assert "Browser overdue task" in body
    assert "Task of N1" not in body  # due in 2030: not overdue
    colour = page.eval_on_selector("td span.accord-overdue", "el => getComputedStyle(el).color")
    assert colour == "rgb(220, 53, 69)"
    page.click("#task-tabs a[data-tab=mine]")
    page.wait_for_selector("#task-tabs a[data-tab=mine].active")
    assert page.locator("#task-tabs a.active").count() == 2  # Mine and Overdue together
    page.screenshot(path=str(OUTPUT / "task-tabs.png"), full_page=True)
    ids = {
        int(i) for i in re.findall(r"/admin/task/details/\?id=(\d+)", html.unescape(page.content()))
    }
    assert ids == {late.id}
    assert problems == [], problems
