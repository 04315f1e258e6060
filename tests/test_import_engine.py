"""The importer's engine: modes, duplicates, dry run, resume, revert, rights (G34-G37)."""

from decimal import Decimal

import pytest

from accord.core.models import Activity, Contact, CustomField, OutboxEvent
from accord.core.services.errors import Forbidden
from accord.plugins.import_csv import run
from accord.plugins.import_csv.models import ImportError_, ImportJob

HEADER = "First Name,Last Name,Email,Company,Owner,Birthday\n"


def write(tmp_path, text, name="people.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def birthday(rt):
    return CustomField.create(entity_kind="contact", key="birthday", label="Birthday", type="date")


def do_import(user, path, **kwargs):
    run_kwargs = {k: kwargs.pop(k) for k in ("batch_size", "stop_after_batches") if k in kwargs}
    job = run.prepare(user, "contact", path, **kwargs)
    return run.run(job.id, **run_kwargs)


def test_create_contacts_with_companies_owner_custom_and_log(world, birthday, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "Ann,Lee,ann@example.com,Acme,m@world.test,1990-05-01\n"
        + "Bob,Ray,bob@example.com,Acme,,\n"
        + "Cy,Oz,not-an-email,,,\n"
        + "Di,Ek,di@example.com,,nobody@x.test,\n"
        + "Ed,Fu,ed@example.com,,,2023-02-30\n",
    )
    admin = world.users["A"]
    before_outbox = OutboxEvent.select().count()
    job = do_import(admin, path)
    assert (job.created, job.updated, job.failed) == (2, 0, 3)
    ann = Contact.get(Contact.email == "ann@example.com")
    assert ann.name == "Ann Lee" and ann.owner_id == world.users["M"].id
    assert ann.custom == {"birthday": "1990-05-01"}
    acme = ann.organization
    assert acme.is_organization and acme.name == "Acme"
    assert Contact.get(Contact.email == "bob@example.com").organization_id == acme.id
    assert Contact.get(Contact.email == "bob@example.com").owner_id == admin.id
    errors = {(e.line, e.column): e.reason for e in ImportError_.select()}
    assert set(errors) == {(4, "Email"), (5, "Owner"), (6, "Birthday")}
    assert (
        Activity.select().where(Activity.record_id == ann.id, Activity.verb == "created").exists()
    )
    types = [e.type for e in OutboxEvent.select().order_by(OutboxEvent.id)][before_outbox:]
    assert "contact.imported" in types and types[-1] == "import.finished"
    finished = OutboxEvent.select().where(OutboxEvent.type == "import.finished").get()
    assert finished.payload["created"] == 2 and finished.payload["failed"] == 3
    assert finished.actor_id == admin.id and finished.record_id is None


def test_dry_run_writes_no_record(world, birthday, tmp_path):
    path = write(tmp_path, HEADER + "Ann,Lee,ann@example.com,Acme,,\nCy,Oz,bad,,,\n")
    counts = (Contact.select().count(), Activity.select().count(), OutboxEvent.select().count())
    job = do_import(world.users["A"], path, dry_run=True)
    assert (job.created, job.failed) == (1, 1)
    assert counts == (
        Contact.select().count(),
        Activity.select().count(),
        OutboxEvent.select().count(),
    )


def test_duplicates_in_file_and_database_and_rerun(world, tmp_path):
    path = write(
        tmp_path,
        "Name,Email\nAnn Lee,ann@example.com\nAnn Again,ANN@example.com\nBo Ek,bo@example.com\n",
    )
    job = do_import(world.users["A"], path)
    assert (job.created, job.failed) == (2, 1)
    assert ImportError_.get().reason.startswith("Duplicate of line 2")
    # Importing the same rows again creates nothing: each is already in the database.
    again = do_import(world.users["A"], path)
    assert again.created == 0 and again.failed == 3
    assert Contact.select().where(Contact.email.endswith("@example.com")).count() == 2


def test_update_and_upsert_then_revert(world, tmp_path):
    admin = world.users["A"]
    do_import(admin, write(tmp_path, "Name,Email,City\nAnn Lee,ann@example.com,Paris\n"))
    ann = Contact.get(Contact.email == "ann@example.com")
    path = write(
        tmp_path,
        "Name,Email,City\nAnn Lee,ann@example.com,Lyon\nNew One,new@example.com,Rome\n",
        name="second.csv",
    )
    only = do_import(admin, path, mode="update")
    assert (only.created, only.updated, only.failed) == (0, 1, 1)
    assert Contact.get_by_id(ann.id).city == "Lyon"
    job = do_import(admin, path, mode="upsert")
    assert (job.created, job.updated) == (1, 0)  # Ann is already Lyon: nothing to change
    run.revert(admin, ImportJob.get_by_id(job.id))
    assert not Contact.select().where(Contact.email == "new@example.com").exists()
    run.revert(admin, ImportJob.get_by_id(only.id))
    assert Contact.get_by_id(ann.id).city == "Paris"


def test_resume_after_a_crash_gives_the_same_rows(world, tmp_path):
    lines = "".join(f"P{i},Q{i},p{i}@example.com,Zq{i % 7},,\n" for i in range(50))
    path = write(tmp_path, HEADER + lines + "Bad,Row,bad,,,\n")
    admin = world.users["A"]
    job = run.prepare(admin, "contact", path)
    with pytest.raises(run.Stop):
        run.run(job.id, batch_size=10, stop_after_batches=2)
    half = ImportJob.get_by_id(job.id)
    assert half.status == "running" and 0 < half.created < 50
    done = run.run(job.id, batch_size=10)
    assert (done.created, done.failed) == (50, 1)
    assert Contact.select().where(Contact.email.endswith("@example.com")).count() == 50
    assert Contact.select().where(Contact.name.startswith("Zq")).count() == 7
    assert run.run(job.id).created == 50  # a finished job runs no more


def test_rights_of_the_importer(world, tmp_path):
    path = write(tmp_path, "Name,Email,Owner\nAnn Lee,ann@example.com,n4@world.test\n")
    for key in ("R", "N1"):
        with pytest.raises(Forbidden):
            run.prepare(world.users[key], "contact", path)
    # A manager assigns only to their team: N4 does not report to M.
    job = do_import(world.users["M"], path)
    assert job.created == 0 and "may not assign" in ImportError_.get().reason


def test_upsert_by_an_external_id_custom_field(world, tmp_path):
    CustomField.create(entity_kind="contact", key="ext_id", label="External ID", type="text")
    admin = world.users["A"]
    do_import(admin, write(tmp_path, "Name,External ID,City\nAnn Lee,X1,Paris\nBo Ek,X2,Rome\n"))
    path = write(tmp_path, "Name,External ID,City\nAnn Lee,X1,Oslo\nCy Po,X3,Bern\n", "b.csv")
    job = do_import(admin, path, mode="upsert", match_by="custom.ext_id")
    assert (job.created, job.updated, job.failed) == (1, 1, 0)
    assert Contact.get(Contact.name == "Ann Lee").city == "Oslo"
    assert Contact.get(Contact.name == "Ann Lee").custom == {"ext_id": "X1"}


def _import(user, entity, path, **kwargs):
    return run.run(run.prepare(user, entity, path, **kwargs).id)


def test_companies_leads_deals_and_tasks(world, tmp_path):
    from accord.core.models import Deal, Lead, Pipeline, Stage, Task

    admin = world.users["A"]
    job = _import(
        admin, "company", write(tmp_path, "Company,Website\nZeta Ltd,zeta.test\n", "c.csv")
    )
    zeta = Contact.get(Contact.name == "Zeta Ltd")
    assert job.created == 1 and zeta.is_organization and zeta.website == "zeta.test"
    job = _import(
        admin,
        "lead",
        write(tmp_path, "Organization,Email,Status\nYota Inc,y@example.com,Active\n", "l.csv"),
    )
    lead = Lead.get(Lead.email == "y@example.com")
    assert job.created == 1 and lead.name == "Yota Inc" and lead.status.name == "Active"
    pipeline = Pipeline.get()
    won = Stage.get((Stage.pipeline == pipeline) & (Stage.category == "won"))
    text = (
        "Deal name,Value,Currency,Pipeline,Stage,Contact,Close date\n"
        f"Big one,1250.50,USD,{pipeline.name},{won.name},Zeta Ltd,2026-12-01\n"
        "Small one,10,EUR,,,,\n"
        "Bad stage,5,EUR,,Nowhere,,\n"
        "Bad value,ten,EUR,,,,\n"
    )
    job = _import(admin, "deal", write(tmp_path, text, "d.csv"))
    assert (job.created, job.failed) == (2, 2)
    big = Deal.get(Deal.name == "Big one")
    assert Decimal(big.value) == Decimal("1250.50") and big.currency == "USD"
    assert big.stage_id == won.id and big.pipeline_id == pipeline.id and big.closed_at
    assert big.contact_id == zeta.id and str(big.estimated_close_date) == "2026-12-01"
    small = Deal.get(Deal.name == "Small one")
    assert small.stage.category == "active" and small.closed_at is None
    reasons = sorted(e.column for e in ImportError_.select().where(ImportError_.job == job))
    assert reasons == ["Stage", "Value"]
    job = _import(
        admin,
        "task",
        write(
            tmp_path,
            "Subject,Due date,Done,Assignee\nCall Zeta,2026-12-01 10:00,yes,m@world.test\n",
            "t.csv",
        ),
    )
    task = Task.get(Task.content == "Call Zeta")
    assert job.created == 1 and task.done and task.done_at and task.owner_id == world.users["M"].id
    assert task.creator_id == admin.id and task.due_at.hour == 10


def test_a_saved_mapping_is_reused(world, tmp_path):
    from accord.plugins.import_csv import mappings

    admin = world.users["A"]
    header = ["Col A", "Col B"]
    mappings.save(admin, "contact", "odd file", header, ["full_name", "email"])
    path = write(tmp_path, "Col A,Col B\nAnn Lee,ann@example.com\n")
    mapping = mappings.apply_saved("contact", "odd file", path)
    assert mapping == ["full_name", "email"]
    assert _import(admin, "contact", path, mapping=mapping).created == 1


def test_the_export_header_row_reads_back(world, birthday, tmp_path):
    """Accord's export writes field keys, owner_email, names of linked records,
    custom.<key>, ISO dates and an apostrophe before formula-like text."""
    admin = world.users["A"]
    header = (
        "id,name,first_name,last_name,email,phone,owner_email,organization,"
        "custom.birthday,created_at,updated_at,tags\n"
    )
    text = header + (
        ",Ann Lee,Ann,Lee,ann@example.com,'+44 20 7946 0958,m@world.test,Acme,1990-05-01,"
        "2026-01-01T10:00:00Z,2026-01-01T10:00:00Z,\n"
    )
    job = _import(admin, "contact", write(tmp_path, text, "export.csv"))
    assert (job.created, job.failed) == (1, 0)
    ann = Contact.get(Contact.email == "ann@example.com")
    assert ann.phone == "+44 20 7946 0958" and ann.owner_id == world.users["M"].id
    assert ann.organization.name == "Acme" and ann.custom == {"birthday": "1990-05-01"}
    # The same export row, now with its id, updates that record (and changes nothing).
    again = text.replace("\n,Ann Lee", f"\n{ann.id},Ann Lee").replace("Lee,ann@", "Leigh,ann@")
    job = _import(
        admin, "contact", write(tmp_path, again, "export2.csv"), mode="update", match_by="id"
    )
    assert (job.created, job.updated, job.failed) == (0, 1, 0)
    assert Contact.get_by_id(ann.id).last_name == "Leigh"
    assert Contact.get_by_id(ann.id).name == "Ann Leigh"


def test_a_job_whose_worker_died_is_resumed_by_the_periodic_task(rt, world, tmp_path):
    import datetime as dt

    lines = "".join(f"P{i},Q{i},p{i}@example.com,,,\n" for i in range(30))
    job = run.prepare(world.users["A"], "contact", write(tmp_path, HEADER + lines))
    with pytest.raises(run.Stop):
        run.run(job.id, batch_size=10, stop_after_batches=1)
    assert run.stalled() == []  # it wrote a batch just now
    ImportJob.update(heartbeat_at=dt.datetime(2020, 1, 1)).where(ImportJob.id == job.id).execute()
    assert run.stalled() == [job.id]
    rt.tasks["import_csv.resume"]()  # immediate mode: runs the sweep and the job inline
    assert ImportJob.get_by_id(job.id).status == "done"
    assert Contact.select().where(Contact.email.endswith("@example.com")).count() == 30


def test_tags_on_create_update_and_revert(world, tmp_path):
    from accord.core.models import RecordTag, Tag
    from accord.core.services import tags as tag_service

    for name in ("VIP", "Cold, maybe", "Late"):
        Tag.create(name=name)
    admin = world.users["A"]

    def names(email):
        record = Contact.get(Contact.email == email)
        return tag_service.names_by_record("contact", [record.id]).get(record.id, [])

    path = write(
        tmp_path,
        'Name,Email,Tags\nAnn Lee,ann@example.com,"Cold, maybe, VIP"\n'
        "Bo Ek,bo@example.com,\nCy Oz,cy@example.com,Nope\n",
    )
    job = do_import(admin, path)
    assert (job.created, job.failed) == (2, 1)
    assert names("ann@example.com") == ["Cold, maybe", "VIP"] and names("bo@example.com") == []
    assert "Unknown tag: Nope" in ImportError_.get().reason
    path = write(tmp_path, "Name,Email,Tags\nAnn Lee,ann@example.com,Late\n", "u.csv")
    update = do_import(admin, path, mode="upsert")
    assert update.updated == 1 and names("ann@example.com") == ["Late"]
    run.revert(admin, update)
    assert names("ann@example.com") == ["Cold, maybe", "VIP"]
    run.revert(admin, ImportJob.get_by_id(job.id))
    assert RecordTag.select().count() == 0


def test_postgres_planner_statistics_follow_the_import(world, tmp_path):
    """Without fresh statistics PostgreSQL planned each batch's match lookup as a scan
    of the whole table (autovacuum may be off, and never runs inside a long import)."""
    from accord.core.db import database
    from accord.plugins.import_csv import writing

    if not writing.is_postgres():
        pytest.skip("PostgreSQL only: SQLite's planner needs no statistics here")

    def analyzed():
        database.execute_sql("SELECT pg_stat_clear_snapshot()")
        sql = "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'contact'"
        return database.execute_sql(sql).fetchone()[0]

    database.execute_sql("ANALYZE contact")  # the planner's count: the few world records
    before = analyzed()
    rows = "".join(f"P{i},Q,p{i}@example.com\n" for i in range(6_000))
    job = do_import(world.users["A"], write(tmp_path, "First Name,Last Name,Email\n" + rows))
    assert job.created == 6_000
    assert analyzed() > before


def test_a_deal_import_leaves_the_deal_totals_compact(world, tmp_path):
    """Every imported deal rewrites its summary row (the triggers of deal_totals): on
    PostgreSQL the import ends by rewriting that table without the dead versions, so
    per-stage counts read a few pages, not megabytes. Elsewhere there is nothing to do."""
    from accord.core import deal_totals
    from accord.core.db import database
    from accord.core.models import Stage
    from accord.plugins.import_csv import writing

    def pages():
        sql = "SELECT pg_relation_size('deal_totals') / current_setting('block_size')::int"
        return database.execute_sql(sql).fetchone()[0]

    if not writing.is_postgres():
        assert deal_totals.compact() is False
        return
    admin = world.users["A"]
    stage_ids = [s.id for s in Stage.select()]
    rows = "".join(f"Deal {i},{i},EUR\n" for i in range(3_000))
    job = _import(admin, "deal", write(tmp_path, "Deal name,Value,Currency\n" + rows, "d.csv"))
    assert job.created == 3_000
    assert pages() <= 2  # a few rows per stage and owner; 3,000 versions took 20+ pages
    counts = deal_totals.counts(admin, stage_ids)
    # Bloat it again through the triggers, then compact it by hand: same counts, fewer pages.
    for _ in range(3):
        database.execute_sql("UPDATE deal SET value = value + 1 WHERE name LIKE 'Deal %%'")
    bloated = pages()
    assert deal_totals.compact() is True
    assert pages() < bloated and deal_totals.counts(admin, stage_ids) == counts
