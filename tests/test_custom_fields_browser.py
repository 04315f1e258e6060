"""In a real browser: an admin defines custom fields, a user fills them in and filters."""

from pathlib import Path

import pytest

from accord.core.models import CustomField, Deal
from tests.test_browser import CHROMIUM, OUTPUT, browser, live_server, log_in, watch_errors  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def test_admin_defines_fields_and_a_user_fills_and_filters(browser, live_server, world):  # noqa: F811
    OUTPUT.mkdir(parents=True, exist_ok=True)
    admin = browser.new_context().new_page()
    problems = watch_errors(admin)
    log_in(admin, live_server, "a@world.test")
    for key, label, kind, extra in (
        ("tier", "Tier", "dropdown", "Gold; GLD; #000000; #ffd700\nSilver; SLV; #ffffff; #6c757d"),
        ("renewal", "Renewal", "date", ""),
    ):
        admin.goto(f"{live_server}/admin/custom_field/new/")
        admin.select_option("select[name=entity_kind]", "deal")
        admin.fill("input[name=key]", key)
        admin.fill("input[name=label]", label)
        admin.select_option("select[name=type]", kind)
        admin.check("input[name=show_in_list]")
        admin.check("input[name=filterable]")
        if extra:
            admin.fill("textarea[name=choices_text]", extra)
        admin.click("input[type=submit][value='Save']")
        admin.wait_for_url(f"{live_server}/admin/custom_field/**")
    assert CustomField.select().count() == 2
    admin.context.close()

    user = browser.new_context().new_page()
    problems += watch_errors(user)
    log_in(user, live_server, "n1@world.test")
    for name, tier, renewal in (
        ("Kuzey Marine", "Gold", "2027-01-15"),
        ("Wisła Logistics", "Silver", "2026-12-01"),
    ):
        user.goto(f"{live_server}/admin/deal/new/")
        user.fill("input[name=name]", name)
        user.select_option("select[name=custom__tier]", label=tier)
        user.fill("input[name=custom__renewal]", renewal)
        user.click("input[type=submit][value='Save']")
        user.wait_for_load_state()
    assert Deal.get(Deal.name == "Kuzey Marine").custom == {"tier": "Gold", "renewal": "2027-01-15"}

    user.goto(f"{live_server}/admin/deal/")
    user.click("text=Add Filter")
    user.click("a.filter:has-text('Tier')")
    # Flask-Admin dresses the select with select2; pick the value on the real select.
    user.locator(".filter-val").last.select_option(label="Gold", force=True)
    user.click("button:has-text('Apply')")
    user.wait_for_load_state()
    html = user.content()
    assert "Kuzey Marine" in html and "Wisła Logistics" not in html
    assert "GLD" in html
    user.screenshot(path=str(OUTPUT / "custom-fields-filtered.png"), full_page=True)
    assert problems == [], problems
