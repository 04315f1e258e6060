"""Global search: what it finds, what it never shows, and how it treats odd input.

The matching is accord.core.search.search (one function; the scale issue swaps the
engine). The page /admin/search/?q=… groups results by kind, each a link to its
datasheet, at most ten per kind with a link to the list for more.
"""

import re

import pytest
from peewee import SqliteDatabase

from accord.core import search
from accord.core.models import Contact, Deal, Lead, User
from accord.core.services import records
from tests.oracle import expected
from tests.web import login
from tests.world import build_world


def text(response):
    return response.get_data(as_text=True)


def found_ids(results):
    return {kind: [r.id for r in hits.records] for kind, hits in results.items()}


def section(body, kind):
    """The HTML of one result group (empty if the group is not shown)."""
    match = re.search(rf'id="results-{kind}".*?</ul>', body, re.S)
    return match.group(0) if match else ""


@pytest.fixture
def w(rt):
    world = build_world()
    admin = world.users["A"]
    # Extra fields to search by: phone, a lead's company, a deal's organization.
    records.update(admin, world.record("lead", "N1"), {"phone": "+36 30 555 0101"})
    records.update(admin, world.record("contact", "N1"), {"phone": "+44 20 7946 0958"})
    records.update(
        admin, world.record("lead", "R"), {"organization_name": "Acme Widgets", "phone": "0612"}
    )
    records.update(
        admin, world.record("deal", "N3"), {"organization": world.record("company", "N3").id}
    )
    return world


def test_finds_by_name_email_phone_and_company(w):
    user = w.users["N1"]  # a normal user sees everything
    by_name = search.search(user, "Lead OfN4")
    assert found_ids(by_name)["lead"] == [w.record("lead", "N4").id]
    by_email = search.search(user, "person.N3@x.test")
    assert found_ids(by_email)["contact"] == [w.record("contact", "N3").id]
    by_phone = search.search(user, "555 0101")
    assert found_ids(by_phone)["lead"] == [w.record("lead", "N1").id]
    assert found_ids(search.search(user, "+44 20"))["contact"] == [w.record("contact", "N1").id]
    # Company: a lead's organization name, a person's and a deal's organization.
    assert found_ids(search.search(user, "acme"))["lead"] == [w.record("lead", "R").id]
    by_company = found_ids(search.search(user, "Company of N3"))
    assert by_company["company"] == [w.record("company", "N3").id]
    assert by_company["contact"] == [w.record("contact", "N3").id]
    assert by_company["deal"] == [w.record("deal", "N3").id]
    # Case does not matter.
    assert found_ids(search.search(user, "LEAD OFN4"))["lead"] == [w.record("lead", "N4").id]


def test_prefix_matches_come_first(w):
    user = w.users["A"]
    records.create(user, Lead, {"organization_name": "Zeta Lead Holdings"})  # contains "Lead"
    records.create(user, Lead, {"first_name": "Leader", "last_name": "Zz"})  # starts with it
    names = [r.name for r in search.search(user, "lead")["lead"].records]
    starting = [n for n in names if n.lower().startswith("lead")]
    assert names[: len(starting)] == starting  # every prefix match before any other
    assert "Zeta Lead Holdings" in names and "Leader Zz" in names


def test_results_never_include_hidden_records(w):
    """R (restricted) finds only own and unowned records; every user agrees with the
    oracle for every record's name and email."""
    restricted = w.users["R"]
    for term in ("OfN1", "of N1", "lead.N1@x.test", "Deal of N4", "Company of N3", "555 0101"):
        results = search.search(restricted, term)
        assert all(not hits.records for hits in results.values()), term
    for key in ("A", "M", "N1", "N4", "R", "D"):
        user = User.get_by_id(w.users[key].id)
        for (entity, _owner), record in w.records.items():
            if entity not in search.KINDS:
                continue
            results = search.search(user, record.name)
            shown = {r.id for r in results[entity].records}
            assert (record.id in shown) == expected(user, "view", record), (key, record.name)


def test_like_wildcards_match_only_themselves(w):
    admin = w.users["A"]
    percent = records.create(admin, Lead, {"last_name": "100% sure"})
    records.create(admin, Lead, {"last_name": "100 percent"})
    underscore = records.create(admin, Lead, {"last_name": "snake_case"})
    records.create(admin, Lead, {"last_name": "snakeXcase"})
    backslash = records.create(admin, Lead, {"last_name": "back\\slash"})
    assert found_ids(search.search(admin, "%"))["lead"] == [percent.id]
    assert found_ids(search.search(admin, "100%"))["lead"] == [percent.id]
    assert found_ids(search.search(admin, "e_c"))["lead"] == [underscore.id]
    assert found_ids(search.search(admin, "k\\s"))["lead"] == [backslash.id]
    for term in ("'", '"', "'; DROP TABLE lead; --", "[a-z]", "*", "ü"):
        search.search(admin, term)  # special characters are plain text, never an error


def test_text_that_cannot_be_searched(w):
    user = w.users["A"]
    for bad in ("", "   ", "x" * (search.MAX_LENGTH + 1), "a\x00b", "bell\x07"):
        with pytest.raises(search.QueryError):
            search.search(user, bad)
    # Runs of white space (tabs, new lines) count as one space.
    found = search.search(user, "  Lead\t\nOfN4 ")["lead"].records
    assert [r.id for r in found] == [w.record("lead", "N4").id]


def test_the_page_groups_results_and_links_them(w, client):
    login(client, w.users["N1"].email)
    body = text(client.get("/admin/search/", query_string={"q": "of N3"}))
    deal, company = w.record("deal", "N3"), w.record("company", "N3")
    assert f'/admin/deal/details/?id={deal.id}"' in section(body, "deal")
    assert f'/admin/company/details/?id={company.id}"' in section(body, "company")
    assert "Lead OfN3" not in body  # "of N3" is not in the lead's name, email or company
    assert "More in the list" not in body


def test_more_than_ten_links_to_the_list(w, client):
    admin = w.users["A"]
    for n in range(12):
        records.create(admin, Lead, {"first_name": "Bulk", "last_name": f"Buyer {n:02d}"})
    login(client, admin.email)
    body = text(client.get("/admin/search/", query_string={"q": "bulk"}))
    leads = section(body, "lead")
    assert leads.count("/admin/lead/details/?id=") == 10
    assert '<span class="badge badge-light">10+</span>' in leads
    assert 'href="/admin/lead/?search=bulk"' in body


def test_restricted_user_page_shows_nothing_hidden(w, client):
    login(client, w.users["R"].email)
    body = text(client.get("/admin/search/", query_string={"q": "OfN1"}))
    assert "Nothing found" in body
    assert "OfN1</a>" not in body and "details/?id=" not in body.split("Nothing found")[1]
    own = text(client.get("/admin/search/", query_string={"q": "Of"}))
    shown = set(re.findall(r"/admin/(\w+)/details/\?id=(\d+)", own))
    allowed = {
        (entity, str(record.id))
        for (entity, owner), record in w.records.items()
        if entity in search.KINDS and owner in ("R", None)
    }
    assert shown and shown <= allowed


def test_odd_input_on_the_page(w, client):
    login(client, w.users["A"].email)
    blank = client.get("/admin/search/?q=")
    assert blank.status_code == 200 and "Find leads, contacts" in text(blank)
    long = client.get("/admin/search/", query_string={"q": "y" * 500})
    assert long.status_code == 200 and 'id="search-error"' in text(long)
    control = client.get("/admin/search/", query_string={"q": "a\x00b"})
    assert control.status_code == 200 and 'id="search-error"' in text(control)
    payload = '<script>alert("x")</script>'
    page = text(client.get("/admin/search/", query_string={"q": payload}))
    assert "<script>alert(" not in page
    assert "&lt;script&gt;" in page


def test_search_box_is_on_every_page_and_needs_a_login(w, client):
    assert client.get("/admin/search/?q=x").status_code == 302
    login(client, w.users["N4"].email)
    for page in ("/admin/", "/admin/profile/", "/admin/search/?q=lead"):
        body = text(client.get(page))
        assert 'action="/admin/search/"' in body and 'name="q"' in body, page


def test_deleted_records_are_not_found(w):
    admin = w.users["A"]
    deal = w.record("deal", "N4")
    records.delete(admin, deal)
    assert not search.search(admin, "Deal of N4")["deal"].records
    assert Deal.get_by_id(deal.id).deleted_at is not None


# Rare and common terms take different paths (issue 8): both answer the same ---------


TERMS = ("lead", "Lead OfN4", "person.N3@x.test", "555 0101", "acme", "Company of N3", "of")


def test_rare_and_common_paths_agree(w, monkeypatch):
    """A term with few matches is looked up by its ids, a common one streams from the
    index: with the threshold at 1 every term takes the common path, and the results
    (prefix matches first, scoped) must be the same."""
    for key in ("A", "N1", "R"):
        user = w.users[key]
        rare = {t: found_ids(search.search(user, t, limit=3)) for t in TERMS}
        more = {t: {k: h.more for k, h in search.search(user, t, limit=3).items()} for t in TERMS}
        monkeypatch.setattr(search, "CANDIDATES", 1)
        common = {t: found_ids(search.search(user, t, limit=3)) for t in TERMS}
        common_more = {
            t: {k: h.more for k, h in search.search(user, t, limit=3).items()} for t in TERMS
        }
        monkeypatch.undo()
        assert rare == common, key
        assert more == common_more, key


def listed_leads(client, text):
    body = client.get("/admin/lead/", query_string={"search": text, "page_size": 100})
    assert body.status_code == 200
    return sorted(int(i) for i in re.findall(r"/admin/lead/details/\?id=(\d+)", text_of(body)))


def text_of(response):
    return response.get_data(as_text=True)


@pytest.mark.parametrize("engine", ["native", "trigram"])
@pytest.mark.parametrize("cap", [None, 1])
def test_list_search_rare_and_common_words(w, client, monkeypatch, cap, engine):
    """The list's search box: a phone typed with spaces is one term, several words must
    each match, and the rare (ids) and common (subquery) paths list and count the same
    rows. "trigram": as on PostgreSQL, where a rare term's ids come from the search
    key's index (asked here about 4 characters, the rest checked against the columns)."""
    if engine == "trigram":
        trigram_engine(monkeypatch)
        monkeypatch.setattr(search, "WINDOW", 4)
    if cap:
        monkeypatch.setattr(search, "CANDIDATES", cap)
    admin = w.users["A"]
    login(client, admin.email)
    n1, n4 = w.record("lead", "N1").id, w.record("lead", "N4").id
    assert listed_leads(client, "+36 30 555 0101") == [n1]
    assert listed_leads(client, "30 555") == [n1]
    assert listed_leads(client, "Lead OfN4") == [n4]
    assert listed_leads(client, "OfN4 Lead") == [n4]  # words in any order
    assert listed_leads(client, "Lead OfN4 nowhere") == []
    assert listed_leads(client, "Lead 55") == [n1]  # a short word: LIKE on the rest
    every = listed_leads(client, "lead")
    assert n1 in every and n4 in every
    body = text_of(client.get("/admin/lead/", query_string={"search": "Lead OfN4"}))
    assert COUNT_TEXT.search(body).group(1) == "1"
    restricted = w.users["R"]
    other = client.application.test_client()
    login(other, restricted.email)
    assert listed_leads(other, "Lead OfN4") == []  # N4's lead: hidden from R


@pytest.mark.parametrize(
    "term", ["OfN", "Lead", "person.N3@x", "Acme", "555 01", "+44 20", "company of"]
)
def test_trigram_id_path_finds_what_the_one_query_finds(w, monkeypatch, term):
    """PostgreSQL collects a term's ids from one trigram index scan per column, then sorts
    those; past TRGM_CAP matches it takes them as a subquery. Both give the same
    records in the same order, for every kind and role (run here on any database)."""
    monkeypatch.setattr(search.search_index, "uses_trigram", lambda db=None: True)
    shown = 0
    for key in ("A", "N1", "R"):
        user = w.users[key]
        for kind in search.KINDS:
            monkeypatch.setattr(search, "TRGM_CAP", 5000)
            by_ids = search._find(user, kind, term, 3)
            monkeypatch.setattr(search, "TRGM_CAP", 1)  # every term is "common" now
            by_query = search._find(user, kind, term, 3)
            assert [r.id for r in by_ids.records] == [r.id for r in by_query.records], (key, kind)
            assert by_ids.more == by_query.more
            shown += len(by_ids.records)
    assert shown > 0


def search_key(*parts):
    """search_index.KEY_FUNCTION in Python: the text lowered, letters and digits only."""
    text = " ".join(p for p in parts if p is not None).lower()
    return "".join(c for c in text if c.isalnum())


def trigram_engine(monkeypatch):
    """Search as it runs on PostgreSQL (pg_trgm), on any database: on SQLite the search
    key is a Python function (PostgreSQL's is SQL, created by the migration)."""
    monkeypatch.setattr(search.search_index, "uses_fts", lambda db=None: False)
    monkeypatch.setattr(search.search_index, "uses_trigram", lambda db=None: True)
    db = search.database.obj
    if isinstance(db, SqliteDatabase):
        db.register_function(search_key, search.search_index.KEY_FUNCTION, -1)


@pytest.mark.parametrize("window", [search.WINDOW, 4])
def test_trigram_rare_and_common_terms_agree(w, monkeypatch, window):
    """PostgreSQL: a rare term's every match comes from the trigram indexes first (ids),
    a common one is searched for as a whole; both show the same records in the same
    order, for every role. With a small WINDOW the indexes are asked about the first
    few characters only and the rest is checked row by row: the same again."""
    trigram_engine(monkeypatch)
    monkeypatch.setattr(search, "WINDOW", window)
    admin = w.users["A"]
    records.create(admin, Lead, {"last_name": "Percent 100% sure of it"})
    records.create(admin, Lead, {"last_name": "Percent 100 x sure of it"})
    shown = 0
    for key in ("A", "N1", "R"):
        user = w.users[key]
        for term in (*TERMS, "Percent 100% sure", "person.N3@x.test", "Lead OfN"):
            rare = search.search(user, term, limit=3)
            monkeypatch.setattr(search, "CANDIDATES", 1)  # every term is common now
            common = search.search(user, term, limit=3)
            monkeypatch.setattr(search, "CANDIDATES", 500)
            assert found_ids(rare) == found_ids(common), (key, term)
            assert {k: h.more for k, h in rare.items()} == {k: h.more for k, h in common.items()}
            shown += sum(len(h.records) for h in rare.values())
    assert shown > 0
    percent = search.search(admin, "Percent 100% sure")["lead"].records
    assert [r.name for r in percent] == ["Percent 100% sure of it"]  # % is no wildcard


def test_search_key_on_postgresql(w):
    """The key PostgreSQL indexes is the one the tests' stand-in computes, and the
    candidates come from its index, not from a scan of a million rows."""
    if not search.search_index.uses_trigram():
        pytest.skip("PostgreSQL's search key")
    db = search.database.obj
    key = search.search_index.KEY_FUNCTION
    for parts in (("Ann O'Neil", "ann@x.TEST", "+36 30 555"), ("Łódź – Café", None), ("a_b%c",)):
        marks = ", ".join(["%s"] * len(parts))
        (got,) = db.execute_sql(f"SELECT {key}({marks})", parts).fetchone()
        assert got == search_key(*parts), parts
    for table in ("lead", "contact", "deal"):
        model = search.FTS_KINDS[table][0]
        query = model.select(model.id).where(search._key_match(model, table, "person.n3@x"))
        sql, params = query.sql()
        plan = "\n".join(r[0] for r in db.execute_sql("EXPLAIN " + sql, params).fetchall())
        # The index serves the query when their expressions are the same (a few test
        # rows: the planner may prefer to read them all).
        (definition,) = db.execute_sql(
            "SELECT pg_get_indexdef(%s::regclass)", (f"key_{table}",)
        ).fetchone()
        expression = re.search(r"gin \((.*) \S*gin_trgm_ops\)", definition).group(1)
        assert key in expression and expression in plan, (definition, plan)


def test_trigram_candidates_stop_at_the_cap(w, monkeypatch):
    """Every matching id, newest first, each once (a record found by two columns too);
    None once the cap is reached."""
    trigram_engine(monkeypatch)
    lead = w.record("lead", "N4")
    ids = search.trgm_candidates("lead", "OfN4")
    assert ids == [lead.id]
    both = records.create(w.users["A"], Lead, {"last_name": "Twice", "email": "twice@x.test"})
    assert search.trgm_candidates("lead", "twice") == [both.id]
    many = search.trgm_candidates("lead", "lead")
    assert many == sorted(set(many), reverse=True) and len(many) > 2
    assert search.trgm_candidates("lead", "lead", cap=2) is None


def test_deal_candidates_reuse_the_companies_of_the_contact_probe(w, monkeypatch):
    """search() probes the contacts' key index once and gives the companies it found to
    the deals' probe: the same candidates as the deals' own company probe, whether a
    company matches by name or by email, and None past the cap either way."""
    trigram_engine(monkeypatch)
    admin = w.users["A"]
    company = w.record("company", "N3")
    records.update(admin, company, {"email": "billing@zyxcorp.test"})
    deal = records.create(admin, Deal, {"name": "Unrelated name", "organization": company.id})
    person = records.create(admin, Contact, {"last_name": "Staff", "organization": company.id})
    for term in ("zyxcorp", "company of", "OfN3", "Unrelated", "nothing like it"):
        memo = {}
        contacts = search.trgm_candidates("contact", term, memo=memo)
        shared = search.trgm_candidates("deal", term, memo=memo)
        own = search.trgm_candidates("deal", term)
        assert shared == own, term
        if term == "zyxcorp":
            assert deal.id in shared and {company.id, person.id} <= set(contacts)
        for cap in (1, 2, 3):
            memo = {}
            search.trgm_candidates("contact", term, cap=cap, memo=memo)
            capped = search.trgm_candidates("deal", term, cap=cap, memo=memo)
            assert capped == search.trgm_candidates("deal", term, cap=cap), (term, cap)


def test_no_company_query_when_the_probe_found_no_company(w, monkeypatch):
    """PostgreSQL's global search: when the contact probe's candidates hold no company,
    no company can match and none is asked for; a company among them is still found."""
    trigram_engine(monkeypatch)
    admin = w.users["A"]
    person = records.create(admin, Contact, {"last_name": "Qvist", "email": "q.qvist@qv.test"})
    company = w.record("company", "N3")
    records.update(admin, company, {"email": "office@qvcorp.test"})
    asked = []
    real = search._find_among
    monkeypatch.setattr(
        search, "_find_among", lambda user, kind, *a: asked.append(kind) or real(user, kind, *a)
    )
    found = search.search(admin, "q.qvist@qv.test")
    assert [r.id for r in found["contact"].records] == [person.id]
    assert found["company"].records == [] and "company" not in asked and "contact" in asked
    asked.clear()
    found = search.search(admin, "office@qvcorp.test")
    assert [r.id for r in found["company"].records] == [company.id]
    assert "company" in asked


@pytest.mark.parametrize("cap", [5000, 1])
def test_trigram_order_names_starting_first_then_newest(w, monkeypatch, cap):
    """PostgreSQL's global search: names that start with the text first, by the lowered
    name (the name-prefix index's order), then every other match newest first — read
    from the match ids (cap 5000) or walking the primary key (cap 1: a dense term)."""
    trigram_engine(monkeypatch)
    monkeypatch.setattr(search, "TRGM_CAP", cap)
    admin = w.users["A"]
    made = [
        records.create(admin, Lead, {"first_name": "Zorro", "last_name": "Quill"}),
        records.create(admin, Lead, {"first_name": "quill", "last_name": "Beta"}),
        records.create(admin, Lead, {"last_name": "Old", "email": "quill@x.test"}),
        records.create(admin, Lead, {"first_name": "Quillon", "last_name": "Alpha"}),
        records.create(admin, Lead, {"last_name": "New", "organization_name": "Quill Co"}),
    ]
    zorro, beta, by_email, alpha, by_company = (lead.id for lead in made)
    hits = search.search(admin, "quill", limit=10)["lead"]
    assert [r.id for r in hits.records] == [beta, alpha, by_company, by_email, zorro]
    assert not hits.more
    assert [r.id for r in search.search(admin, "quill", limit=3)["lead"].records] == [
        beta,
        alpha,
        by_company,
    ]
    restricted = w.users["R"]  # none of these is R's: nothing, on either path
    assert search.search(restricted, "quill")["lead"].records == []


def test_name_prefix_index_serves_the_first_matches_in_order(w):
    """PostgreSQL can read the first matches from a range of the name-prefix index in its
    order, with no sort: the query's expressions are the index's. (A few test rows give
    the planner no reason to prefer it: the other ways are priced out here.)"""
    if not search.search_index.uses_trigram():
        pytest.skip("PostgreSQL's name-prefix index")
    db = search.database.obj
    with db.atomic():
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.execute_sql(f"SET LOCAL {setting} = off")
        for kind in ("lead", "contact", "company", "deal"):
            model, table, where = search.FTS_KINDS[kind]
            query = model.select().where(search._name_starts(model, "Lead%_"))
            if where is not None:
                query = query.where(where)
            query = query.order_by(search._name_key(model), model.id).limit(11)
            sql, params = query.sql()
            plan = "\n".join(r[0] for r in db.execute_sql("EXPLAIN " + sql, params).fetchall())
            assert f"name_prefix_{table}" in plan, plan
            assert "Sort" not in plan, plan


# List search paths at scale (issue 8): rare ids sorted by expression, common subquery,
# dense "+id" walk, counts from the index's first matches. All list the same --------------

COUNT_TEXT = re.compile(r"List \(([^)]*)\)")
STAGE_CHIP = re.compile(
    r'data-stage="(\d+)"[^>]*>\s*[^<]*<span class="accord-stage-number">([^<]+)<'
)
PATHS = {
    # name: (CANDIDATES, DENSE_SHARE, COUNT_SAMPLE, STAGE_SAMPLE, WALK_SHARE)
    "rare": (500, 50, 10_000, 20_000, 20),
    "common": (1, 1, 10_000, 20_000, 20),  # never dense: the first match lies past id 1
    "common, small samples": (1, 1, 2, 3, 20),  # samples are for dense terms only
    "dense": (1, 10**9, 10_000, 20_000, 0),  # dense_from = 1: every common term is dense
    "dense, walked": (1, 10**9, 10_000, 20_000, 10**9),  # each row checked with LIKE
    "dense sampled": (1, 10**9, 2, 3, 10**9),  # counts from 2-3 matches: the full count next
    "dense, 3 candidates": (3, 10**9, 2, 3, 0),  # fewer than 3 matches: ids
}


def list_page(client, entity, params):
    response = client.get(f"/admin/{entity}/", query_string={"page_size": 100, **params})
    assert response.status_code == 200, (entity, params)
    body = text_of(response)
    rows = [int(i) for i in re.findall(rf"/admin/{entity}/details/\?id=(\d+)&amp;url=", body)]
    count = COUNT_TEXT.search(body)
    return rows, count.group(1) if count else None, STAGE_CHIP.findall(body)


def set_path(monkeypatch, name):
    from accord.admin.views import base, deal_list

    candidates, share, count_sample, stage_sample, walk_share = PATHS[name]
    monkeypatch.setattr(search, "WALK_SHARE", walk_share)
    monkeypatch.setattr(search, "CANDIDATES", candidates)
    monkeypatch.setattr(search, "DENSE_SHARE", share)
    monkeypatch.setattr(base, "COUNT_SAMPLE", count_sample)
    monkeypatch.setattr(deal_list, "STAGE_SAMPLE", stage_sample)


def test_every_list_search_path_lists_counts_and_sorts_the_same(w, client, monkeypatch):
    """The same rows in the same order (default sort, by name both ways, a later page),
    the same count (exact, capped) and the same stage counts, for every path a term can
    take, for a user who sees everything and a restricted one; and what each lists is
    exactly what the oracle lets them see among the records matching the words."""
    if not search.search_index.uses_fts():
        pytest.skip("the FTS5 paths are SQLite's")
    from accord.admin.views import base

    admin = w.users["A"]
    for n in range(6):
        records.create(admin, Deal, {"name": f"Order {n} for Acme"}, owner=None)
        records.create(admin, Lead, {"last_name": f"Orderly {n}"}, owner=w.users["R"])
    queries = [
        ("deal", {"search": "order"}),
        ("deal", {"search": "deal of"}),
        ("deal", {"search": "order acme", "sort": 0}),
        ("deal", {"search": "order", "sort": 0, "desc": 1, "page_size": 2, "page": 1}),
        ("lead", {"search": "lead"}),
        ("lead", {"search": "order", "sort": 0}),
        ("lead", {"search": "Of N", "count": "exact"}),
        ("contact", {"search": "person"}),
    ]
    clients = {}
    for key in ("A", "R"):
        clients[key] = client.application.test_client()
        login(clients[key], w.users[key].email)
    for cap in (1_000, 3):  # a count over the cap shows "3+"
        monkeypatch.setattr(base, "COUNT_CAP", cap)
        results = {}
        for name in PATHS:
            set_path(monkeypatch, name)
            results[name] = {
                (key, entity, str(params)): list_page(clients[key], entity, params)
                for key in clients
                for entity, params in queries
            }
        for name, found in results.items():
            assert found == results["rare"], (name, cap)
    listed = results["rare"]
    assert any(rows for rows, _count, _chips in listed.values())
    assert any(count == "3+" for _rows, count, _chips in listed.values())
    assert any(chips for _rows, _count, chips in listed.values())
    # What the restricted user lists is theirs or nobody's, and all of it.
    restricted = w.users["R"]
    for (key, entity, params), (rows, _count, _chips) in listed.items():
        if key != "R" or "page" in params:
            continue
        model = {"deal": Deal, "lead": Lead}.get(entity)
        if model is None:
            continue
        words = eval(params)["search"].lower().split()  # noqa: S307 (our own dict)
        matching = [
            r
            for r in model.select()
            if r.deleted_at is None
            and all(any(x in (v or "").lower() for v in _texts(r)) for x in words)
        ]
        visible = {r.id for r in matching if expected(restricted, "view", r)}
        assert set(rows) == visible, params


def _texts(record):
    org = getattr(record, "organization", None)
    return [
        record.name,
        getattr(record, "email", ""),
        getattr(record, "phone", ""),
        getattr(record, "organization_name", ""),
        org.name if org is not None else "",
    ]


def test_a_walked_term_matches_percent_and_underscore_literally(w, client, monkeypatch):
    if not search.search_index.uses_fts():
        pytest.skip("the FTS5 paths are SQLite's")
    admin = w.users["A"]
    literal = records.create(admin, Deal, {"name": "Half_off 50% Deal"})
    records.create(admin, Deal, {"name": "Halfxoff 50x Deal"})
    login(client, admin.email)
    set_path(monkeypatch, "dense, walked")
    for term in ("f_o", "50%", "F_O 50%"):
        rows, _count, _stages = list_page(client, "deal", {"search": term})
        assert rows == [literal.id], term


def test_a_search_page_sorts_the_counted_matches(w, client):
    """The count reads the ids of a search's matches; the page then sorts those rows
    (base.get_list): the same rows, order and pages as sorting the search itself."""
    admin, restricted = w.users["A"], w.users["R"]
    made = []
    for n in range(23):
        owner = restricted if n % 3 == 0 else admin
        made.append(records.create(admin, Lead, {"last_name": f"Zorkmid {n:02d}"}, owner=owner))
    for user, theirs in (
        (admin, made),
        (restricted, [lead for lead in made if lead.owner_id == restricted.id]),
    ):
        client = client.application.test_client()
        login(client, user.email)
        by_name = sorted(theirs, key=lambda lead: (lead.name, lead.id))
        for desc in (0, 1):
            wanted = [lead.id for lead in (by_name[::-1] if desc else by_name)]
            seen, page = [], 0
            while True:
                rows, count, _stages = list_page(
                    client,
                    "lead",
                    {"search": "zorkmid", "sort": 0, "desc": desc, "page_size": 5, "page": page},
                )
                if not rows:
                    break
                assert count == str(len(theirs))
                seen += rows
                page += 1
            assert seen == wanted, (user.email, desc)
