"""The per-day closed-deal totals (accord.core.closed_totals) never drift from the deals.

Every kind of write a deal can get — service creates and updates, stage moves that close
and reopen, owner, value and currency changes, trash and restore, hard deletes, bulk SQL,
an import and its revert — is followed by a comparison of the kept table with the same
sums computed here in Python from the deal rows; the dashboard's "closed in the last 30
days" figures are compared with a Python oracle for each role, with `since` falling in
the middle of a day whose deals lie on both sides of it.
"""

import datetime as dt
from decimal import Decimal

import pytest

from accord.core import closed_totals, reports
from accord.core.models import Deal, LossReason, Pipeline, Stage, User, utcnow
from accord.core.services import deals, records
from accord.plugins.import_csv import run as import_run
from tests.oracle import expected_report_ids
from tests.world import build_world


@pytest.fixture
def w(rt):
    return build_world()


def stage(category, n=0):
    pipeline = Pipeline.get(Pipeline.is_default == True)  # noqa: E712
    query = Stage.select().where((Stage.pipeline == pipeline) & (Stage.category == category))
    return list(query.order_by(Stage.position, Stage.id))[n]


def live_days():
    """{(pipeline, day, stage, currency, owner): (count, total)} from the deal rows."""
    found = {}
    for deal in Deal.select():
        if deal.closed_at is None or deal.deleted_at is not None:
            continue
        key = (deal.pipeline_id, deal.closed_at.date().isoformat(), deal.stage_id)
        key += (deal.currency, deal.owner_id)
        n, total = found.get(key, (0, Decimal(0)))
        found[key] = (n + 1, total + Decimal(deal.value).quantize(Decimal("0.01")))
    return found


def kept_days():
    t = closed_totals.ClosedDay
    return {
        (r.pipeline, r.day, r.stage, r.currency, r.owner): (
            r.n,
            Decimal(str(r.total)).quantize(Decimal("0.01")),
        )
        for r in t.select().where(t.n != 0)
    }


def assert_in_step():
    if closed_totals.available():
        assert kept_days() == live_days()


def test_the_totals_follow_every_write(w, tmp_path):
    admin, n1, r = w.users["A"], w.users["N1"], w.users["R"]
    assert_in_step()
    won, lost, active = stage("won"), stage("lost"), stage("active")
    a = records.create(admin, Deal, {"name": "Closed A", "value": "100.50", "stage": won.id})
    b = records.create(
        admin, Deal, {"name": "Closed B", "value": 7, "stage": active.id, "currency": "USD"}
    )
    assert Deal.get_by_id(a.id).closed_at is not None
    assert_in_step()
    deals.move_stage(admin, Deal.get_by_id(b.id), lost, LossReason.select().first())
    assert_in_step()
    records.update(admin, Deal.get_by_id(a.id), {"value": "250.25", "currency": "GBP"})
    records.update(admin, Deal.get_by_id(a.id), {}, owner=n1.id)
    assert_in_step()
    deals.move_stage(admin, Deal.get_by_id(b.id), active)  # reopened: out of the totals
    assert Deal.get_by_id(b.id).closed_at is None
    assert_in_step()
    deals.move_stage(admin, Deal.get_by_id(b.id), won)
    records.update(admin, Deal.get_by_id(b.id), {}, owner=r.id)
    records.delete(admin, Deal.get_by_id(b.id))  # trashed
    assert_in_step()
    records.restore(admin, Deal.get_by_id(b.id))
    assert_in_step()
    # Bulk SQL: another day, another value, a hard delete.
    old = utcnow() - dt.timedelta(days=3, hours=5)
    Deal.update(closed_at=old).where(Deal.id == a.id).execute()
    Deal.update(value=Deal.value + 1).where(Deal.name.startswith("Closed")).execute()
    assert_in_step()
    Deal.update(owner=n1.id).where(Deal.id == b.id).execute()
    assert_in_step()
    Deal.update(pipeline=Deal.pipeline, currency="CHF").where(Deal.id == b.id).execute()
    assert_in_step()
    Deal.delete().where(Deal.id == a.id).execute()
    assert_in_step()
    # An import into a closed stage, then its revert.
    pipeline = Pipeline.get(Pipeline.is_default == True)  # noqa: E712
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal name,Value,Currency,Pipeline,Stage\n"
        f"Imported won,1250.50,USD,{pipeline.name},{won.name}\n"
        f"Imported open,10,EUR,{pipeline.name},{active.name}\n",
        encoding="utf-8",
    )
    job = import_run.run(import_run.prepare(admin, "deal", path).id)
    assert job.created == 2
    assert Deal.get(Deal.name == "Imported won").closed_at is not None
    assert_in_step()
    import_run.revert(admin, job)
    assert not Deal.select().where(Deal.name == "Imported won").exists()
    assert_in_step()


def test_refill_rebuilds_the_same_table(w):
    admin = w.users["A"]
    records.create(admin, Deal, {"name": "Refill", "value": 5, "stage": stage("won").id})
    if not closed_totals.available():  # MariaDB: no table, the dashboard sums live
        assert closed_totals.TABLE not in Deal._meta.database.get_tables()
        return
    before = kept_days()
    closed_totals.ClosedDay.delete().execute()
    closed_totals.refill()
    assert kept_days() == before == live_days()


def expected_closed(user, since):
    """{(category, currency): (count, total)} of the dashboard, from the deal rows."""
    ids = expected_report_ids(user, list(User.select()))
    pipeline = Pipeline.get(Pipeline.is_default == True)  # noqa: E712
    figures = {}
    for deal in Deal.select():
        category = deal.stage.category
        if deal.deleted_at is not None or category == "active" or deal.closed_at is None:
            continue
        if deal.closed_at < since or deal.pipeline_id != pipeline.id:
            continue
        if user.role == "restricted" and deal.owner_id not in (None, user.id):
            continue
        if ids is not None and deal.owner_id not in ids:
            continue
        n, total = figures.get((category, deal.currency), (0, Decimal(0)))
        figures[(category, deal.currency)] = (n + 1, total + Decimal(deal.value))
    return figures


def shown_closed(user, now):
    pipeline = reports.choose_pipeline()
    found = reports.closed_summary(reports.dashboard_scope(user), pipeline, now=now)
    return {
        (category, a.currency): (a.count, a.total)
        for category, amounts in found.items()
        for a in amounts
    }


def test_the_dashboard_window_starts_mid_day(w):
    """Deals closed on the window's first day, before and after its first moment, on
    whole days inside it, just outside it, by every owner: each role sees the oracle."""
    admin = w.users["A"]
    now = dt.datetime(2026, 11, 24, 15, 30, 0)
    since = now - dt.timedelta(days=30)  # 2026-10-25 15:30
    moments = [
        since - dt.timedelta(seconds=1),  # same day, just before: out
        since,  # the first moment: in
        since + dt.timedelta(hours=2),  # same day, after: in
        since.replace(hour=23, minute=59, second=59),
        since + dt.timedelta(days=1) - dt.timedelta(hours=15, minutes=30),  # next midnight
        since - dt.timedelta(days=1),  # the day before: out
        now - dt.timedelta(days=2),
        now,
        now + dt.timedelta(days=1),  # a closed_at in the future (imported) still counts
    ]
    owners = [None, w.users["R"], w.users["N1"], w.users["N3"], admin]
    categories = [("won", None), ("lost", LossReason.select().first()), ("unqualified", None)]
    n = 0
    for moment in moments:
        for owner in owners:
            category, _reason = categories[n % 3]
            deal = records.create(
                admin,
                Deal,
                {
                    "name": f"Window {n}",
                    "value": f"{n + 1}.25",
                    "stage": stage("won" if category == "won" else "active").id,
                    "currency": "USD" if n % 4 == 0 else "EUR",
                },
                owner=owner,
            )
            if category != "won":
                Deal.update(stage=stage(category).id).where(Deal.id == deal.id).execute()
            Deal.update(closed_at=moment).where(Deal.id == deal.id).execute()
            n += 1
    records.delete(admin, Deal.get(Deal.name == "Window 3"))  # trashed: never counted
    assert_in_step()
    for key in ("A", "M", "N1", "N3", "R"):
        user = User.get_by_id(w.users[key].id)
        assert shown_closed(user, now) == expected_closed(user, since), key
