"""The deal board at /admin/board/: columns, figures, moves (JSON and no-JS), the policy."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest

from accord.admin.views import board
from accord.core.models import (
    Activity,
    Deal,
    LossReason,
    OutboxEvent,
    Pipeline,
    Stage,
    UnqualifiedReason,
)
from accord.core.services import pipelines, records
from tests.oracle import expected
from tests.web import csrf_token, login
from tests.world import build_world

SECTION = re.compile(r'<section class="accord-column" data-stage="(\d+)".*?</section>', re.S)
COUNT = re.compile(r'accord-count"[^>]*>(\d+)<')
TOTAL = re.compile(r'class="accord-total"[^>]*>([^<]*)<')
CARD = re.compile(r'<article class="accord-card[^"]*" id="deal-(\d+)"')


def text(response):
    return response.get_data(as_text=True)


def columns(html):
    """{stage id: (count, total, [deal ids])} as the board shows them."""
    found = {}
    for match in SECTION.finditer(html):
        block = match.group(0)
        found[int(match.group(1))] = (
            int(COUNT.search(block).group(1)),
            TOTAL.search(block).group(1).strip(),
            [int(i) for i in CARD.findall(block)],
        )
    return found


def card_of(html, deal):
    """The HTML of one deal's card."""
    match = re.search(rf'<article class="[^"]*" id="deal-{deal.id}".*?</article>', html, re.S)
    assert match, f"no card for {deal.name}"
    return match.group(0)


def stage(name, pipeline="Sales"):
    return Stage.get((Stage.name == name) & (Stage.pipeline == Pipeline.get(name=pipeline).id))


def move_json(client, token, deal, stage_id, reason=None, with_token=True):
    data = {"deal": deal.id, "stage": stage_id}
    if reason is not None:
        data["reason"] = reason
    headers = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}
    if with_token:
        headers["X-CSRFToken"] = token
    return client.post("/admin/board/move/", data=data, headers=headers)


@pytest.fixture
def world(rt):
    return build_world()


def logged_in(app, world, key):
    client = app.test_client()
    login(client, world.users[key].email)
    return client, csrf_token(client, "/admin/board/")


def test_board_shows_active_columns_with_counts_and_totals(app, world):
    admin = world.users["A"]
    quote = stage("Quote")
    records.create(admin, Deal, {"name": "Euro quote", "value": "200", "stage": quote.id})
    records.create(
        admin, Deal, {"name": "Dollar quote", "value": "500", "currency": "USD", "stage": quote.id}
    )
    records.create(admin, Deal, {"name": "Already won", "stage": stage("Won").id})
    client, _token = logged_in(app, world, "A")
    response = client.get("/admin/board/")
    assert response.status_code == 200
    html = text(response)
    shown = columns(html)
    active = [s for s in pipelines.stages(Pipeline.get(name="Sales")) if s.category == "active"]
    assert list(shown) == [s.id for s in active]  # a column per active stage, in order
    incoming = stage("Incoming")
    assert shown[incoming.id][:2] == (5, "€5,000.00")
    assert shown[quote.id][:2] == (2, "€200.00 + $500.00")
    assert shown[stage("Proposal").id][:2] == (0, "€0.00")
    # Many currencies: the most used two, the rest counted (and all in the title).
    proposal = stage("Proposal")
    for currency, value in (("GBP", "1"), ("GBP", "2"), ("CHF", "4"), ("JPY", "8")):
        data = {"name": currency, "value": value, "currency": currency, "stage": proposal.id}
        records.create(admin, Deal, data)
    html = text(client.get("/admin/board/"))
    assert columns(html)[proposal.id][:2] == (4, "£3.00 + CHF4.00 + 1 more currency")
    assert 'title="£3.00 + CHF4.00 + ¥8"' in html
    assert "Already won" not in html  # closed deals are not on the board
    for name in ("Won", "Lost", "Unqualified"):
        assert f'data-stage="{stage(name).id}" data-category="{name.lower()}"' in html
    # Cards: name, organization and person, value, owner.
    deal = world.record("deal", "N1")
    assert deal.id in shown[incoming.id][2]
    card = card_of(html, deal)
    assert "Deal of N1" in card and "Company of N1" in card and "Person OfN1" in card
    assert "€1,000.00" in card and "N1 World" in card
    assert 'src="http' not in html and "onclick" not in html


def test_card_details_hot_and_overdue(app, world):
    admin = world.users["A"]
    yesterday = dt.date.today() - dt.timedelta(days=2)
    late = records.create(
        admin, Deal, {"name": "Late one", "hot": True, "estimated_close_date": yesterday}
    )
    later = records.create(
        admin, Deal, {"name": "Later one", "estimated_close_date": dt.date(2099, 1, 1)}
    )
    client, _token = logged_in(app, world, "A")
    html = text(client.get("/admin/board/"))
    late_card = card_of(html, late)
    assert "accord-card-hot" in late_card and ">Hot<" in late_card
    assert "accord-card-close accord-overdue" in late_card
    later_card = card_of(html, later)
    assert "Jan 1, 2099" in later_card and "accord-overdue" not in later_card


def test_every_user_sees_exactly_the_deals_the_oracle_allows(app, world):
    incoming = stage("Incoming")
    for key in ("A", "M", "N1", "N3", "N4", "R"):
        user = world.users[key]
        client, _token = logged_in(app, world, key)
        html = text(client.get("/admin/board/"))
        allowed = {d.id for _o, d in world.of_entity("deal") if expected(user, "view", d)}
        count, total, cards = columns(html)[incoming.id]
        assert set(cards) == allowed, key
        assert count == len(allowed) and total == f"€{len(allowed)},000.00", key
        for _owner, deal in world.of_entity("deal"):
            assert (deal.name in html) == (deal.id in allowed), (key, deal.name)
    # The deactivated user is not let in at all.
    client = app.test_client()
    login(client, world.users["D"].email)
    response = client.get("/admin/board/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_json_move_goes_through_the_service(app, world):
    client, token = logged_in(app, world, "N1")
    deal, quote, incoming = world.record("deal", "N1"), stage("Quote"), stage("Incoming")
    response = move_json(client, token, deal, quote.id)
    assert response.status_code == 200, text(response)
    data = response.get_json()
    assert data["ok"] and data["stage"] == quote.id and data["category"] == "active"
    assert data["columns"][str(quote.id)]["count"] == 1
    assert data["columns"][str(incoming.id)] == {
        "count": 4,
        "total": "€4,000.00",
        "short": "€4,000.00",
    }
    assert Deal.get_by_id(deal.id).stage_id == quote.id
    history = Activity.get((Activity.record_id == deal.id) & (Activity.verb == "updated"))
    assert history.changes["stage"] == [incoming.id, quote.id]
    assert history.actor_id == world.users["N1"].id
    event = OutboxEvent.get(
        (OutboxEvent.type == "deal.stage_changed") & (OutboxEvent.record_id == deal.id)
    )
    assert event.payload == {"old": incoming.id, "new": quote.id}
    # The board shows it in its new column.
    shown = columns(text(client.get("/admin/board/")))
    assert deal.id in shown[quote.id][2] and deal.id not in shown[incoming.id][2]


def test_a_move_without_csrf_is_refused(app, world):
    client, token = logged_in(app, world, "N1")
    deal = world.record("deal", "N1")
    response = move_json(client, token, deal, stage("Quote").id, with_token=False)
    assert response.status_code == 400
    response = client.post("/admin/board/move/", data={"deal": deal.id, "stage": stage("Won").id})
    assert response.status_code == 400
    response = move_json(client, "forged-token", deal, stage("Won").id)
    assert response.status_code == 400
    assert Deal.get_by_id(deal.id).stage_id == deal.stage_id


def test_closing_as_lost_needs_a_reason(app, world):
    client, token = logged_in(app, world, "N1")
    deal, lost = world.record("deal", "N1"), stage("Lost")
    response = move_json(client, token, deal, lost.id)
    assert response.status_code == 400
    assert response.get_json() == {
        "ok": False,
        "error": "Choose why the deal was lost.",
        "field": "loss_reason",
    }
    response = move_json(client, token, deal, lost.id, reason="999999")
    assert response.status_code == 400
    unchanged = Deal.get_by_id(deal.id)
    assert (unchanged.stage_id, unchanged.closed_at) == (deal.stage_id, None)

    reason = LossReason.get(name="Price too high")
    response = move_json(client, token, deal, lost.id, reason=reason.id)
    assert response.status_code == 200 and response.get_json()["category"] == "lost"
    closed = Deal.get_by_id(deal.id)
    assert (closed.stage_id, closed.loss_reason_id) == (lost.id, reason.id)
    assert closed.closed_at is not None
    shown = columns(text(client.get("/admin/board/")))
    assert all(deal.id not in cards for _c, _t, cards in shown.values())


def test_unqualified_and_won_through_the_no_js_forms(app, world):
    client, token = logged_in(app, world, "N1")
    deal, unqualified = world.record("deal", "N1"), stage("Unqualified")
    sales = Pipeline.get(name="Sales")
    html = text(client.get("/admin/board/"))
    form = card_of(html, deal)
    assert 'name="stage"' in form and f'value="{unqualified.id}"' in form  # a Move form
    # Without a reason: to the reason page, which says why; nothing moved.
    data = {"deal": deal.id, "stage": unqualified.id, "pipeline": sales.id, "csrf_token": token}
    response = client.post("/admin/board/move/", data=data)
    assert response.status_code == 302 and "/admin/board/close/" in response.headers["Location"]
    page = text(client.get(response.headers["Location"]))
    assert "Choose why it is unqualified." in page and "Could not reach" in page
    assert Deal.get_by_id(deal.id).stage_id == deal.stage_id
    reason = UnqualifiedReason.get(name="Could not reach")
    response = client.post("/admin/board/move/", data={**data, "reason": reason.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/board/?pipeline={sales.id}")
    moved = Deal.get_by_id(deal.id)
    assert (moved.stage_id, moved.unqualified_reason_id) == (unqualified.id, reason.id)
    assert "is closed as unqualified" in text(client.get(response.headers["Location"]))
    # Won needs no reason.
    other = world.record("deal", "N3")
    response = client.post(
        "/admin/board/move/", data={**data, "deal": other.id, "stage": stage("Won").id}
    )
    assert response.status_code == 302
    assert Deal.get_by_id(other.id).stage_id == stage("Won").id
    assert "is won" in text(client.get(response.headers["Location"]))


def test_moves_follow_the_policy(app, world):
    """Every user x every deal: a move is allowed exactly when the oracle allows the edit;
    a refused one is 404 (hidden) or 403 and changes nothing."""
    quote = stage("Quote")
    for key in ("A", "M", "N1", "N4", "R"):
        user = world.users[key]
        client, token = logged_in(app, world, key)
        for owner_key, deal in world.of_entity("deal"):
            what = (key, owner_key)
            before = Deal.get_by_id(deal.id).stage_id
            response = move_json(client, token, deal, quote.id)
            if expected(user, "edit", deal):
                assert response.status_code == 200, what
                assert Deal.get_by_id(deal.id).stage_id == quote.id, what
                records.update(world.users["A"], Deal.get_by_id(deal.id), {"stage": before})
            else:
                assert response.status_code in (403, 404), what
                assert deal.name not in text(response), what
                assert Deal.get_by_id(deal.id).stage_id == before, what
                form = {"deal": deal.id, "stage": quote.id, "csrf_token": token}
                assert client.post("/admin/board/move/", data=form).status_code in (403, 404)
                close = f"/admin/board/close/?deal={deal.id}&stage={stage('Lost').id}"
                assert client.get(close).status_code == 404, what
                assert Deal.get_by_id(deal.id).stage_id == before, what


def test_bad_move_input_never_fails_the_server(app, world):
    client, token = logged_in(app, world, "A")
    deal = world.record("deal", "N1")
    for data in (
        {},
        {"deal": "abc", "stage": "1"},
        {"deal": deal.id},
        {"deal": deal.id, "stage": "abc"},
        {"deal": deal.id, "stage": "99999999999999"},
        {"deal": "-1", "stage": stage("Quote").id},
    ):
        response = client.post(
            "/admin/board/move/",
            data=data,
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )
        assert response.status_code in (400, 404), data
        assert response.get_json()["ok"] is False
    assert Deal.get_by_id(deal.id).stage_id == deal.stage_id
    for query in ("pipeline=abc", "pipeline=999999", "pipeline=-1"):
        assert client.get(f"/admin/board/?{query}").status_code == 404, query


def test_a_long_column_links_to_the_filtered_list(app, world, monkeypatch):
    monkeypatch.setattr(board, "CARDS_PER_COLUMN", 2)
    client, _token = logged_in(app, world, "A")
    html = text(client.get("/admin/board/"))
    incoming = stage("Incoming")
    count, _total, cards = columns(html)[incoming.id]
    assert (count, len(cards)) == (5, 2)
    # The two most recently changed deals are shown.
    newest = Deal.select().order_by(Deal.updated_at.desc(), Deal.id.desc()).limit(2)
    assert cards == [d.id for d in newest]
    more = re.search(r'class="accord-more small" href="([^"]+)"[^>]*>\+3 more in the list<', html)
    assert more, "no +3 more link"
    listed = text(client.get(more.group(1).replace("&amp;", "&")))
    for _owner, deal in world.of_entity("deal"):
        assert deal.name in listed


def test_pipelines_switch_boards(app, world):
    admin = world.users["A"]
    partners = pipelines.create_pipeline(admin, "Partners", copy_from=None)
    pipelines.add_stage(admin, partners, "Pilot")
    pilot = stage("Pilot", "Partners")
    records.create(admin, Deal, {"name": "Partner deal", "value": "7", "stage": pilot.id})
    client, _token = logged_in(app, world, "A")
    html = text(client.get("/admin/board/"))
    assert "Partner deal" not in html and f'<option value="{partners.id}"' in html
    html = text(client.get("/admin/board/?" + urlencode({"pipeline": partners.id})))
    assert "Partner deal" in html and "Deal of N1" not in html
    assert columns(html)[pilot.id][:2] == (1, "€7.00")


class QueryCounter:
    def __init__(self):
        import logging

        self.logger = logging.getLogger("peewee")
        self.count = 0
        handler = logging.Handler()
        handler.emit = self.record
        self.handler = handler

    def record(self, _record):
        self.count += 1

    def __enter__(self):
        import logging

        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)


def test_the_board_costs_the_same_queries_whatever_the_number_of_deals(app, world):
    admin, r = world.users["A"], world.users["R"]
    company = world.record("company", "R")
    person = world.record("contact", "R")
    data = {"name": "First", "contact": person.id, "organization": company.id}
    records.create(admin, Deal, data, owner=r)
    client, _token = logged_in(app, world, "R")
    with QueryCounter() as few:
        assert client.get("/admin/board/").status_code == 200
    for number in range(30):
        records.create(
            admin,
            Deal,
            {
                "name": f"More {number}",
                "stage": stage("Quote" if number % 2 else "Proposal").id,
                "contact": person.id,
                "organization": company.id,
            },
            owner=r,
        )
    with QueryCounter() as many:
        html = text(client.get("/admin/board/"))
    assert "More 29" in html
    assert many.count == few.count, (few.count, many.count)
