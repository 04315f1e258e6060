"""A real browser pastes ten rows, maps them, previews, runs, watches the bar finish and
downloads the error file."""

from pathlib import Path

import pytest

from accord.core.models import Contact
from tests.test_browser import CHROMIUM, OUTPUT, browser, live_server, log_in, watch_errors  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

ROWS = "\n".join(
    ["Vorname\tNom\tE-mail\tIgnored"]
    + [f"Name{i}\tSurname{i}\tperson{i}@example.com\tx" for i in range(8)]
    + ["Bad\tEmail\tnot-an-email\tx", "No\tAt\tmissing.example.com\tx"]
)


def test_paste_map_preview_run_and_download_errors(browser, live_server, world, tmp_path):  # noqa: F811
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(accept_downloads=True).new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "a@world.test")
    page.goto(f"{live_server}/admin/import/")
    page.select_option("#import-entity", "contact")
    page.fill("#import-paste", ROWS)
    page.click("#import-upload button[type=submit]")
    page.wait_for_url("**/admin/import/map**")
    # "Vorname" is no alias: map it by hand; the rest is mapped already.
    page.select_option("select[data-column='Vorname']", "first_name")
    assert page.input_value("select[data-column='Nom']") == "last_name"
    assert page.input_value("select[data-column='E-mail']") == "email"
    assert page.input_value("select[data-column='Ignored']") == ""
    page.click("button[value=preview]")
    page.wait_for_load_state()
    assert page.locator(".import-cell-error").count() == 2
    page.screenshot(path=str(OUTPUT / "import-map.png"), full_page=True)
    page.click("#import-run")
    page.wait_for_url("**/admin/import/job/**")
    page.wait_for_function(
        "document.getElementById('import-bar').textContent === '100%'", timeout=30000
    )
    assert page.text_content("#import-status") == "done"
    assert page.text_content("#import-created") == "8"
    assert page.text_content("#import-failed") == "2"
    page.screenshot(path=str(OUTPUT / "import-job.png"), full_page=True)
    assert Contact.select().where(Contact.email.endswith("@example.com")).count() == 8
    with page.expect_download() as info:
        page.click("#import-errors-link")
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "line,column,reason,Vorname,Nom,E-mail,Ignored"
    assert [line.split(",")[0] for line in lines[1:]] == ["10", "11"]
    assert problems == [], problems
