"""Exports of the record lists (issue 7; SECURITY C14, C20, B7): what each user sees, the
list's filters, search and order, formula safety, CSV and XLSX, custom fields, the export
job with its progress and `export.finished`, the owner-only download, `accord export`."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from accord.admin.cli import cli
from accord.core import events, export, export_filters, export_jobs, export_paging
from accord.core.db import database
from accord.core.models import (
    Contact,
    Deal,
    Lead,
    OutboxEvent,
    Source,
    Status,
    Tag,
    Task,
    utcnow,
)
from accord.core.models.exports import ExportJob
from accord.core.services import custom_fields, records, tags
from tests.oracle import expected
from tests.web import login
from tests.world import MODEL_OF, build_world

LISTS = ("lead", "contact", "company", "deal", "task", "appointment", "note", "document")
DANGEROUS = ("=1+1", "+41 22", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "'=quoted")


def read_csv(data):
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    assert text.startswith("\ufeff"), "UTF-8 with BOM, for Excel"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def read_xlsx(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)], sheet


def as_dicts(rows):
    head = rows[0]
    return [dict(zip(head, row, strict=True)) for row in rows[1:]]


def client_of(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


def exported_ids(rows):
    return {int(r["id"]) for r in as_dicts(rows)}


# What each user sees -----------------------------------------------------------------------


def test_each_list_exports_exactly_what_each_user_may_see(app, tmp_path):
    world = build_world(upload_dir=tmp_path)
    gone = records.create(world.A, Lead, {"first_name": "Trashed", "last_name": "Lead"})
    records.delete(world.A, gone)
    for key in ("A", "M", "N1", "N4", "R"):
        user = world.users[key]
        client = client_of(app, user)
        for name in LISTS:
            response = client.get(f"/admin/{name}/export/csv/")
            if key == "R":
                assert response.status_code == 403, name  # restricted users do not export
                continue
            assert response.status_code == 200, (key, name)
            assert response.headers["Content-Disposition"].startswith("attachment")
            rows = read_csv(response.get_data())
            assert rows[0] == export.header(export.SPECS[name])
            model = MODEL_OF[name]
            query = model.select()
            if name in ("contact", "company"):
                query = query.where(Contact.is_organization == (name == "company"))
            want = {r.id for r in query if expected(user, "view", r)}
            assert exported_ids(rows) == want, (key, name)
            assert gone.id not in exported_ids(rows) or name != "lead"
    # The core rows themselves follow the oracle for every role, restricted too (B7).
    for key, user in world.users.items():
        for name in LISTS:
            spec = export.SPECS[name]
            got = {
                int(cells[0].text())
                for cells in export.rows(spec, user, export_filters.list_ids(spec, user))
            }
            model = MODEL_OF[name]
            query = model.select()
            if name in ("contact", "company"):
                query = query.where(Contact.is_organization == (name == "company"))
            assert got == {r.id for r in query if expected(user, "view", r)}, (key, name)


def test_export_follows_the_lists_search_filters_and_order(app):
    world = build_world()
    client = client_of(app, world.A)
    for n in range(3):
        records.create(world.A, Lead, {"first_name": f"Zed{n}", "last_name": "Searched"})
    rows = as_dicts(read_csv(client.get("/admin/lead/export/csv/?search=Searched").get_data()))
    assert sorted(r["first_name"] for r in rows) == ["Zed0", "Zed1", "Zed2"]

    hot = records.create(world.A, Deal, {"name": "Hot one", "value": "5", "hot": True})
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "deal")
    with app.test_request_context("/admin/deal/"):
        hot_arg = next(
            view.get_filter_arg(i, f) for i, f in enumerate(view._filters) if str(f.name) == "Hot"
        )
        value_sort = [c for c, _label in view._list_columns].index("value")
    rows = as_dicts(read_csv(client.get(f"/admin/deal/export/csv/?flt0_{hot_arg}=1").get_data()))
    assert [r["name"] for r in rows] == ["Hot one"]
    assert rows[0]["hot"] == "yes" and rows[0]["id"] == str(hot.id)

    records.create(world.A, Deal, {"name": "Big", "value": "99999"})
    records.create(world.A, Deal, {"name": "Small", "value": "1"})
    listed = client.get(f"/admin/deal/?sort={value_sort}&desc=1").get_data(as_text=True)
    body = client.get(f"/admin/deal/export/csv/?sort={value_sort}&desc=1").get_data()
    names = [r["name"] for r in as_dicts(read_csv(body))]
    assert names[0] == "Big" and names[-1] == "Small"
    assert names == sorted(names, key=listed.find)  # the list's own order
    # Parameters the list refuses, the export refuses too (SECURITY C15).
    assert client.get("/admin/deal/export/csv/?nope=1").status_code == 400
    assert client.get("/admin/deal/export/pdf/").status_code == 404


def test_keyset_paging_gives_every_row_once_in_order(rt):
    world = build_world()
    day = dt.date(2031, 1, 1)
    for n in range(11):
        close = None if n % 3 == 0 else day + dt.timedelta(days=n % 4)  # nulls and ties
        records.create(
            world.A, Deal, {"name": f"K{n}", "value": "1", "estimated_close_date": close}
        )
    spec = export.SPECS["deal"]
    ids = export_filters.list_ids(spec, world.A)
    for desc in (False, True):
        sort = export_paging.Sort("estimated_close_date", desc)
        paged = [
            r.id for chunk in export_paging.chunks(spec, world.A, ids, sort, size=2) for r in chunk
        ]
        everything = list(Deal.select().where(Deal.deleted_at.is_null()))
        dated = sorted(
            (d for d in everything if d.estimated_close_date),
            key=lambda d: (d.estimated_close_date, d.id),
            reverse=desc,
        )
        undated = sorted((d for d in everything if not d.estimated_close_date), key=lambda d: d.id)
        if desc:
            undated.reverse()
        assert paged == [d.id for d in dated + undated], desc


# Formula safety (C14) ----------------------------------------------------------------------


def test_formula_rule_is_exactly_undone_by_restore():
    for text in (*DANGEROUS, "", "'", "''", "'tis", "plain", "''=x", "-", "=", "a=b"):
        cell = export.protect(text)
        assert export.restore(cell) == text, text
        assert cell.lstrip("'")[:1] not in export.FORMULA_START or cell.startswith("'"), text
    assert export.protect("=1+1") == "'=1+1"
    assert export.protect("'=quoted") == "''=quoted"
    assert export.protect("'tis") == "'tis"
    assert export.restore("'tis") == "'tis"


@pytest.fixture
def numbered(rt):
    world = build_world()
    custom_fields.define(world.A, "contact", "score", "Score", "number")
    custom_fields.define(world.A, "contact", "motto", "Motto", "text")
    return world


def test_dangerous_cells_are_protected_in_csv_and_xlsx(app, numbered):
    world = numbered
    for n, text in enumerate(DANGEROUS):
        records.create(
            world.A,
            Contact,
            {"first_name": text, "last_name": f"Danger{n}", "custom": {"motto": "-5"}},
        )
    records.create(
        world.A, Contact, {"first_name": "Neg", "last_name": "Number", "custom": {"score": "-5"}}
    )
    client = client_of(app, world.N1)
    rows = read_csv(client.get("/admin/contact/export/csv/").get_data())
    cells = [c for row in rows for c in row]
    assert not any(c[:1] in export.FORMULA_START for c in cells if c != "-5")
    by_name = {r["last_name"]: r for r in as_dicts(rows)}
    for n, text in enumerate(DANGEROUS):
        row = by_name[f"Danger{n}"]
        assert row["first_name"] == "'" + text, text
        assert export.restore(row["first_name"]) == text
        assert row["custom.motto"] == "'-5"  # a text that looks like a number: protected
    assert by_name["Number"]["custom.score"] == "-5"  # a number field: a plain number

    data = client.get("/admin/contact/export/xlsx/").get_data()
    table, sheet = read_xlsx(data)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # no formula cell at all
    by_name = {r["last_name"]: r for r in as_dicts(table)}
    for n, text in enumerate(DANGEROUS):
        # XLSX holds no carriage return: a line feed stands for it (export.xlsx_text).
        want = export.xlsx_text(text)
        assert export.restore(by_name[f"Danger{n}"]["first_name"]) == want
    assert by_name["Number"]["custom.score"] == -5  # a numeric cell
    assert by_name["Danger0"]["custom.motto"] == "'-5"


def test_custom_fields_and_names_are_exported(app):
    world = build_world()
    custom_fields.define(
        world.A, "deal", "level", "Level", "dropdown", {"choices": ["Gold", "Silver"]}
    )
    custom_fields.define(world.A, "deal", "signed", "Signed", "date")
    custom_fields.define(world.A, "deal", "budget", "Budget", "currency", {"currency": "EUR"})
    Tag.create(name="VIP")
    Tag.create(name="Cold")
    source = Source.create(name="Fair")
    deal = records.create(
        world.A,
        Deal,
        {
            "name": "Custom deal",
            "value": "1250.50",
            "source": source.id,
            "estimated_close_date": dt.date(2031, 2, 3),
            "custom": {"level": "Gold", "signed": "2026-01-10", "budget": "300 USD"},
            "tags": ["VIP", "Cold"],
        },
        owner=world.N1.id,
    )
    client = client_of(app, world.N1)
    rows = as_dicts(read_csv(client.get("/admin/deal/export/csv/?search=Custom").get_data()))
    (row,) = rows
    assert row["custom.level"] == "Gold" and row["custom.signed"] == "2026-01-10"
    assert row["custom.budget"] == "300.00 USD"
    assert row["owner_email"] == "n1@world.test" and row["source"] == "Fair"
    assert row["pipeline"] == deal.pipeline.name and row["stage"] == deal.stage.name
    assert row["tags"] == "Cold, VIP" and row["value"] == "1250.50"
    assert row["estimated_close_date"] == "2031-02-03"
    assert row["created_at"] == deal.created_at.isoformat() + "Z"
    assert export.parse_datetime(row["created_at"]) == deal.created_at
    table, _sheet = read_xlsx(client.get("/admin/deal/export/xlsx/?search=Custom").get_data())
    (xrow,) = as_dicts(table)
    assert xrow["custom.level"] == "Gold" and Decimal(str(xrow["value"])) == Decimal("1250.5")


# The export job --------------------------------------------------------------------------------


@pytest.fixture
def small_direct(rt):
    rt.config.extra["export_direct_rows"] = 3
    yield rt
    rt.config.extra.pop("export_direct_rows", None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_big_export_runs_as_a_job_with_progress_and_a_notification_event(
    app, small_direct, fmt, monkeypatch
):
    world = build_world()
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    for n in range(7):
        records.create(world.A, Task, {"content": f"Job task {n}"})
    client = client_of(app, world.N1)
    response = client.get(f"/admin/task/export/{fmt}/?search=Job")
    assert response.status_code == 302
    job = ExportJob.get(ExportJob.user == world.N1.id)
    assert response.headers["Location"].endswith(f"/admin/exports/{job.id}/")
    # huey runs inline in tests (immediate mode): the job has run.
    assert (job.status, job.rows_done, job.rows_total) == ("done", 7, 7)
    assert job.filters["search"] == "Job" and job.list_key == "task"
    page = client.get(f"/admin/exports/{job.id}/").get_data(as_text=True)
    assert "100%" in page and f"/admin/exports/{job.id}/download/" in page
    assert "export_progress.js" in page
    state = client.get(f"/admin/exports/{job.id}/status.json").get_json()
    assert state["status"] == "done" and state["percent"] == 100 and state["rows_done"] == 7
    download = client.get(f"/admin/exports/{job.id}/download/")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    if fmt == "csv":
        rows = as_dicts(read_csv(download.get_data()))
    else:
        rows = as_dicts(read_xlsx(download.get_data())[0])
    assert sorted(r["content"] for r in rows) == [f"Job task {n}" for n in range(7)]
    event = OutboxEvent.get(OutboxEvent.type == "export.finished")
    assert event.record_id is None and event.actor_id == world.N1.id
    assert event.payload == {
        "job_id": job.id,
        "entity": "task",
        "rows": 7,
        "url": f"/admin/exports/{job.id}/",
    }
    assert client.get("/admin/exports/").status_code == 200

    # Another user (an admin too) gets a plain 404 for the page, its status and the file.
    for key in ("N4", "A"):
        other = client_of(app, world.users[key])
        for path in ("", "status.json", "download/"):
            assert other.get(f"/admin/exports/{job.id}/{path}").status_code == 404, (key, path)
    assert client.get("/admin/exports/999999/").status_code == 404
    assert app.test_client().get(f"/admin/exports/{job.id}/download/").status_code == 302


def test_progress_is_written_while_the_job_runs(rt, small_direct, monkeypatch):
    world = build_world()
    seen = []
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    real = export_jobs._progress

    def spy(job_id, done):
        real(job_id, done)
        seen.append(ExportJob.get_by_id(job_id).rows_done)

    monkeypatch.setattr(export_jobs, "_progress", spy)
    spec = export.SPECS["contact"]
    ids = export_filters.list_ids(spec, world.A)
    job = export_jobs.start(rt, world.A, spec, "csv", ids, export_paging.Sort("id", False))
    job = ExportJob.get_by_id(job.id)
    assert job.status == "done" and job.rows_total == job.rows_done == 5
    assert seen == [2, 4]
    # A job runs once: handing it out again does nothing.
    assert export_jobs.run(rt, job.id) is None


def test_a_failed_job_says_why(rt, small_direct):
    world = build_world()
    spec = export.SPECS["contact"]
    with database.atomic():
        job = ExportJob.create(
            user=world.A.id,
            list_key="contact",
            format="csv",
            query={"sql": "SELECT no_such_column FROM contact", "params": []},
        )
    assert export_jobs.run(rt, job.id) == "failed"
    job = ExportJob.get_by_id(job.id)
    assert job.status == "failed" and job.error and job.file_name == ""
    assert not OutboxEvent.select().where(OutboxEvent.type == "export.finished").exists()
    assert spec.entity == "contact"


# accord export ---------------------------------------------------------------------------------


@pytest.fixture
def accord(rt):
    saved_db, saved_dispatcher = database.obj, events._dispatcher
    env = {
        "ACCORD_HOME": str(rt.config.home),
        "ACCORD_DATABASE_URL": rt.config.database_url,
        "ACCORD_SECRET_KEY": "test-secret-key",
        "ACCORD_REDIS_URL": None,
        "ACCORD_PLUGINS": None,
        "ACCORD_SAFE_MODE": None,
    }

    def invoke(*args):
        return CliRunner().invoke(cli, list(args), env=env)

    yield invoke
    if database.obj is not saved_db and not database.is_closed():
        database.close()
    database.initialize(saved_db)
    events.set_dispatcher(saved_dispatcher)
    database.connect(reuse_if_open=True)


def test_the_command_line_export(accord, tmp_path):
    world = build_world()
    custom_fields.define(world.A, "contact", "score", "Score", "number")
    custom_fields.define(world.A, "contact", "motto", "Motto", "text")
    status = Status.select().where(Status.entity_kind == "contact").first()
    city = records.create(
        world.A,
        Contact,
        {
            "first_name": "=Cmd",
            "last_name": "Line",
            "city": "Oslo",
            "status": status.id,
            "custom": {"score": "7", "motto": "Carpe"},
        },
    )
    tags.set_tags(city, [Tag.create(name="Nordic")])
    target = tmp_path / "people.csv"
    result = accord("export", "contacts", str(target), "--as", "n1@world.test")
    assert result.exit_code == 0, result.output
    assert "exporting contact as n1@world.test" in result.output
    assert "exported 6 contact row(s)" in result.output
    rows = as_dicts(read_csv(target.read_bytes()))
    assert len(rows) == 6 and not list(tmp_path.glob("*.part"))
    assert {r["first_name"] for r in rows} >= {"'=Cmd", "Person"}

    result = accord("export", "contacts", str(tmp_path / "oslo.xlsx"), "--filter", "city=Oslo")
    assert result.exit_code == 0, result.output
    assert "as a@world.test" in result.output  # the first admin by default
    (row,) = as_dicts(read_xlsx((tmp_path / "oslo.xlsx").read_bytes())[0])
    assert row["first_name"] == "'=Cmd" and row["tags"] == "Nordic"

    out = tmp_path / "few.csv"
    for args, count in (
        (("--filter", "tags=Nordic"), 1),
        (("--filter", "owner_email=n3@world.test"), 1),
        (("--filter", "owner_email="), 1),
        (("--search", "Person OfN1"), 1),
        (("--filter", "custom.score=7"), 1),
        (("--filter", "custom.score=7.0", "--filter", "custom.motto=Carpe"), 1),
        (("--filter", "custom.motto=Nope"), 0),
        (("--filter", f"status={status.name}"), 1),
        (("--filter", "status="), 5),
    ):
        result = accord("export", "contacts", str(out), *args)
        assert result.exit_code == 0, (args, result.output)
        assert len(read_csv(out.read_bytes())) == count + 1, args

    refused = accord("export", "leads", str(out), "--as", "r@world.test")
    assert refused.exit_code == 1 and "not allowed" in refused.output
    bad = accord("export", "leads", str(out), "--filter", "nope=1")
    assert bad.exit_code != 0 and "unknown column" in bad.output
    unknown = accord("export", "leads", str(out), "--as", "ghost@world.test")
    assert unknown.exit_code == 1 and "no active user" in unknown.output


def test_sorted_by_a_custom_column_across_chunks(app, monkeypatch):
    world = build_world()
    custom_fields.define(world.A, "deal", "seats", "Seats", "number", show_in_list=True)
    for n, seats in enumerate(("30", "5", None, "100", "5", "-2", None)):
        custom = {"seats": seats} if seats else {}
        records.create(world.A, Deal, {"name": f"Seat{n}", "value": "1", "custom": custom})
    monkeypatch.setattr(export_paging, "CHUNK", 2)
    client = client_of(app, world.A)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "deal")
    with app.test_request_context("/admin/deal/"):
        column = [c for c, _label in view._list_columns].index("custom__seats")
    for desc in ("0", "1"):
        url = f"/admin/deal/export/csv/?search=Seat&sort={column}&desc={desc}"
        rows = as_dicts(read_csv(client.get(url).get_data()))
        seats = [r["custom.seats"] for r in rows]
        numbers = sorted((int(s) for s in seats if s), reverse=desc == "1")
        assert seats == [str(n) for n in numbers] + ["", ""], desc
        assert len({r["id"] for r in rows}) == 7


def test_a_job_keeps_the_lists_date_filter(app, small_direct):
    world = build_world()
    for n in range(6):
        due = dt.datetime(2032, 1, 1, 12, 0) + dt.timedelta(days=n)
        records.create(world.A, Task, {"content": f"Dated {n}", "due_at": due})
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "task")
    with app.test_request_context("/admin/task/"):
        arg = next(
            view.get_filter_arg(i, f)
            for i, f in enumerate(view._filters)
            if str(f.name) == "Due" and "Greater" in type(f).__name__
        )
    client = client_of(app, world.N1)
    response = client.get(f"/admin/task/export/csv/?flt0_{arg}=2032-01-02+00:00:00")
    assert response.status_code == 302
    job = ExportJob.get(ExportJob.user == world.N1.id)
    assert job.status == "done", job.error
    rows = as_dicts(read_csv(client.get(f"/admin/exports/{job.id}/download/").get_data()))
    assert sorted(r["content"] for r in rows) == [f"Dated {n}" for n in range(1, 6)]


def test_every_list_offers_export_with_its_current_arguments(app):
    world = build_world()
    client = client_of(app, world.N1)
    for name in LISTS:
        html = client.get(f"/admin/{name}/?search=Of").get_data(as_text=True)
        for fmt in export.FORMATS:
            assert f"/admin/{name}/export/{fmt}/?search=Of" in html, (name, fmt)
    restricted = client_of(app, world.R)
    assert "/export/csv/" not in restricted.get("/admin/lead/").get_data(as_text=True)


def test_the_sweep_hands_out_lost_jobs_fails_stalled_ones_and_removes_old_files(rt, small_direct):
    world = build_world()
    spec = export.SPECS["note"]
    ids = export_filters.list_ids(spec, world.N1)
    query = export_jobs.snapshot(ids, export_paging.Sort("id", False))
    long_ago = utcnow() - dt.timedelta(days=30)
    with database.atomic():
        lost = ExportJob.create(
            user=world.N1.id, list_key="note", format="csv", query=query, created_at=long_ago
        )
        fresh = ExportJob.create(user=world.N1.id, list_key="note", format="csv", query=query)
        stalled = ExportJob.create(
            user=world.N1.id,
            list_key="note",
            format="csv",
            query=query,
            status="running",
            started_at=long_ago,
        )
    export_jobs.sweep(rt)
    assert ExportJob.get_by_id(lost.id).status == "done"  # handed out again, and ran
    assert ExportJob.get_by_id(fresh.id).status == "pending"  # its enqueue may still come
    assert ExportJob.get_by_id(stalled.id).status == "failed"
    path = export_jobs.file_of(rt, ExportJob.get_by_id(lost.id))
    assert path.is_file()
    export_jobs.sweep(rt, now=utcnow() + export_jobs.KEEP_FILES + dt.timedelta(minutes=1))
    assert ExportJob.get_by_id(lost.id).status == "expired" and not path.exists()
    assert export_jobs.file_of(rt, ExportJob.get_by_id(lost.id)) is None
