"""In a real browser: open a deal's datasheet, create an appointment from it (with an
outside attendee, who gets an invitation through a real SMTP server), then see it in
the week view."""

from pathlib import Path

import pytest

from accord.core.models import Appointment, Attendee
from tests.test_browser import CHROMIUM, OUTPUT, browser, live_server, log_in, watch_errors  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def test_appointment_from_a_deal_shows_in_the_week(browser, live_server, world, smtp):  # noqa: F811
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    problems = watch_errors(page)
    base = live_server
    deal = world.record("deal", "N1")

    log_in(page, base, "n1@world.test")
    page.goto(f"{base}/admin/deal/details/?id={deal.id}")
    page.click("#new-appointment")
    page.wait_for_url(f"{base}/admin/appointment/new/**")
    assert deal.name in page.content()  # the deal is already chosen
    page.fill("input[name=title]", "Contract walkthrough")
    page.fill("input[name=starts_at]", "2030-01-02 14:00:00")
    page.keyboard.press("Escape")
    page.fill("input[name=ends_at]", "2030-01-02 15:00:00")
    page.keyboard.press("Escape")
    page.fill("input[name=location]", "Client office")
    page.fill("textarea[name=attendee_emails]", "Kim Client <kim@client.test>")
    page.screenshot(path=str(OUTPUT / "calendar-1-new-appointment.png"), full_page=True)
    page.click("input[type=submit][value=Save], button[type=submit]:has-text('Save')")
    page.wait_for_url(f"{base}/admin/deal/details/**")
    assert "Contract walkthrough" in page.content()  # on the deal's datasheet

    appointment = Appointment.get(Appointment.title == "Contract walkthrough")
    assert appointment.deal_id == deal.id
    assert [a.email for a in Attendee.select()] == ["kim@client.test"]
    assert len(smtp.to("kim@client.test")) == 1

    page.goto(f"{base}/admin/calendar/?view=week&date=2030-01-02")
    slot = page.locator("td[data-slot='2030-01-02T14']")
    assert "Contract walkthrough" in slot.inner_text()
    page.screenshot(path=str(OUTPUT / "calendar-2-week.png"), full_page=True)
    slot.locator("a.accord-cal-item").first.click()
    page.wait_for_url(f"{base}/admin/appointment/details/**")
    assert "kim@client.test" in page.content()
    assert not problems, problems
