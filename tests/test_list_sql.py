"""admin.views.list_sql: a list's SQL is compiled once per user and URL, and still lists
what the data holds; a filter that follows the clock is compiled every time."""

import datetime as dt
import re

import pytest

from accord.admin.views import list_sql, task_list
from accord.core.db import database
from accord.core.models import Lead, Task
from accord.core.services import records
from tests.web import login
from tests.world import make_user


@pytest.fixture
def boss(rt):
    return make_user("Boss", "admin")


def compiled_statements(monkeypatch):
    """A list that grows with each list statement compiled."""
    seen = []
    real = list_sql.compile_query

    def counting(query):
        seen.append(query)
        return real(query)

    monkeypatch.setattr(list_sql, "compile_query", counting)
    return seen


def names(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return re.findall(r'<td class="col-name">([^<]*)</td>', response.get_data(as_text=True))


def test_held_sql_lists_new_rows_and_is_not_compiled_again(client, boss, monkeypatch):
    records.create(boss, Lead, {"last_name": "First"})
    login(client, boss.email)
    url = "/admin/lead/?sort=0"
    assert names(client, url) == ["First"]
    seen = compiled_statements(monkeypatch)
    records.create(boss, Lead, {"last_name": "Second"})
    before = len(seen)
    assert names(client, url) == ["First", "Second"]  # the same SQL, the new row
    assert len(seen) == before  # neither the count nor the page was compiled again
    assert names(client, "/admin/lead/?sort=0&desc=1") == ["Second", "First"]
    assert len(seen) > before  # another URL, other SQL


def test_a_lists_queries_are_built_once_per_user_url_and_reference_data(
    app, client, boss, monkeypatch
):
    """Without a search a list's queries follow from the user, the URL and the reference
    data: built on the first request, then only run. Another user, another URL or a
    change of the reference data builds them anew; a search builds them every time."""
    from accord.admin.views import base
    from accord.core.models import Status

    built = []
    real = base.AccessModelView.filtered_query

    def counting(view, *args, **kwargs):
        built.append(view.endpoint)
        return real(view, *args, **kwargs)

    monkeypatch.setattr(base.AccessModelView, "filtered_query", counting)
    restricted = make_user("Rita", "restricted")
    records.create(boss, Lead, {"last_name": "Bosses"})
    records.create(restricted, Lead, {"last_name": "Ritas"})
    login(client, boss.email)
    url = "/admin/lead/?sort=0"
    assert names(client, url) == ["Bosses", "Ritas"]
    first = built.count("lead")
    records.create(boss, Lead, {"last_name": "Later"})
    assert names(client, url) == ["Bosses", "Later", "Ritas"]  # the held queries, new rows
    assert built.count("lead") == first
    other = app.test_client()
    login(other, restricted.email)
    assert names(other, url) == ["Ritas"]  # their own queries: their own scope
    assert built.count("lead") > first
    again = built.count("lead")
    Status.create(name="New status", entity_kind="lead")  # reference data changed
    assert names(client, url) == ["Bosses", "Later", "Ritas"]
    assert built.count("lead") > again
    searched = built.count("lead")
    assert names(client, "/admin/lead/?search=Ritas") == ["Ritas"]
    assert names(client, "/admin/lead/?search=Ritas") == ["Ritas"]
    assert built.count("lead") >= searched + 2


def test_a_filter_on_the_clock_is_compiled_each_time(client, boss, monkeypatch):
    now = dt.datetime(2026, 11, 24, 12, 0)
    records.create(boss, Task, {"content": "Soon", "due_at": now + dt.timedelta(hours=1)})
    login(client, boss.email)
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "task")
    due = next(
        key for key, (_i, flt) in view._filter_args.items() if type(flt) is task_list.DueFilter
    )
    url = f"/admin/task/?flt0_{due}=overdue"
    assert not list_sql.fixed(view, None, [(view._filter_args[due][0], "x", "overdue")])
    monkeypatch.setattr(task_list, "utcnow", lambda: now)
    page = client.get(url).get_data(as_text=True)
    assert "Soon" not in page
    monkeypatch.setattr(task_list, "utcnow", lambda: now + dt.timedelta(hours=2))
    assert "Soon" in client.get(url).get_data(as_text=True)  # now overdue


def test_held_statements_are_prepared_once_per_connection_on_postgresql(rt, boss):
    from peewee import PostgresqlDatabase

    if not isinstance(database.obj, PostgresqlDatabase):
        pytest.skip("prepared statements are PostgreSQL's (CI runs the suite there too)")
    records.create(boss, Lead, {"last_name": "Prepared"})
    sql = 'SELECT "last_name" FROM "lead" WHERE "last_name" = %s AND "id" > %s'
    connection = database.obj.connection()
    first = list_sql.run(sql, ("Prepared", 0)).fetchall()
    assert first == [("Prepared",)]
    assert len(list_sql._PREPARED[connection]) >= 1
    again = list_sql.run(sql, ("Nobody", 0)).fetchall()
    assert again == []
    (count,) = database.execute_sql(
        "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'accord_%%'"
    ).fetchone()
    assert count == len(list_sql._PREPARED[connection])
    # A literal percent sign, or a parameter PostgreSQL cannot type: run as they are.
    assert list_sql.run("SELECT 'a%%b' WHERE %s", (True,)).fetchall() == [("a%b",)]
    assert list_sql.run("SELECT %s + %s", (1, 2)).fetchall() == [(3,)]  # unknown + unknown
    assert "SELECT %s + %s" in list_sql._UNPREPARABLE
    assert database.execute_sql("SELECT 1").fetchall() == [(1,)]  # nothing left aborted


def test_the_count_reads_only_ids_in_the_pages_order(client, boss, monkeypatch):
    """The capped count walks the index the page walks (its ORDER BY) and asks for no
    column (SQLite then need not read them)."""
    for name in ("Able", "Baker"):
        records.create(boss, Lead, {"last_name": name})
    seen = compiled_statements(monkeypatch)
    login(client, boss.email)
    assert names(client, "/admin/lead/?sort=0&desc=1") == ["Baker", "Able"]
    statements = [database.get_sql_context().sql(q).query()[0] for q in seen]
    counts = [sql for sql in statements if sql.startswith("SELECT COUNT(1)")]
    assert len(counts) == 1, seen
    inner = counts[0].split("FROM (", 1)[1]
    assert inner.startswith("SELECT 1 FROM")
    assert 'ORDER BY "t1"."name" DESC, "t1"."id" DESC LIMIT' in inner, inner


def test_a_count_with_a_parameter_that_cannot_key_a_dict_is_counted_each_time():
    """The capped-count memo skips what it cannot hold (a list parameter) instead of
    failing the page."""
    sql, params = "SELECT COUNT(1) FROM x WHERE y = ANY(%s)", (["a", "b"],)
    assert not list_sql.capped_lately(sql, params)
    list_sql.note_count(sql, params, capped=True)  # nothing held, no error
    assert not list_sql.capped_lately(sql, params)
    held = ("SELECT COUNT(1) FROM x WHERE y = %s", ("a",))
    list_sql.note_count(*held, capped=True)
    assert list_sql.capped_lately(*held)
    list_sql.note_count(*held, capped=False)
    assert not list_sql.capped_lately(*held)
