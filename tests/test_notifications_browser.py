"""In a real browser: a web notification arrives, the bell counts it, the user opens the
list and clears it; channel choices and a custom rule are saved through the pages."""

from pathlib import Path

import pytest

from accord.core.models import Deal, Task
from accord.core.models.notifications import Notification, NotificationRule
from accord.core.notifications import preferences
from accord.core.services import records
from tests.test_browser import CHROMIUM, OUTPUT, browser, live_server, log_in, watch_errors  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def test_receive_a_web_notification_and_clear_it(browser, live_server, world, rt):  # noqa: F811
    OUTPUT.mkdir(parents=True, exist_ok=True)
    Notification.delete().execute()  # what building the world sent
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "n1@world.test")
    assert page.locator("#accord-bell").is_visible()
    assert page.locator("#accord-bell-count").count() == 0

    # The admin assigns two things to N1 while N1 is working.
    task = records.create(world.A, Task, {"content": "Call Amani back"}, owner=world.N1.id)
    records.create(world.A, Deal, {"name": "Safari deal", "value": "900"}, owner=world.N1.id)
    page.reload()
    assert page.locator("#accord-bell-count").inner_text() == "2"
    page.screenshot(path=str(OUTPUT / "notifications-bell.png"))

    page.click("#accord-bell")
    page.wait_for_url(f"{live_server}/admin/notifications/")
    items = page.locator(".accord-notification.unread")
    assert items.count() == 2
    assert "Task assigned to you: Call Amani back" in page.content()
    page.screenshot(path=str(OUTPUT / "notifications-list.png"), full_page=True)

    # Mark one read, then the rest with "Mark all read".
    page.locator(".accord-notification", has_text="Call Amani back").locator(
        ".accord-mark-read"
    ).click()
    page.wait_for_load_state()
    assert page.locator("#accord-bell-count").inner_text() == "1"
    assert page.locator(".accord-notification.unread").count() == 1
    page.click("#read-all")
    page.wait_for_load_state()
    assert page.locator("#accord-bell-count").count() == 0
    assert page.locator(".accord-notification.unread").count() == 0
    # The read notification still links to its task.
    link = page.locator("a.accord-notification-title", has_text="Call Amani back")
    assert link.get_attribute("href") == f"/admin/task/details/?id={task.id}"
    assert problems == [], problems


def test_choose_channels_and_create_a_rule_in_the_browser(browser, live_server, world, rt):  # noqa: F811
    page = browser.new_context().new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "n4@world.test")
    page.goto(f"{live_server}/admin/profile/")
    page.click("#profile-notifications")
    page.wait_for_url(f"{live_server}/admin/notifications/settings/")
    page.uncheck("#task_assigned-email")
    page.uncheck("#task_assigned-web")
    page.check("#import_finished-email")
    page.click("#notification-settings button[type=submit]")
    page.wait_for_load_state()
    chosen = preferences(rt, world.N4)
    assert chosen["task_assigned"] == [] and chosen["import_finished"] == ["web", "email"]

    page.goto(f"{live_server}/admin/notification-rules/")
    page.click("#new-rule")
    page.fill("#name", "Hot deals")
    page.select_option("#record_entity", "deal")
    page.check("#trigger-stage_changed")
    page.check("#channel-web")
    page.click("#rule-form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/notification-rules/")
    assert "Hot deals" in page.content()
    rule = NotificationRule.get(NotificationRule.user == world.N4.id)
    assert (rule.record_entity, rule.triggers, rule.channels) == (
        "deal",
        ["stage_changed"],
        ["web"],
    )
    page.screenshot(path=str(OUTPUT / "notification-rules.png"), full_page=True)
    assert problems == [], problems
