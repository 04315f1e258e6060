"""The deal list: a filter on every field, and the per-stage count of the listed deals."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest

from accord.core.models import (
    Deal,
    LossReason,
    Pipeline,
    Source,
    Stage,
    UnqualifiedReason,
)
from accord.core.services import deals, records
from tests.oracle import expected
from tests.web import login
from tests.world import build_world

ROW = re.compile(r"/admin/deal/details/\?id=(\d+)&amp;url=")
CHIP = re.compile(
    r'href="([^"]*)"\s+data-stage="(\d+)"[^>]*>\s*[^<]*<span class="accord-stage-number">(\d+)</span>'
)
OLD = dt.datetime(2020, 5, 5, 12, 0)


def text(response):
    return response.get_data(as_text=True)


def stage(name):
    return Stage.get(Stage.name == name)


def view_of(app):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == "deal")


def arg(app, name, operation):
    for key, (_index, flt) in view_of(app)._filter_args.items():
        if str(flt.name) == name and str(flt.operation()) == operation:
            return key
    raise AssertionError(f"no filter {name} {operation}")


def listed(client, params):
    """(ids of the listed deals, {stage id: count} shown above the list, chip urls)."""
    response = client.get("/admin/deal/?" + urlencode({**params, "page_size": "100"}))
    assert response.status_code == 200, (params, response.status_code)
    html = text(response)
    chips = {int(s): int(n) for _url, s, n in CHIP.findall(html)}
    urls = {int(s): url.replace("&amp;", "&") for url, s, _n in CHIP.findall(html)}
    return {int(i) for i in ROW.findall(html)}, chips, urls


def stages_of(ids):
    counts = {}
    for deal in Deal.select().where(Deal.id.in_(list(ids) or [0])):
        counts[deal.stage_id] = counts.get(deal.stage_id, 0) + 1
    return counts


@pytest.fixture
def sample(app):
    """World W plus four deals that differ in every field."""
    world = build_world()
    a = world.users["A"]
    n1, n4 = world.users["N1"], world.users["N4"]
    made = {
        "alpha": records.create(
            a,
            Deal,
            {
                "name": "Deal Alpha",
                "value": "100",
                "hot": True,
                "estimated_close_date": dt.date(2030, 1, 10),
                "source": Source.get(name="Website").id,
                "contact": world.record("contact", "N1").id,
                "organization": world.record("company", "N4").id,
                "stage": stage("Quote").id,
            },
            owner=n1,
        ),
        "beta": records.create(
            a,
            Deal,
            {
                "name": "Deal Beta",
                "value": "5000",
                "currency": "USD",
                "estimated_close_date": dt.date(2030, 6, 1),
                "source": Source.get(name="Referral").id,
            },
            owner=n4,
        ),
        "gamma": records.create(
            a, Deal, {"name": "Deal Gamma", "value": "50", "currency": "GBP"}, owner=None
        ),
        "delta": records.create(a, Deal, {"name": "Deal Delta", "value": "0"}, owner=None),
    }
    deals.move_stage(a, made["beta"], stage("Won"))
    deals.move_stage(a, made["gamma"], stage("Lost"), LossReason.get(name="No budget"))
    deals.move_stage(
        a, made["delta"], stage("Unqualified"), UnqualifiedReason.get(name="Duplicate")
    )
    Deal.update(created_at=OLD, updated_at=OLD, last_stage_change_at=OLD).where(
        Deal.id == made["alpha"].id
    ).execute()
    ids = {k: v.id for k, v in made.items()}
    for owner_key, deal in world.of_entity("deal"):
        ids[f"world-{owner_key}"] = deal.id
    return world, ids


def test_every_filter_narrows_the_list_and_its_stage_count(app, client, sample):
    world, ids = sample
    login(client, world.users["A"].email)
    everything = set(ids.values())
    world_deals = {v for k, v in ids.items() if k.startswith("world")}
    alpha, beta, gamma, delta = (ids[k] for k in ("alpha", "beta", "gamma", "delta"))
    closed = {beta, gamma, delta}
    nobody = {ids["world-None"], gamma, delta}
    n1 = world.users["N1"]
    cases = [
        ("Name", "contains", "alp", {alpha}),
        ("Name", "equals", "Deal Beta", {beta}),
        ("Stage", "equals", stage("Quote").id, {alpha}),
        ("Pipeline", "equals", Pipeline.get(name="Sales").id, everything),
        ("Outcome", "is", "won", {beta}),
        ("Outcome", "is", "lost", {gamma}),
        ("Outcome", "is", "unqualified", {delta}),
        ("Outcome", "is", "active", world_deals | {alpha}),
        ("Closed", "closed", "1", closed),
        ("Closed", "closed", "0", everything - closed),
        ("Closed", "between", "2000-01-01 00:00:00 to 2100-01-01 00:00:00", closed),
        ("Value", "greater than", "1000", {beta}),
        ("Value", "smaller than", "100", {gamma, delta}),
        ("Value", "equals", "100", {alpha}),
        ("Currency", "equals", "usd", {beta}),
        ("Owner", "equals", n1.id, {alpha, ids["world-N1"]}),
        ("Owner", "unassigned", "1", nobody),
        ("Owner", "unassigned", "0", everything - nobody),
        ("Hot", "equals", "1", {alpha}),
        ("Hot", "equals", "0", everything - {alpha}),
        ("Estimated close", "between", "2030-01-01 to 2030-02-01", {alpha}),
        ("Estimated close", "smaller than", "2030-03-01", {alpha}),
        ("Estimated close", "greater than", "2030-03-01", {beta}),
        ("Estimated close", "not set", "1", everything - {alpha, beta}),
        ("Source", "equals", Source.get(name="Website").id, {alpha}),
        ("Contact name", "contains", "OfN1", {alpha, ids["world-N1"]}),
        ("Organization name", "contains", "company of n4", {alpha}),
        ("Loss reason", "equals", LossReason.get(name="No budget").id, {gamma}),
        ("Unqualified reason", "equals", UnqualifiedReason.get(name="Duplicate").id, {delta}),
        ("Created", "between", "2020-05-01 00:00:00 to 2020-05-31 23:59:59", {alpha}),
        ("Created", "smaller than", "2021-01-01 00:00:00", {alpha}),
        ("Created", "greater than", "2021-01-01 00:00:00", everything - {alpha}),
        ("Updated", "between", "2020-05-01 00:00:00 to 2020-05-31 23:59:59", {alpha}),
        ("Updated", "greater than", "2021-01-01 00:00:00", everything - {alpha}),
        ("Updated", "smaller than", "2021-01-01 00:00:00", {alpha}),
        ("Stage changed", "between", "2020-05-01 00:00:00 to 2020-05-31 23:59:59", {alpha}),
    ]
    covered = set()
    for name, operation, value, want in cases:
        key = arg(app, name, operation)
        covered.add(key)
        rows, chips, _urls = listed(client, {f"flt0_{key}": value})
        assert rows == want, (name, operation, value)
        assert chips == stages_of(want), (name, operation, value)
    # Every filter of the view has a sample above (a new one must get one too).
    assert covered == set(view_of(app)._filter_args)
    # Filters combine, and search narrows the count too.
    owner = arg(app, "Owner", "equals")
    rows, chips, _ = listed(
        client, {f"flt0_{owner}": n1.id, f"flt1_{arg(app, 'Hot', 'equals')}": "1"}
    )
    assert rows == {alpha} and chips == {stage("Quote").id: 1}
    rows, chips, _ = listed(client, {"search": "Deal of"})
    assert rows == world_deals and chips == {stage("Incoming").id: 5}


def test_the_stage_count_links_narrow_to_one_stage(app, client, sample):
    world, ids = sample
    login(client, world.users["A"].email)
    rows, chips, urls = listed(client, {})
    assert chips == stages_of(rows)
    assert chips[stage("Incoming").id] == 5 and chips[stage("Won").id] == 1
    # The Won chip keeps the other filters and replaces any earlier stage filter.
    hot = arg(app, "Hot", "equals")
    quote = stage("Quote").id
    key = arg(app, "Stage", "equals")
    _rows, _chips, urls = listed(client, {f"flt0_{hot}": "0", f"flt1_{key}": quote})
    assert urls == {}  # nothing not hot in Quote
    _rows, _chips, urls = listed(client, {f"flt0_{hot}": "0"})
    url = urls[stage("Won").id]
    rows, chips, _ = listed(client, dict(re.findall(r"([^?&=]+)=([^&]*)", url.split("?", 1)[1])))
    assert rows == {ids["beta"]} and chips == {stage("Won").id: 1}


def test_a_restricted_user_counts_only_what_they_see(app, client, sample):
    world, ids = sample
    user = world.users["R"]
    login(client, user.email)
    visible = {d.id for d in Deal.select() if expected(user, "view", d)}
    rows, chips, _ = listed(client, {})
    assert rows == visible and chips == stages_of(visible)
    assert visible == {ids["world-R"], ids["world-None"], ids["gamma"], ids["delta"]}
    # A filter naming someone else's contact finds nothing it may not see.
    rows, chips, _ = listed(client, {f"flt0_{arg(app, 'Contact name', 'contains')}": "OfN1"})
    assert rows == set() and chips == {}
    assert "Deal Alpha" not in text(client.get("/admin/deal/?search=Alpha"))


BAD = [
    "",
    "abc",
    "-1",
    "1e400",
    "nan",
    "inf",
    "99999999999999999999",
    "2020-13-45",
    "2020-01-01 to",
    "2021-01-01 to 2020-01-01",
    "1,2,x",
    "%",
    "_",
    "' OR '1'='1",
    "\u202e\u0000",
    "ZZZZ",
    "x" * 300,
]


def test_bad_filter_values_never_fail_the_page(app, client, sample):
    world, _ids = sample
    login(client, world.users["R"].email)
    for key in view_of(app)._filter_args:
        for value in BAD:
            response = client.get("/admin/deal/?" + urlencode({f"flt0_{key}": value}))
            assert response.status_code in (200, 400), (key, value, response.status_code)
            if response.status_code == 200:
                assert "Deal Alpha" not in text(response) and "Deal Beta" not in text(response)


def test_a_mistyped_filter_is_reported_once(app, client, sample):
    world, _ids = sample
    login(client, world.users["A"].email)
    created = arg(app, "Created", "between")
    response = client.get("/admin/deal/?" + urlencode({f"flt0_{created}": "not a date"}))
    assert response.status_code == 200
    assert text(response).count("Invalid Filter Value") == 1
    assert "Invalid Filter Value" not in text(client.get("/admin/deal/"))


def test_every_user_counts_exactly_what_the_oracle_shows_them(app, sample):
    world, _ids = sample
    for key in ("A", "M", "N1", "N3", "N4", "R"):
        user = world.users[key]
        client = app.test_client()
        login(client, user.email)
        visible = {d.id for d in Deal.select() if expected(user, "view", d)}
        rows, chips, _ = listed(client, {})
        assert rows == visible and chips == stages_of(visible), key


def test_the_list_count_is_the_sum_of_its_stage_counts(app, sample, monkeypatch):
    """The deal list's count comes from its per-stage counts: exact below the cap, and
    "N+" past either cap, for every user, search and filter."""
    from accord.admin.views import base, deal_list

    world, _ids = sample
    stage = Deal.select().first().stage_id
    pages = [{}, {"search": "deal"}, {f"flt0_{arg(app, 'Stage', 'equals')}": str(stage)}]
    for key in ("A", "N1", "R"):
        client = app.test_client()
        login(client, world.users[key].email)
        for params in pages:
            rows, chips, _urls = listed(client, params)
            html = text(client.get("/admin/deal/?" + urlencode({**params, "page_size": "100"})))
            assert f"List ({len(rows)})" in html or (not rows and "List (" not in html)
            assert sum(chips.values()) == len(rows), (key, params)
    # Past the caps: "1+" on the list, the counts above it lower bounds.
    monkeypatch.setattr(base, "COUNT_CAP", 1)
    client = app.test_client()
    login(client, world.users["A"].email)
    assert "List (1+)" in text(client.get("/admin/deal/"))
    monkeypatch.setattr(deal_list, "STAGE_CAP", 1)
    html = text(client.get("/admin/deal/?search=deal"))
    assert "List (1+)" in html and 'id="count-exactly"' in html
