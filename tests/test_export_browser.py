"""The export job pages in a real browser: the list's Export menu, the progress page
polled by export_progress.js, and the same page without JavaScript (it reloads itself)."""

import csv
import io
from pathlib import Path

import pytest

from accord.core import export, export_filters, export_jobs, export_paging
from accord.core.db import write
from accord.core.models.exports import ExportJob
from tests.test_browser import CHROMIUM, OUTPUT, browser, live_server, log_in, watch_errors

__all__ = ["browser", "live_server"]  # fixtures, imported for this module

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]


@pytest.fixture
def small_direct(rt):
    rt.config.extra["export_direct_rows"] = 2
    yield rt
    rt.config.extra.pop("export_direct_rows", None)


def pending_job(world):
    """A job as the Export button makes it, not yet run by the queue."""
    spec = export.SPECS["contact"]
    ids = export_filters.list_ids(spec, world.N1)
    with write():
        return ExportJob.create(
            user=world.N1.id,
            list_key="contact",
            format="csv",
            query=export_jobs.snapshot(ids, export_paging.Sort("id", False)),
            download_name="contact.csv",
        )


def test_export_menu_runs_a_job_and_downloads_its_file(browser, live_server, world, small_direct):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "n1@world.test")
    page.goto(f"{live_server}/admin/contact/?search=Person")
    page.click("a.dropdown-toggle:has-text('Export')")
    page.click("a.dropdown-item:has-text('Export CSV')")
    page.wait_for_url(f"{live_server}/admin/exports/*/")
    download_link = page.locator("#accord-export-download")
    download_link.wait_for(state="visible")
    page.screenshot(path=str(OUTPUT / "export-job.png"), full_page=True)
    with page.expect_download() as info:
        download_link.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert sorted(r["last_name"] for r in rows) == sorted(
        f"Of{k}" for k in ("R", "N1", "N3", "N4", "nobody")
    )
    assert problems == [], problems
    context.close()


def test_progress_page_follows_the_job_with_and_without_javascript(browser, live_server, world, rt):
    for javascript in (True, False):
        job = pending_job(world)
        context = browser.new_context(java_script_enabled=javascript)
        page = context.new_page()
        problems = watch_errors(page)
        log_in(page, live_server, "n1@world.test")
        page.goto(f"{live_server}/admin/exports/{job.id}/")
        assert page.locator("#accord-export-status").get_attribute("data-status") == "pending"
        assert not page.locator("#accord-export-download").is_visible()
        assert export_jobs.run(rt, job.id) == "done"
        # The script polls status.json; without it the page reloads itself.
        page.locator("#accord-export-download").wait_for(state="visible")
        assert page.locator("#accord-export-bar").get_attribute("aria-valuenow") == "100"
        assert problems == [], (javascript, problems)
        context.close()
