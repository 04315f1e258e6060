"""Pipeline settings: the service rules, then the admin pages a real admin uses."""

import pytest

from accord.core.models import (
    Activity,
    Deal,
    LossReason,
    OutboxEvent,
    Pipeline,
    Stage,
)
from accord.core.services import Forbidden, ValidationError, pipelines, records
from tests.web import csrf_token, login
from tests.world import build_world, make_user


def stage(pipeline, name):
    return Stage.get((Stage.pipeline == pipeline.id) & (Stage.name == name))


def names(pipeline):
    return [s.name for s in pipelines.stages(pipeline)]


@pytest.fixture
def admin(rt):
    return make_user("Boss", "admin")


@pytest.fixture
def sales():
    return Pipeline.get(Pipeline.name == "Sales")


# Services --------------------------------------------------------------------------


def test_only_admins_change_pipelines(rt, admin, sales):
    for role in ("manager", "normal", "restricted"):
        user = make_user(role.title(), role)
        with pytest.raises(Forbidden):
            pipelines.create_pipeline(user, "Mine")
        with pytest.raises(Forbidden):
            pipelines.add_stage(user, sales, "Demo")
        with pytest.raises(Forbidden):
            pipelines.remove_stage(user, stage(sales, "Quote"))
    assert not Pipeline.select().where(Pipeline.name == "Mine").exists()
    assert "Demo" not in names(sales)


def test_create_copies_stages_and_keeps_one_default(rt, admin, sales):
    partners = pipelines.create_pipeline(admin, "  Partners  ")
    assert partners.name == "Partners" and not partners.is_default
    assert names(partners) == names(sales)  # the default set: 6 active + 3 closed
    pipelines.add_stage(admin, partners, "Pilot")
    copy = pipelines.create_pipeline(admin, "Copy", copy_from=partners, is_default=True)
    assert "Pilot" in names(copy)
    assert [p.name for p in Pipeline.select().where(Pipeline.is_default)] == ["Copy"]
    pipelines.set_default(admin, sales)
    assert [p.name for p in Pipeline.select().where(Pipeline.is_default)] == ["Sales"]
    with pytest.raises(ValidationError):
        pipelines.create_pipeline(admin, "Sales")  # names are unique
    with pytest.raises(ValidationError):
        pipelines.create_pipeline(admin, "   ")
    assert [p.name for p in pipelines.pipelines()] == ["Sales", "Partners", "Copy"]
    pipelines.move_pipeline(admin, Pipeline.get(name="Copy"), -1)
    assert [p.name for p in pipelines.pipelines()] == ["Sales", "Copy", "Partners"]
    assert not pipelines.move_pipeline(admin, sales, -1)  # already first


def test_stage_rules(rt, admin, sales):
    pipelines.add_stage(admin, sales, "Demo", "active", "55")
    # A new active stage goes after the last active one, before the closed stages.
    assert names(sales)[5:8] == ["For payment", "Demo", "Won"]
    assert stage(sales, "Demo").likelihood == 55
    with pytest.raises(ValidationError, match="exactly one won"):
        pipelines.add_stage(admin, sales, "Won again", "won")
    with pytest.raises(ValidationError, match="0 to 100"):
        pipelines.add_stage(admin, sales, "Odd", "active", "140")
    with pytest.raises(ValidationError):
        pipelines.add_stage(admin, sales, "Quote")  # a duplicate name in the pipeline
    with pytest.raises(ValidationError, match="exactly one"):
        pipelines.remove_stage(admin, stage(sales, "Lost"))
    with pytest.raises(ValidationError, match="exactly one"):
        pipelines.update_stage(admin, stage(sales, "Won"), category="active")
    pipelines.update_stage(admin, stage(sales, "Demo"), name="Demo call", likelihood="30")
    assert stage(sales, "Demo call").likelihood == 30
    pipelines.move_stage_position(admin, stage(sales, "Demo call"), -1)
    assert names(sales)[4:7] == ["Negotiation", "Demo call", "For payment"]
    positions = [s.position for s in pipelines.stages(sales)]
    assert positions == list(range(len(positions)))
    # Down to the last active stage: it stays.
    for name in ("Incoming", "Qualified", "Quote", "Proposal", "Negotiation", "Demo call"):
        pipelines.remove_stage(admin, stage(sales, name))
    with pytest.raises(ValidationError, match="at least one active"):
        pipelines.remove_stage(admin, stage(sales, "For payment"))
    assert names(sales) == ["For payment", "Won", "Lost", "Unqualified"]
    # Every change is in the audit log.
    assert Activity.select().where(Activity.entity_kind == "stage").count() >= 9


def test_a_stage_with_deals_is_removed_only_after_they_move(rt, admin, sales):
    quote, proposal, lost = stage(sales, "Quote"), stage(sales, "Proposal"), stage(sales, "Lost")
    deals = [
        records.create(admin, Deal, {"name": f"D{i}", "stage": quote.id, "value": "10"})
        for i in range(3)
    ]
    closed_before = {d.id: d.closed_at for d in deals}
    with pytest.raises(ValidationError, match="Deals in this stage: 3"):
        pipelines.remove_stage(admin, quote)
    with pytest.raises(ValidationError, match="category"):
        pipelines.update_stage(admin, quote, category="lost")
    with pytest.raises(ValidationError, match="lost"):
        pipelines.remove_stage(admin, quote, move_to=lost)  # lost needs a reason
    assert Stage.get_or_none(Stage.id == quote.id) is not None
    assert Deal.select().where(Deal.stage == quote.id).count() == 3

    events_before = OutboxEvent.select().count()
    assert pipelines.remove_stage(admin, quote, move_to=proposal) == 3
    assert Stage.get_or_none(Stage.id == quote.id) is None
    for deal in deals:
        moved = Deal.get_by_id(deal.id)
        assert moved.stage_id == proposal.id and moved.closed_at == closed_before[deal.id]
        history = Activity.get((Activity.record_id == deal.id) & (Activity.verb == "updated"))
        assert history.changes["stage"] == [quote.id, proposal.id]
        assert history.owner_id == admin.id and history.actor_id == admin.id
    changed = OutboxEvent.select().where(
        (OutboxEvent.id > 0) & (OutboxEvent.type == "deal.stage_changed")
    )
    assert {e.record_id for e in changed} == {d.id for d in deals}
    assert all(e.payload == {"old": quote.id, "new": proposal.id} for e in changed)
    assert OutboxEvent.select().count() == events_before + 6  # updated + stage_changed

    # Into lost, with a reason: closed now, with that reason.
    reason = LossReason.select().first()
    assert pipelines.remove_stage(admin, proposal, move_to=lost, reason=reason.id) == 3
    for deal in deals:
        moved = Deal.get_by_id(deal.id)
        assert (moved.stage_id, moved.loss_reason_id) == (lost.id, reason.id)
        assert moved.closed_at is not None


def test_a_pipeline_with_deals_is_refused_until_its_deals_move(rt, admin, sales):
    partners = pipelines.create_pipeline(admin, "Partners")
    won = stage(partners, "Won")
    open_deal = records.create(admin, Deal, {"name": "Open", "stage": stage(partners, "Quote").id})
    won_deal = records.create(admin, Deal, {"name": "Closed", "stage": won.id})
    won_at = Deal.get_by_id(won_deal.id).closed_at
    with pytest.raises(ValidationError, match="default"):
        pipelines.delete_pipeline(admin, sales)
    with pytest.raises(ValidationError, match="Deals in this pipeline: 2"):
        pipelines.delete_pipeline(admin, partners)
    with pytest.raises(ValidationError, match="another pipeline"):
        pipelines.delete_pipeline(admin, partners, move_to=stage(partners, "Incoming"))
    assert Pipeline.get_or_none(Pipeline.id == partners.id) is not None

    assert pipelines.delete_pipeline(admin, partners, move_to=stage(sales, "Incoming")) == 2
    assert Pipeline.get_or_none(Pipeline.id == partners.id) is None
    assert not Stage.select().where(Stage.pipeline == partners.id).exists()
    moved_open, moved_won = Deal.get_by_id(open_deal.id), Deal.get_by_id(won_deal.id)
    assert (moved_open.stage_id, moved_open.pipeline_id) == (stage(sales, "Incoming").id, sales.id)
    # A won deal stays won (the other pipeline's Won stage) and keeps its close date.
    assert moved_won.stage_id == stage(sales, "Won").id and moved_won.closed_at == won_at

    empty = pipelines.create_pipeline(admin, "Empty")
    assert pipelines.delete_pipeline(admin, empty) == 0
    assert [p.name for p in pipelines.pipelines()] == ["Sales"]


# The settings pages ------------------------------------------------------------------


def text(response):
    return response.get_data(as_text=True)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def submit(client, url, data, token):
    return client.post(url, data={**data, "csrf_token": token})


def test_non_admins_are_refused(app, client):
    world = build_world()
    sales = Pipeline.get(name="Sales")
    quote = stage(sales, "Quote")
    for key in ("M", "N1", "R"):
        other = app.test_client()
        login(other, world.users[key].email)
        token = csrf_token(other, "/admin/")
        for url in ("/admin/pipeline/", "/admin/pipeline/new/", "/admin/stage/"):
            assert other.get(url).status_code == 403, (key, url)
        for url, data in (
            ("/admin/pipeline/new/", {"name": "Mine"}),
            ("/admin/stage/remove/", {"id": quote.id}),
            ("/admin/stage/new/", {"pipeline": sales.id, "name": "X"}),
            ("/admin/pipeline/default/", {"id": sales.id}),
        ):
            assert submit(other, url, data, token).status_code == 403, (key, url)
    assert Stage.get_or_none(Stage.id == quote.id) is not None
    assert not Pipeline.select().where(Pipeline.name == "Mine").exists()
    assert "X" not in names(sales)


def test_admin_manages_pipelines_and_stages_through_the_pages(app, client):
    world = build_world()
    login(client, world.users["A"].email)
    token = csrf_token(client, "/admin/pipeline/")
    sales = Pipeline.get(name="Sales")
    body = page(client, "/admin/pipeline/")
    assert "Sales" in body and "Default" in body

    # Create a pipeline, rename it, make it the default.
    response = submit(client, "/admin/pipeline/new/", {"name": "Partners"}, token)
    assert response.status_code == 302
    partners = Pipeline.get(name="Partners")
    assert response.headers["Location"].endswith(f"/admin/stage/?pipeline={partners.id}")
    # Bad input: the form again, with the message and what was typed.
    response = submit(client, "/admin/pipeline/new/", {"name": "Partners"}, token)
    assert response.status_code == 200
    assert "This name is already used." in text(response) and 'value="Partners"' in text(response)
    submit(client, "/admin/pipeline/rename/", {"id": partners.id, "name": "Resellers"}, token)
    assert Pipeline.get_by_id(partners.id).name == "Resellers"
    submit(client, "/admin/pipeline/default/", {"id": partners.id}, token)
    assert [p.id for p in Pipeline.select().where(Pipeline.is_default)] == [partners.id]
    submit(client, "/admin/pipeline/default/", {"id": sales.id}, token)
    assert [p.id for p in Pipeline.select().where(Pipeline.is_default)] == [sales.id]
    submit(client, "/admin/pipeline/move/", {"id": partners.id, "direction": "up"}, token)
    assert [p.name for p in pipelines.pipelines()] == ["Resellers", "Sales"]

    # Stages: add, rename, reorder, remove.
    body = page(client, f"/admin/stage/?pipeline={sales.id}")
    assert "Incoming" in body and "Unqualified" in body
    data = {"pipeline": sales.id, "name": "Demo", "category": "active", "likelihood": "35"}
    assert submit(client, "/admin/stage/new/", data, token).status_code == 302
    demo = stage(sales, "Demo")
    assert demo.likelihood == 35
    response = submit(
        client, "/admin/stage/new/", {**data, "name": "Typo", "likelihood": "x"}, token
    )
    assert response.status_code == 200
    assert "Enter a percentage from 0 to 100." in text(response) and 'value="Typo"' in text(
        response
    )
    assert "Typo" not in names(sales)
    data = {"id": demo.id, "name": "Demo call", "category": "active", "likelihood": "40"}
    submit(client, "/admin/stage/update/", data, token)
    assert (stage(sales, "Demo call").likelihood, Stage.get_by_id(demo.id).name) == (
        40,
        "Demo call",
    )
    before = names(sales).index("Demo call")
    submit(client, "/admin/stage/move/", {"id": demo.id, "direction": "up"}, token)
    assert names(sales).index("Demo call") == before - 1
    response = submit(client, "/admin/stage/remove/", {"id": demo.id}, token)
    assert response.status_code == 302
    assert Stage.get_or_none(Stage.id == demo.id) is None

    # A stage with deals: refused with its count, then "move its deals to X, then remove".
    quote, proposal = stage(sales, "Quote"), stage(sales, "Proposal")
    deal = world.record("deal", "N1")
    records.update(world.users["A"], deal, {"stage": quote.id})
    body = page(client, f"/admin/stage/?pipeline={sales.id}")
    assert "Move its 1 deals to" in body or "Move its 1 deal to" in body
    response = submit(client, "/admin/stage/remove/", {"id": quote.id}, token)
    body = page(client, response.headers["Location"])
    assert "Move them to another stage first." in body
    assert Stage.get_or_none(Stage.id == quote.id) is not None
    data = {"id": quote.id, "move_to": proposal.id}
    response = submit(client, "/admin/stage/remove/", data, token)
    assert response.status_code == 302
    assert Stage.get_or_none(Stage.id == quote.id) is None
    assert Deal.get_by_id(deal.id).stage_id == proposal.id

    # A pipeline with deals is refused with a message.
    response = submit(client, "/admin/pipeline/delete/", {"id": sales.id}, token)
    assert Pipeline.get_or_none(Pipeline.id == sales.id) is not None
    assert "Make another pipeline the default first." in page(client, response.headers["Location"])
    resellers_deal = records.create(
        world.users["A"], Deal, {"name": "Reseller deal", "stage": stage(partners, "Quote").id}
    )
    response = submit(client, "/admin/pipeline/delete/", {"id": partners.id}, token)
    assert "Deals in this pipeline: 1." in page(client, response.headers["Location"])
    assert Pipeline.get_or_none(Pipeline.id == partners.id) is not None
    data = {"id": partners.id, "move_to": stage(sales, "Incoming").id}
    submit(client, "/admin/pipeline/delete/", data, token)
    assert Pipeline.get_or_none(Pipeline.id == partners.id) is None
    assert Deal.get_by_id(resellers_deal.id).pipeline_id == sales.id
    # Bad ids and missing tokens change nothing.
    assert submit(client, "/admin/stage/remove/", {"id": "x"}, token).status_code == 404
    assert client.post("/admin/pipeline/new/", data={"name": "NoToken"}).status_code == 400
    assert not Pipeline.select().where(Pipeline.name == "NoToken").exists()
