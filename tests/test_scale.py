"""Issue 8 at any size: capped list counts, the search index kept in step, the indexes.

Speed itself is measured by bench/ (never by a timed test); these tests pin the behaviour
the speed relies on: lists never count past COUNT_CAP unless asked, the pager still walks
every page, and the search index answers like LIKE whatever wrote the rows.
"""

import re

import pytest
from peewee import fn

from accord.admin.views import base
from accord.core import access, search, search_index
from accord.core.db import database, is_sqlite, write
from accord.core.migrations import m0006_scale
from accord.core.models import Contact, Deal, Lead, utcnow
from accord.core.services import records
from tests.test_cli import accord, env, home, restore_binding  # noqa: F401 (fixtures)
from tests.web import login
from tests.world import build_world

LEAD_ROW = re.compile(r"/admin/lead/details/\?id=(\d+)&amp;url=")
COUNT = re.compile(r"List \(([^)]*)\)")


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def w(rt):
    return build_world()


def ids(results, kind):
    return [r.id for r in results[kind].records]


def listed(client, path, **args):
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    return [int(i) for i in LEAD_ROW.findall(text(response))], text(response)


# Lists: a capped count, the exact one on demand, a pager that still walks ------------


def test_list_count_is_capped_and_exact_on_demand(w, client, monkeypatch):
    admin = w.users["A"]
    with write():
        for n in range(7):
            records.create(admin, Lead, {"first_name": "Cap", "last_name": f"Row {n}"})
    total = Lead.select().where(Lead.deleted_at.is_null()).count()
    assert total > 7
    monkeypatch.setattr(base, "COUNT_CAP", 5)
    login(client, admin.email)
    rows, body = listed(client, "/admin/lead/", page_size=10)
    assert "List (5+)" in body  # not the exact number
    assert 'id="count-exactly"' in body
    assert len(rows) == 10
    # The simple pager: the next page continues where the first stopped, no overlap.
    seen = list(rows)
    page = 1
    while True:
        more, _body = listed(client, "/admin/lead/", page_size=10, page=page)
        if not more:
            break
        seen += more
        page += 1
    assert sorted(seen) == sorted(r.id for r in Lead.select().where(Lead.deleted_at.is_null()))
    assert len(seen) == len(set(seen)) == total
    # On demand: the exact count and the numbered pager.
    _rows, body = listed(client, "/admin/lead/", page_size=10, count="exact")
    assert f"List ({total})" in body
    assert 'id="count-exactly"' not in body
    # Under the cap the count is exact without asking.
    _rows, body = listed(client, "/admin/lead/", search="Cap Row 3")
    assert "List (1)" in body and 'id="count-exactly"' not in body


def test_a_capped_count_is_remembered_briefly_per_scope(w, client, app, monkeypatch):
    """A list found to hold more than COUNT_CAP rows is not counted again for
    CAPPED_SECONDS (same statement, same user scope); fewer rows are counted each time,
    another scope is its own, and the exact count is always counted."""
    from accord.admin.views import list_sql

    admin = w.users["A"]
    with write():
        for n in range(7):
            records.create(admin, Lead, {"first_name": "Cap", "last_name": f"Row {n}"})
    monkeypatch.setattr(base, "COUNT_CAP", 5)
    counted = []
    real = list_sql.run
    monkeypatch.setattr(
        list_sql, "run", lambda sql, *a, **k: counted.append(sql) or real(sql, *a, **k)
    )
    clock = [1000.0]
    monkeypatch.setattr(list_sql.time, "monotonic", lambda: clock[0])
    login(client, admin.email)

    def count_text(**args):
        counted.clear()
        _rows, body = listed(client, "/admin/lead/", page_size=3, **args)
        return COUNT.search(body).group(1), sum("COUNT(" in sql for sql in counted)

    assert count_text() == ("5+", 1)
    assert count_text() == ("5+", 0)  # remembered
    assert count_text(page=1) == ("5+", 0)  # the next page: the same count
    # A search is counted too (on PostgreSQL by reading the matching ids, which the page
    # then sorts): past the cap, the next view lists without counting again.
    counted.clear()
    assert (
        COUNT.search(listed(client, "/admin/lead/", search="Cap", page_size=3)[1]).group(1) == "5+"
    )
    assert len(counted) == 2  # the count, then the page
    counted.clear()
    assert (
        COUNT.search(listed(client, "/admin/lead/", search="Cap", page_size=3)[1]).group(1) == "5+"
    )
    assert len(counted) == 1  # the page only
    restricted = w.users["R"]  # another scope, another statement: counted, exactly
    other = app.test_client()
    login(other, restricted.email)
    theirs = access.visible(Lead.select(), restricted, Lead).count()
    assert 0 < theirs < 5
    body = other.get("/admin/lead/?page_size=3").get_data(as_text=True)
    assert COUNT.search(body).group(1) == str(theirs)
    keep = [lead.id for lead in Lead.select().order_by(Lead.id).limit(2)]
    with write():  # all but two leads to the trash
        Lead.update(deleted_at=utcnow()).where(Lead.id.not_in(keep)).execute()
    assert count_text() == ("5+", 0)  # still remembered...
    assert count_text(count="exact")[0] == "2"  # ... but "count exactly" counts
    clock[0] += list_sql.CAPPED_SECONDS
    assert count_text() == ("2", 1)  # and after CAPPED_SECONDS the list is counted again
    assert count_text() == ("2", 1)  # under the cap: counted every time


def test_a_restricted_users_list_is_read_per_owner_range(w, app, monkeypatch):
    """A restricted user sees their own records and nobody's: on SQLite each list page
    reads the two owner ranges apart (one sorted, limited query each) and sorts what
    they give. Every sort, page and filter lists exactly what the one query with their
    OR lists, which is what the policy lets the user see."""
    from accord.admin.views.base import AccessModelView

    admin, restricted = w.users["A"], w.users["R"]
    with write():
        for n in range(5):
            for owner in (restricted, admin, None):
                tag = owner.first_name if owner else "nobody"
                records.create(admin, Lead, {"last_name": f"Extra {n} {tag}"}, owner=owner)
                records.create(
                    admin, Deal, {"name": f"Extra {n} {tag}", "value": str(n)}, owner=owner
                )
    client = app.test_client()
    login(client, restricted.email)
    pages = []
    for entity, sorts in (("lead", (None, 0, 3)), ("deal", (None, 0, 1)), ("contact", (None, 0))):
        for sort in sorts:
            for desc in (None, 1):
                for page in (0, 1, 2):
                    args = {"page_size": 3, "page": page, "sort": sort, "desc": desc}
                    pages.append((entity, {k: v for k, v in args.items() if v is not None}))
    pages.append(("lead", {"search": "Extra", "page_size": 4}))  # a search: one query

    def ids(entity, args):
        response = client.get(f"/admin/{entity}/", query_string=args)
        assert response.status_code == 200
        return re.findall(rf"/admin/{entity}/details/\?id=(\d+)&amp;url=", text(response))

    statements = []
    real = database.obj.execute_sql
    monkeypatch.setattr(
        database.obj,
        "execute_sql",
        lambda sql, *a, **k: statements.append(sql) or real(sql, *a, **k),
    )
    per_range = [ids(entity, args) for entity, args in pages]
    assert ("UNION ALL" in " ".join(statements)) == is_sqlite()
    monkeypatch.setattr(AccessModelView, "_owner_arms", lambda *a: None)
    one_query = [ids(entity, args) for entity, args in pages]
    assert per_range == one_query
    assert sum(map(len, per_range)) > 60
    visible = {str(r.id) for r in access.visible(Lead.select(), restricted, Lead)}
    listed_leads = {
        i
        for (entity, _a), found in zip(pages, per_range, strict=True)
        if entity == "lead"
        for i in found
    }
    assert listed_leads == visible


def test_count_argument_is_checked(w, client):
    login(client, w.users["A"].email)
    assert client.get("/admin/lead/?count=all").status_code == 400
    assert client.get("/admin/lead/?count=exact&count=exact").status_code == 400
    assert client.get("/admin/deal/?count=exact").status_code == 200


def test_ties_sort_by_id_in_the_sort_direction(w, client):
    admin = w.users["A"]
    same = [records.create(admin, Lead, {"first_name": "Tie", "last_name": "Same"}) for _ in "abc"]
    login(client, admin.email)
    name = next(i for i, (c, _l) in enumerate(view_columns(client)) if c == "name")
    up, _ = listed(client, "/admin/lead/", search="Tie Same", sort=name)
    down, _ = listed(client, "/admin/lead/", search="Tie Same", sort=name, desc=1)
    assert up == [r.id for r in same] and down == up[::-1]


def view_columns(client):
    app = client.application
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "lead")
    return view._list_columns


# The search index follows every write -----------------------------------------------


def test_index_follows_create_update_delete_and_company_rename(w):
    admin = w.users["A"]
    company = records.create(admin, Contact, {"name": "Quuxbridge Ltd", "is_organization": True})
    person = records.create(
        admin,
        Contact,
        {"first_name": "Ida", "last_name": "Vargass", "organization": company.id},
    )
    deal = records.create(
        admin, Deal, {"name": "Flooring order", "organization": company.id, "value": 10}
    )
    lead = records.create(admin, Lead, {"first_name": "Otto", "email": "otto.k@zebra.test"})
    assert ids(search.search(admin, "vargas"), "contact") == [person.id]
    assert ids(search.search(admin, "quuxbridge"), "contact") == [person.id]
    assert ids(search.search(admin, "quuxbridge"), "deal") == [deal.id]
    assert ids(search.search(admin, "otto.k@zeb"), "lead") == [lead.id]
    records.update(admin, lead, {"email": "otto@elsewhere.test"})
    assert ids(search.search(admin, "zebra"), "lead") == []
    assert ids(search.search(admin, "elsewhere"), "lead") == [lead.id]
    records.update(admin, company, {"name": "Northwind Ltd"})
    assert ids(search.search(admin, "quuxbridge"), "contact") == []
    assert ids(search.search(admin, "northwind"), "contact") == [person.id]
    assert ids(search.search(admin, "northwind"), "deal") == [deal.id]
    assert ids(search.search(admin, "northwind"), "company") == [company.id]
    records.delete(admin, person)  # the trash: hidden from search
    assert ids(search.search(admin, "vargas"), "contact") == []
    records.restore(admin, Contact.get_by_id(person.id))
    assert ids(search.search(admin, "vargas"), "contact") == [person.id]


def test_rows_written_without_the_services_are_indexed_too(w):
    """The importer and `accord demo` insert in batches; the index still follows."""
    admin = w.users["A"]
    Lead.insert_many(
        [{"name": f"Batch Walrus {n}", "email": f"walrus{n}@b.test"} for n in range(3)]
    ).execute()
    found = search.search(admin, "walrus")["lead"].records
    assert sorted(r.name for r in found) == [f"Batch Walrus {n}" for n in range(3)]


@pytest.mark.skipif(
    "not __import__('accord.core.search_index').core.search_index.uses_fts()",
    reason="the FTS5 table exists on SQLite only (PostgreSQL searches its own columns)",
)
def test_reindex_repairs_a_damaged_index(w):
    admin = w.users["A"]
    lead = records.create(admin, Lead, {"first_name": "Repaired", "last_name": "Rowe"})
    database.execute_sql("DELETE FROM search_lead WHERE rowid = ?", (lead.id,))
    assert ids(search.search(admin, "repaired"), "lead") == []
    with write():
        search_index.reindex(Lead, [lead.id])
    assert ids(search.search(admin, "repaired"), "lead") == [lead.id]
    database.execute_sql("DELETE FROM search_lead")
    with write():
        search_index.rebuild()
    assert ids(search.search(admin, "repaired"), "lead") == [lead.id]


def test_list_search_box_uses_the_same_engine(w, client):
    admin = w.users["A"]
    target = records.create(
        admin, Lead, {"first_name": "Zelda", "last_name": "Quist", "organization_name": "Ab Oy"}
    )
    records.create(admin, Lead, {"first_name": "Zelda", "last_name": "Other"})
    login(client, admin.email)
    # Every word must match (one through the index, "Ab" — too short — through LIKE).
    rows, _ = listed(client, "/admin/lead/", search="zelda quist")
    assert rows == [target.id]
    rows, _ = listed(client, "/admin/lead/", search="Zelda Ab")
    assert rows == [target.id]
    rows, _ = listed(client, "/admin/lead/", search="elda")  # a substring, not a prefix
    assert len(rows) == 2
    other = client.application.test_client()
    login(other, w.users["R"].email)
    rows, _ = listed(other, "/admin/lead/", search="zelda")
    assert rows == []  # owned by the admin: hidden from a restricted user


# The indexes exist; the migration is repeatable ------------------------------------


def test_migration_six_is_idempotent_and_creates_its_indexes(rt):
    with write():
        m0006_scale.apply(database.obj)  # a second time: nothing fails
    for table, columns in m0006_scale.INDEXES:
        names = {i.name for i in database.get_indexes(table)}
        assert m0006_scale.index_name(table, columns) in names, (table, columns)


def test_postgresql_sort_indexes_end_with_the_id(rt):
    """The lists break ties by id; SQLite (rowid) and InnoDB (primary key) append it to
    every index by themselves, PostgreSQL needs it spelled out (migration 11)."""
    from accord.core.migrations import m0011_sort_tiebreak as m11

    with write():
        m11.apply(database.obj)  # a second time: nothing fails
    postgres = "Postgres" in type(database.obj).__name__
    for table, columns in m11.SORTS:
        indexes = {i.name: i.columns for i in database.get_indexes(table)}
        if postgres:
            assert indexes.get(m11.sort_index_name(table, columns)) == [*columns, "id"]
            assert m0006_scale.index_name(table, columns) not in indexes  # replaced
        else:
            assert m11.sort_index_name(table, columns) not in indexes


def test_one_owners_contacts_have_their_own_index(rt):
    """A restricted user's contact list and the owner filter: without migration 14's
    index SQLite walked every owner's contacts in (is_organization, updated_at) order."""
    from accord.core.migrations import m0014_contact_owner_sort as m14

    with write():
        m14.apply(database.obj)  # a second time: nothing fails
    indexes = {i.name: i.columns for i in database.get_indexes("contact")}
    postgres = "Postgres" in type(database.obj).__name__
    assert indexes.get(m14.NAME) == [*m14.COLUMNS, *(["id"] if postgres else [])]
    if not is_sqlite():
        return  # the planner's choice there follows the statistics of a few test rows
    query = (
        Contact.select(Contact.id)
        .where(Contact.is_organization == False, Contact.deleted_at.is_null())  # noqa: E712
        .where(Contact.owner == 3)
        .order_by(Contact.updated_at.desc(), Contact.id.desc())
        .limit(50)
    )
    for shape in (query, query.order_by()):
        sql, params = shape.sql()
        plan = " ".join(r[-1] for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert f"USING INDEX {m14.NAME} (is_organization=? AND owner_id=?)" in plan, plan


def test_deal_counts_per_stage_come_from_an_index_on_sqlite(w):
    """The deal list's count and per-stage figures read (stage_id, owner_id, n) alone on
    SQLite (migration 16), for everyone and for a restricted user; the counts are the
    deals' own."""
    from accord.core import deal_totals
    from accord.core.migrations import m0016_deal_totals_counts as m16
    from accord.core.models import Stage

    with write():
        m16.apply(database.obj)  # a second time: nothing fails
    indexes = {i.name: i.columns for i in database.get_indexes("deal_totals")}
    stage_ids = [s.id for s in Stage.select()]
    for user in (w.users["A"], w.users["R"]):
        counted = deal_totals.counts(user, stage_ids)
        visible = access.visible(Deal.select(), user, Deal)
        assert sum(counted.values()) == visible.count() > 0
        if not is_sqlite():
            assert m16.NAME not in indexes  # PostgreSQL's summary rows stay HOT
            continue
        assert indexes[m16.NAME] == ["stage_id", "owner_id", "n"]
        sql, params = deal_totals._visible(
            user, stage_ids, None, (deal_totals.DealTotal.stage,), fn.SUM(deal_totals.DealTotal.n)
        ).sql()
        plan = " ".join(r[-1] for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert f"COVERING INDEX {m16.NAME}" in plan, plan


def test_accord_reindex_command(accord):  # noqa: F811
    assert accord("migrate").exit_code == 0
    result = accord("reindex")
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output


# Deal totals: the dashboard's and board's sums follow every write --------------------


def live_sums():
    """The same sums computed from the deals themselves."""
    from peewee import fn

    query = (
        Deal.select(
            Deal.stage,
            Deal.currency,
            Deal.owner,
            fn.COUNT(Deal.id),
            fn.SUM(Deal.value),
        )
        .where(Deal.deleted_at.is_null())
        .group_by(Deal.stage, Deal.currency, Deal.owner)
        .tuples()
    )
    return {(s, c, o): (n, round(float(v), 2)) for s, c, o, n, v in query}


def kept_sums():
    from accord.core.deal_totals import DealTotal

    return {
        (t.stage, t.currency, t.owner): (t.n, round(float(t.total), 2))
        for t in DealTotal.select().where(DealTotal.n != 0)
    }


def test_deal_totals_follow_every_write(w):
    from accord.core.models import Stage
    from accord.core.services import deals

    admin, n1 = w.users["A"], w.users["N1"]
    assert kept_sums() == live_sums()
    first, second = list(Stage.select().where(Stage.category == "active").limit(2))
    a = records.create(admin, Deal, {"name": "Totals A", "value": "100.50", "stage": first.id})
    b = records.create(
        admin, Deal, {"name": "Totals B", "value": 7, "stage": first.id, "currency": "USD"}
    )
    records.update(admin, a, {"value": "250.25", "probability": 40})
    deals.move_stage(admin, Deal.get_by_id(b.id), second.id)
    records.update(admin, Deal.get_by_id(a.id), {}, owner=n1.id)
    records.delete(admin, Deal.get_by_id(b.id))
    assert kept_sums() == live_sums()
    records.restore(admin, Deal.get_by_id(b.id))
    Deal.update(value=Deal.value + 1).where(Deal.name.startswith("Totals")).execute()
    assert kept_sums() == live_sums()
    Deal.delete().where(Deal.id == a.id).execute()
    assert kept_sums() == live_sums()


SUMMARIES = ("deal_totals", "deal_closed_days")


def _summary_versions(db):
    """Something that changes whenever a summary row is written: PostgreSQL's row
    versions (xmin); on SQLite a temporary trigger counts the writes."""
    if "Postgres" in type(db).__name__:
        return sorted(
            r[0] for t in SUMMARIES for r in db.execute_sql(f"SELECT '{t}' || xmin FROM {t}")
        )
    db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS summary_writes (n INTEGER)")
    for table in SUMMARIES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute_sql(
                f"CREATE TEMP TRIGGER IF NOT EXISTS {table}_{event.lower()}_seen AFTER {event} "
                f"ON main.{table} BEGIN INSERT INTO summary_writes VALUES (1); END"
            )
    return db.execute_sql("SELECT count(*) FROM summary_writes").fetchone()[0]


def test_an_edit_that_changes_no_sum_leaves_the_summary_alone(w):
    """A name or custom-value edit (or one bulk UPDATE of every deal) must not rewrite the
    hot summary rows: on PostgreSQL that serialised every deal edit and made a bulk
    update of a million deals run for many minutes."""
    import datetime as dt

    from accord.core.db import database

    db = database.obj
    some = Deal.select(Deal.id).limit(2)
    Deal.update(closed_at=dt.datetime(2026, 1, 2, 3, 4)).where(Deal.id.in_(some)).execute()
    with db.atomic():
        before = _summary_versions(db)
        changed = Deal.update(name=Deal.name.concat(" ")).execute()
        after = _summary_versions(db)
    assert changed > 0
    assert after == before
    assert kept_sums() == live_sums()
    with db.atomic():
        before = _summary_versions(db)
        Deal.update(value=Deal.value + 1).where(Deal.id == Deal.select(Deal.id).limit(1)).execute()
        assert _summary_versions(db) != before  # a summed column still reaches it
    assert kept_sums() == live_sums()


def test_dashboard_and_board_figures_match_the_deals(w, client):
    """The summary the dashboard shows equals a live GROUP BY, for each role's scope."""
    from accord.core import reports
    from accord.core.models import User

    for key in ("A", "N1", "R"):
        user = User.get_by_id(w.users[key].id)
        scope = reports.dashboard_scope(user)
        pipeline = reports.choose_pipeline()
        stages = [f.stage for f in reports.pipeline_summary(scope, pipeline).stages]
        kept = reports._stage_amounts(scope, stages)
        live = reports._stage_amounts_live(scope, pipeline)
        assert {k: sorted(v, key=lambda a: a.currency) for k, v in kept.items()} == {
            k: sorted(v, key=lambda a: a.currency) for k, v in live.items()
        }, key


def test_filtered_stage_counts_are_bounded_and_marked(w, client, monkeypatch):
    from accord.admin.views import deal_list

    admin = w.users["A"]
    for n in range(4):
        records.create(admin, Deal, {"name": f"Bounded deal {n}", "value": 1})
    login(client, admin.email)
    exact = text(client.get("/admin/deal/", query_string={"search": "Bounded"}))
    assert re.search(r'accord-stage-number">4</span>', exact)
    monkeypatch.setattr(deal_list, "STAGE_CAP", 2)
    capped = text(client.get("/admin/deal/", query_string={"search": "Bounded"}))
    assert re.search(r'accord-stage-number">3\+</span>', capped)  # a lower bound, marked


def test_capped_stage_counts_are_remembered_briefly(w, client, monkeypatch):
    """Capped per-stage counts ("N+") are not grouped again for CAPPED_SECONDS (the
    same statement: same user scope and filters), like the list's capped count; exact
    ones are grouped on every request, and after the interval capped ones are too."""
    from accord.admin.views import deal_list, list_sql

    admin = w.users["A"]
    for n in range(4):
        records.create(admin, Deal, {"name": f"Grouped deal {n}", "value": 1, "currency": "GBP"})
    grouped = []
    db_class = type(database.obj)
    real = db_class.execute_sql

    def counting(db, sql, *args, **kwargs):
        if "GROUP BY" in sql and '"deal"' in sql:
            grouped.append(sql)
        return real(db, sql, *args, **kwargs)

    monkeypatch.setattr(db_class, "execute_sql", counting)
    clock = [1000.0]
    monkeypatch.setattr(list_sql.time, "monotonic", lambda: clock[0])
    login(client, admin.email)

    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "deal")
    currency = next(
        key for key, (_i, flt) in view._filter_args.items() if str(flt.name) == "Currency"
    )

    def badges():
        # A filter the summary table does not key (the currency): counted from the deals.
        grouped.clear()
        page = text(client.get("/admin/deal/", query_string={f"flt0_{currency}": "GBP"}))
        return re.findall(r'accord-stage-number">([^<]*)</span>', page), len(grouped)

    assert badges() == (["4"], 1)
    assert badges() == (["4"], 1)  # exact: grouped again
    monkeypatch.setattr(deal_list, "STAGE_CAP", 2)
    assert badges() == (["3+"], 1)
    records.create(admin, Deal, {"name": "Grouped deal 5", "value": 1, "currency": "GBP"})
    assert badges() == (["3+"], 0)  # remembered: the same lower bound, not grouped
    clock[0] += list_sql.CAPPED_SECONDS
    assert badges() == (["3+"], 1)  # grouped again


def test_deal_counts_per_stage_are_the_sums_counts(w):
    from accord.core import deal_totals
    from accord.core.models import Stage

    stage_ids = [s.id for s in Stage.select()]
    for key in ("A", "M", "N1", "R"):
        user = w.users[key]
        for owners in (None, {user.id}, set()):
            per_currency = deal_totals.sums(user, stage_ids, owners)
            expected = {}
            for (stage_id, _currency), (n, *_money) in per_currency.items():
                expected[stage_id] = expected.get(stage_id, 0) + int(n)
            assert deal_totals.counts(user, stage_ids, owners) == expected, (key, owners)
    assert deal_totals.counts(w.users["A"], stage_ids)  # the world has deals
    # The compiled statement is kept per user, role and activity: a changed role or a
    # deactivation changes the counts at once.
    restricted = w.users["R"]
    narrow = deal_totals.counts(restricted, stage_ids)
    restricted.role = "admin"
    assert deal_totals.counts(restricted, stage_ids) == deal_totals.counts(w.users["A"], stage_ids)
    assert deal_totals.counts(restricted, stage_ids) != narrow
    restricted.active = False
    assert deal_totals.counts(restricted, stage_ids) == {}


def test_a_restricted_users_search_reads_its_matches_by_id(w, app, monkeypatch):
    """A restricted user's contact search with more matches than the index lists by id:
    on SQLite the count reads each match by its id (NOT INDEXED: not through the
    is_organization index, then the row), and so does the page of the visible ones.
    The rows are those the planner's own choice lists, and those the policy shows."""
    from accord.admin.views import base as list_base

    admin, restricted = w.users["A"], w.users["R"]
    with write():
        for n in range(6):
            for owner in (restricted, admin, None):
                records.create(admin, Contact, {"last_name": f"Byid{n} Quorra"}, owner=owner)
    monkeypatch.setattr(search, "CANDIDATES", 4)  # 18 matches: the index's, not ids
    client = app.test_client()
    login(client, restricted.email)
    statements = []
    real = database.obj.execute_sql
    monkeypatch.setattr(
        database.obj,
        "execute_sql",
        lambda sql, params=None, *a, **k: (
            statements.append((sql, params)) or real(sql, params, *a, **k)
        ),
    )

    def shown():
        response = client.get("/admin/contact/", query_string={"search": "Quorra"})
        assert response.status_code == 200
        return sorted(
            map(int, re.findall(r"/admin/contact/details/\?id=(\d+)&amp;url=", text(response)))
        )

    by_id = shown()
    read = [(sql, params) for sql, params in statements if "NOT INDEXED" in sql]
    monkeypatch.setattr(list_base, "read_by_id", lambda query: query)
    assert shown() == by_id
    visible = access.visible(Contact.select(), restricted, Contact)
    assert by_id == sorted(c.id for c in visible if "Quorra" in (c.last_name or ""))
    assert len(by_id) == 12  # their own and nobody's
    if not is_sqlite():
        assert read == []
        return
    assert len(read) == 2  # the count, then the page
    for sql, params in read:
        plan = " ".join(r[-1] for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "INTEGER PRIMARY KEY" in plan, plan
