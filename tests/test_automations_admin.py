"""Settings › Automations through the test client: admin only, the builder without
JavaScript, clear errors that keep the input, test against a record, the run log, email
templates."""

from accord.core.models import Deal, Effect, OutboxEvent, Task
from accord.core.models.automations import Automation, AutomationRun, EmailTemplate
from accord.core.services import deals, records
from tests.automation_support import make, stage
from tests.web import csrf_token, login
from tests.world import make_user


def admin_client(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def post_builder(client, path, data):
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, **data})


def test_only_admins_reach_automation_settings(app, rt):
    admin = make_user("Ada", "admin")
    normal = make_user("Ned", "normal")
    client = admin_client(app, normal)
    for path in (
        "/admin/automation/",
        "/admin/automation/new/",
        "/admin/automation/runs/",
        "/admin/email_template/",
    ):
        assert client.get(path).status_code == 403, path
    auto = make(rt, admin, "deal.created", [("create_tasks", {"content": "x"})])
    token = csrf_token(client, "/admin/")
    response = client.post(
        "/admin/automation/toggle/", data={"csrf_token": token, "id": auto.id, "enabled": "0"}
    )
    assert response.status_code == 403
    assert Automation.get_by_id(auto.id).enabled is True
    anonymous = app.test_client()
    assert anonymous.get("/admin/automation/").status_code == 302


def test_builder_without_javascript_creates_example_one(app, rt):
    admin = make_user("Ada", "admin")
    seller = make_user("Sam", "normal")
    client = admin_client(app, admin)
    proposal = stage("Proposal")
    # 1. Choose the trigger and press "Update the form": its stage setting appears.
    page = post_builder(
        client,
        "/admin/automation/new/",
        {"name": "Proposal task", "trigger": "deal.stage_changed", "refresh": "1"},
    ).get_data(as_text=True)
    assert 'name="trigger-stage"' in page
    assert 'value="Proposal task"' in page  # the input is kept
    # 2. Choose the action type, update again: the task settings appear.
    page = post_builder(
        client,
        "/admin/automation/new/",
        {"name": "Proposal task", "trigger": "deal.stage_changed", "trigger-stage": proposal.id,
         "action-0-type": "create_tasks", "refresh": "1"},
    ).get_data(as_text=True)  # fmt: skip
    assert 'name="action-0-content"' in page and 'name="action-0-due_in"' in page
    # 3. Fill in and save.
    response = post_builder(
        client,
        "/admin/automation/new/",
        {"name": "Proposal task", "enabled": "1", "trigger": "deal.stage_changed",
         "trigger-stage": proposal.id, "match": "all",
         "cond-0-field": "value", "cond-0-op": "gt", "cond-0-value": "100",
         "action-0-type": "create_tasks", "action-0-content": "Send proposal",
         "action-0-assignee": "owner", "action-0-due_in": "2", "action-0-due_unit": "days",
         "save": "1"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    auto = Automation.get()
    assert auto.author_id == admin.id
    assert auto.trigger_params == {"stage": str(proposal.id)}
    assert auto.conditions == {
        "match": "all",
        "rules": [{"field": "value", "op": "gt", "value": "100"}],
    }
    assert auto.actions[0]["params"]["content"] == "Send proposal"
    deal = records.create(admin, Deal, {"name": "Big", "value": "500"}, owner=seller)
    deals.move_stage(admin, deal, proposal)
    task = Task.get()
    assert (task.content, task.owner_id) == ("Send proposal", seller.id)
    # The edit page shows what was saved, values as names.
    page = client.get(f"/admin/automation/edit/?id={auto.id}").get_data(as_text=True)
    assert 'value="100"' in page and "Send proposal" in page


def test_add_rows_and_validation_errors_keep_every_input(app, rt):
    admin = make_user("Ada", "admin")
    client = admin_client(app, admin)
    data = {"name": "", "trigger": "deal.created", "action-0-type": "create_tasks",
            "action-0-content": "Hi {{ deal.name", "cond-0-field": "pipeline",
            "cond-0-op": "eq", "cond-0-value": "Nowhere"}  # fmt: skip
    page = post_builder(client, "/admin/automation/new/", {**data, "add_action": "1"}).get_data(
        as_text=True
    )
    assert 'name="action-1-type"' in page
    page = post_builder(client, "/admin/automation/new/", {**data, "add_condition": "1"}).get_data(
        as_text=True
    )
    assert 'name="cond-1-field"' in page
    response = post_builder(client, "/admin/automation/new/", {**data, "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert Automation.select().count() == 0
    assert "Give the automation a name." in page
    assert "Placeholder error on line 1" in page
    assert "Unknown: Nowhere." in page
    assert "Hi {{ deal.name" in page and 'value="Nowhere"' in page


def test_toggle_delete_test_page_and_run_log(app, rt):
    admin = make_user("Ada", "admin")
    client = admin_client(app, admin)
    auto = make(
        rt,
        admin,
        "deal.created",
        [("create_tasks", {"content": "Call {{ deal.name }}"})],
        name="Caller",
    )
    deal = records.create(admin, Deal, {"name": "Logged"})
    token = csrf_token(client, "/admin/automation/")
    assert (
        client.post(
            "/admin/automation/toggle/", data={"csrf_token": token, "id": auto.id, "enabled": "0"}
        ).status_code
        == 302
    )
    assert Automation.get_by_id(auto.id).enabled is False
    # Test against a record: describes, writes nothing.
    counts = [m.select().count() for m in (Task, OutboxEvent, Effect, AutomationRun)]
    page = client.get(f"/admin/automation/test/?id={auto.id}&record={deal.id}").get_data(
        as_text=True
    )
    assert "create task “Call Logged”" in page
    assert [m.select().count() for m in (Task, OutboxEvent, Effect, AutomationRun)] == counts
    # The run log lists the run with each action's result, and filters.
    page = client.get("/admin/automation/runs/").get_data(as_text=True)
    assert "Caller" in page and "task #" in page and f"deal #{deal.id}" in page
    page = client.get("/admin/automation/runs/?status=failed").get_data(as_text=True)
    assert "task #" not in page
    assert client.get("/admin/automation/runs/?status=bogus").status_code == 400
    assert client.get("/admin/automation/").status_code == 200
    assert (
        client.post(
            "/admin/automation/delete/", data={"csrf_token": token, "id": auto.id}
        ).status_code
        == 302
    )
    assert Automation.select().count() == 0 and AutomationRun.select().count() == 0


def test_email_templates_are_managed_in_settings_with_checked_placeholders(app, rt):
    admin = make_user("Ada", "admin")
    client = admin_client(app, admin)
    token = csrf_token(client, "/admin/email_template/new/")
    bad = client.post(
        "/admin/email_template/new/",
        data={
            "csrf_token": token,
            "name": "Invoice",
            "subject": "Invoice {{ deal.name",
            "body": "x",
        },
    )
    assert EmailTemplate.select().count() == 0
    assert "Placeholder error" in bad.get_data(as_text=True)
    good = client.post(
        "/admin/email_template/new/",
        data={
            "csrf_token": token,
            "name": "Invoice",
            "subject": "Invoice {{ deal.name }}",
            "body": "Pay",
        },
    )
    assert good.status_code == 302
    assert EmailTemplate.get().subject == "Invoice {{ deal.name }}"
