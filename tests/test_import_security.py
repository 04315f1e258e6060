"""SECURITY-CHECKS G34-G37 on a 100,000-row file with 40 bad rows, through the real
`accord import` command (a subprocess on the test database), including `kill -9`."""

import csv
import os
import signal
import subprocess

import pytest

from accord.core.models import Activity, Contact, CustomField, OutboxEvent
from accord.plugins.import_csv import run
from accord.plugins.import_csv.models import ImportError_, ImportJob
from tests.test_worker import ACCORD_VARIABLES, accord_command, wait_for

ROWS = 100_000
HEADER = "First Name,Last Name,Email,Owner,Since,Notes"


def build_file(path):
    """CRLF lines behind a BOM; returns (expected errors {(line, column)}, good emails)."""
    bad = {}
    good = []
    lines = [HEADER]
    physical = 1  # the header's line
    kinds = ["email", "date", "owner", "duplicate", "newline", "columns", "utf8", "newline_ok"]
    bad_rows = {1000 + i * 2000: kinds[i % len(kinds)] for i in range(48)}
    for i in range(ROWS):
        physical += 1
        email = f"p{i}@example.com"
        row = [f"First{i}", f"Last{i}", email, "a@world.test", "2020-01-02", "note"]
        kind = bad_rows.get(i)
        if kind == "email":
            row[2] = f"p{i} at example.com"
            bad[(physical, "Email")] = kind
        elif kind == "date":
            row[4] = "2021-02-30"
            bad[(physical, "Since")] = kind
        elif kind == "owner":
            row[3] = "ghost@world.test"
            bad[(physical, "Owner")] = kind
        elif kind == "duplicate":
            row[2] = "p0@example.com"
            bad[(physical, "Email")] = kind
        elif kind == "newline":
            row[0] = f'"First\r\n{i}"'  # a line break inside a one-line field
            bad[(physical, "First Name")] = kind
            physical += 1
        elif kind == "columns":
            row.append("extra")
            bad[(physical, "")] = kind
        elif kind == "newline_ok":
            row[5] = '"a note\r\non two lines"'  # fine in a paragraph
            physical += 1
        if kind in (None, "newline_ok"):
            good.append(email)
        lines.append(",".join(row))
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    # Invalid UTF-8 in a few rows: the bytes of "Last{i}" of those rows are broken.
    for i, kind in bad_rows.items():
        if kind == "utf8":
            needle = f",Last{i},".encode()
            data = data.replace(needle, b",Last\xff\xfe,", 1)
    with open(path, "wb") as out:
        out.write(data)
    # The physical line of each utf8 row: recount from the file itself.
    text = data.decode("utf-8", errors="surrogateescape")
    for number, line in enumerate(text.split("\r\n"), start=1):
        if "\udcff" in line:
            email = line.split(",")[2]
            if email in good:
                good.remove(email)
            bad[(number, "Last Name")] = "utf8"
    return bad, good


@pytest.fixture
def setup(world, tmp_path):
    CustomField.create(entity_kind="contact", key="since", label="Since", type="date")
    path = tmp_path / "big.csv"
    bad, good = build_file(path)
    return path, bad, good


def cli_env(rt, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ACCORD_VARIABLES}
    env.update(
        ACCORD_HOME=str(tmp_path / "home"),
        ACCORD_DATABASE_URL=rt.config.database_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def accord_import(rt, tmp_path, *args):
    return subprocess.run(
        accord_command() + ["import", "contacts", *map(str, args), "--user", "a@world.test"],
        env=cli_env(rt, tmp_path),
        capture_output=True,
        text=True,
        timeout=800,
    )


def error_file(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def imported():
    return Contact.select().where(Contact.email.endswith("@example.com"))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_g34_dry_run_reports_every_bad_row_and_writes_nothing(rt, setup, tmp_path):
    path, bad, good = setup
    assert len(bad) >= 40
    counts = (Contact.select().count(), Activity.select().count(), OutboxEvent.select().count())
    result = accord_import(rt, tmp_path, path, "--dry-run", "--errors", tmp_path / "e.csv")
    assert result.returncode == 1, result.stderr
    assert f"would create {len(good):,}" in result.stdout
    assert counts == (
        Contact.select().count(),
        Activity.select().count(),
        OutboxEvent.select().count(),
    )
    job = ImportJob.get()
    reported = {(e.line, e.column) for e in ImportError_.select().where(ImportError_.job == job)}
    assert reported == set(bad)
    assert all(e.reason for e in ImportError_.select())
    lines = error_file(tmp_path / "e.csv")
    assert lines[0][:4] == ["line", "column", "reason", "First Name"]
    assert {(int(r[0]), r[1]) for r in lines[1:]} == set(bad) and len(lines) == 1 + len(bad)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_g35_g36_kill_resume_rerun_and_revert(rt, setup, tmp_path):
    path, bad, good = setup
    before = Contact.select().count()
    command = accord_command() + [
        "import",
        "contacts",
        str(path),
        "--user",
        "a@world.test",
        "--batch-size",
        "2000",
    ]
    proc = subprocess.Popen(
        command, env=cli_env(rt, tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(
            lambda: ImportJob.select().where(ImportJob.line_done > ROWS // 2).exists(),
            timeout=600,
            interval=0.05,
            what="half of the import committed",
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    half = ImportJob.get()
    assert half.status == "running" and half.created < len(good)
    # The same command again resumes the interrupted job from its last committed batch.
    result = accord_import(rt, tmp_path, path, "--errors", tmp_path / "e.csv")
    assert result.returncode == 1 and "resuming job" in result.stderr
    job = ImportJob.get_by_id(half.id)
    assert (job.status, job.created, job.failed) == ("done", len(good), len(bad))
    assert ImportJob.select().count() == 1
    # Exactly the rows of an uninterrupted run: every good row once, no bad row.
    emails = [c.email for c in imported()]
    assert len(emails) == len(set(emails)) and set(emails) == set(good)
    reported = [(e.line, e.column) for e in ImportError_.select()]
    assert sorted(reported) == sorted(bad)  # each reported once, none lost in the crash
    assert len(error_file(tmp_path / "e.csv")) == 1 + len(bad)
    # Rerunning the same import creates nothing new.
    again = accord_import(rt, tmp_path, path)
    assert again.returncode == 0 and "already imported" in again.stdout
    forced = accord_import(rt, tmp_path, path, "--again")
    assert forced.returncode == 1 and "created 0," in forced.stdout
    assert imported().count() == len(good)
    # Reverted: removes exactly what the import created.
    removed, _restored = run.revert(rt_admin(), ImportJob.get_by_id(job.id))
    assert removed == len(good) and Contact.select().count() == before


def rt_admin():
    from accord.core.models import User

    return User.get(User.email == "a@world.test")


def test_g37_rights_of_the_importing_user(world, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "Name,Email,Owner,City\n"
        "Ann Lee,ann@example.com,n1@world.test,Oslo\n"  # N1 reports to M: allowed
        "Bo Ek,bo@example.com,n4@world.test,Rome\n"  # N4 does not: refused
        "Cy Po,cy@example.com,,Bern\n",
        encoding="utf-8",
    )
    manager = world.users["M"]
    job = run.run(run.prepare(manager, "contact", path).id)
    assert (job.created, job.failed) == (2, 1)
    assert Contact.get(Contact.email == "ann@example.com").owner_id == world.users["N1"].id
    assert Contact.get(Contact.email == "cy@example.com").owner_id == manager.id
    error = ImportError_.get()
    assert (error.line, error.column) == (3, "Owner") and "may not assign" in error.reason
    # Forbidden columns: a field that is never taken from input cannot be mapped.
    for target in ("created_at", "updated_at", "deleted_at", "custom"):
        with pytest.raises(run.ValidationError):
            run.prepare(manager, "contact", path, mapping=["full_name", "email", target, None])
    # Matching for an update sees only what the importer may see: a trashed contact
    # is not updated.
    Contact.update(deleted_at=Contact.created_at).where(Contact.email == "cy@example.com").execute()
    path.write_text("Name,Email,City\nCy Po,cy@example.com,Lima\n", encoding="utf-8")
    job = run.run(run.prepare(manager, "contact", path, mode="update").id)
    assert (job.updated, job.failed) == (0, 1)
    # Restricted and normal users may not import at all (DESIGN §5 policy table).
    for key in ("R", "N1"):
        with pytest.raises(run.Forbidden):
            run.prepare(world.users[key], "contact", path)


def test_the_cli_refuses_a_user_who_may_not_import(rt, world, tmp_path):
    """`accord import --user` of a restricted or normal user (DESIGN §5) stops with the
    reason before reading the file; no job, no record."""
    path = tmp_path / "p.csv"
    path.write_text("Name,Email\nAnn Lee,ann@example.com\n", encoding="utf-8")
    for email in ("r@world.test", "n1@world.test"):
        proc = subprocess.run(
            accord_command() + ["import", "contacts", str(path), "--user", email],
            env=cli_env(rt, tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode != 0, proc.stdout
        assert f"{email}: Your role may not import records" in proc.stderr
    assert ImportJob.select().count() == 0
    assert not Contact.select().where(Contact.email == "ann@example.com").exists()
