"""In a real browser: an admin builds "deal moved to Proposal → task Send proposal, due in
2 days" in Settings › Automations, drags a deal to Proposal, and sees the task appear."""

from pathlib import Path

import pytest

from accord.core.models import Deal, Pipeline, Stage, Task
from accord.core.models.automations import Automation, AutomationRun
from accord.core.services import records
from tests.test_browser import CHROMIUM, OUTPUT, browser, live_server, log_in, watch_errors  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def test_admin_builds_example_one_moves_a_deal_and_sees_the_task(browser, live_server, world):  # noqa: F811
    OUTPUT.mkdir(parents=True, exist_ok=True)
    sales = Pipeline.get(Pipeline.is_default == True)  # noqa: E712
    proposal = Stage.get((Stage.pipeline == sales.id) & (Stage.name == "Proposal"))
    deal = records.create(
        world.users["A"], Deal, {"name": "Browser deal", "value": "800"}, owner=world.users["N1"]
    )
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    problems = watch_errors(page)
    log_in(page, live_server, "a@world.test")

    page.goto(f"{live_server}/admin/automation/")
    page.click("#new-automation")
    # The builder's script attaches its listeners once the page has loaded.
    page.wait_for_url("**/admin/automation/new/")
    page.wait_for_load_state("load")
    page.fill("#name", "Proposal: send it")
    # Choosing the trigger brings its settings (the script presses "Update the form").
    page.select_option("#trigger", "deal.stage_changed")
    page.wait_for_selector("select[name=trigger-stage]")
    page.wait_for_load_state("load")
    assert page.input_value("#name") == "Proposal: send it"
    page.select_option("select[name=trigger-stage]", str(proposal.id))
    page.select_option("#action-0-type", "create_tasks")
    page.wait_for_selector("textarea[name=action-0-content]")
    page.wait_for_load_state("load")
    assert page.input_value("select[name=trigger-stage]") == str(proposal.id)
    page.fill("textarea[name=action-0-content]", "Send proposal")
    page.select_option("select[name=action-0-assignee]", "owner")
    page.fill("input[name=action-0-due_in]", "2")
    page.select_option("select[name=action-0-due_unit]", "days")
    # The operator list follows the chosen field: "is between" only for the value.
    page.select_option("select[name=cond-0-field]", "pipeline")
    assert page.is_disabled("select[name=cond-0-op] option[value=between]")
    page.select_option("select[name=cond-0-field]", "")
    page.screenshot(path=str(OUTPUT / "automation-builder.png"), full_page=True)
    page.click("#save-automation")
    page.wait_for_selector("#automations")
    assert "Proposal: send it" in page.content()
    automation = Automation.get()
    assert automation.trigger_params == {"stage": str(proposal.id)}

    # Move the deal on the board; the automation runs in a job and the task appears.
    page.goto(f"{live_server}/admin/board/?pipeline={sales.id}")
    page.drag_and_drop(f"#deal-{deal.id}", f'.accord-column[data-stage="{proposal.id}"]')
    page.wait_for_selector(f'.accord-column[data-stage="{proposal.id}"] #deal-{deal.id}')
    page.goto(f"{live_server}/admin/deal/details/?id={deal.id}")
    assert "Send proposal" in page.content()
    task = Task.get(Task.deal == deal.id)
    assert (task.content, task.owner_id) == ("Send proposal", world.users["N1"].id)

    page.goto(f"{live_server}/admin/automation/runs/")
    assert AutomationRun.get().status == "done"
    assert "Proposal: send it" in page.content() and f"task #{task.id}" in page.content()
    page.screenshot(path=str(OUTPUT / "automation-runs.png"), full_page=True)
    assert problems == [], problems
