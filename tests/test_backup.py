"""Online backup while the database is being written (SECURITY F33), and the checks a
backup file must pass before `restore` accepts it."""

import sqlite3
import threading
import time

import pytest

from accord.core import backup
from accord.core import runtime as core_runtime
from accord.core.config import Config
from accord.core.db import database
from accord.core.migrations import CORE_MIGRATIONS
from accord.core.models import Contact
from accord.core.services import records, users
from tests.test_worker import Instance, local_runtime


@pytest.fixture
def instance(tmp_path):
    return Instance(tmp_path)


def test_backup_while_writing_is_consistent_and_bootable(instance, tmp_path):
    copy = tmp_path / "copy.db"
    with local_runtime(instance, jobs_immediate=True) as rt:
        rt.migrate(log=lambda *_: None)
        admin = users.create_user(None, "admin@backup.test", role="admin")
        # Some bulk first, so the copy takes more than an instant.
        from accord.core.demo import generate

        generate(contacts=3000, deals=500, seed=1, log=lambda *_: None)

        stop, written, errors = threading.Event(), [], []

        def writer():
            database.connect(reuse_if_open=True)
            try:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        records.create(admin, Contact, {"first_name": "W", "last_name": str(n)})
                        written.append(n)
                    except Exception as exc:  # any failed write fails the test below
                        errors.append(repr(exc))
            finally:
                database.close()

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            time.sleep(0.5)  # the writer is committing continuously
            before = Contact.select().count()
            info = backup.backup(instance.database_url, copy)
            after = Contact.select().count()
            time.sleep(0.5)
        finally:
            stop.set()
            thread.join(30)
        assert not errors, errors[:3]
        assert len(written) > 20 and after > before  # writes really overlapped the copy
        assert info["path"] == copy and info["bytes"] > 0

    # The copy: intact, a complete Accord schema, and a runtime boots on it.
    checked = backup.inspect(copy)
    assert checked["integrity"] == "ok"
    assert checked["schema"] == [("core", m.version, "done") for m in CORE_MIGRATIONS]
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    conn.close()
    saved = database.obj
    try:
        rt = core_runtime.build(
            Config.from_env(
                {"ACCORD_HOME": str(tmp_path / "boot")},
                database_url=f"sqlite:///{copy}",
                safe_mode=True,
            )
        )
        with rt.db.connection_context():
            rt.check_schema()
            in_copy = Contact.select().count()
    finally:
        database.initialize(saved)
    assert before <= in_copy <= after


def test_backup_refuses_to_overwrite_the_live_database(instance):
    with local_runtime(instance) as rt:
        rt.migrate(log=lambda *_: None)
    live = backup.sqlite_path(instance.database_url)
    with pytest.raises(backup.BackupError, match="must not be the live database"):
        backup.backup(instance.database_url, live)
    assert backup.inspect(live)["integrity"] == "ok"


def test_a_failed_backup_leaves_the_previous_file(instance, tmp_path):
    target = tmp_path / "keep.db"
    target.write_bytes(b"previous backup")
    with pytest.raises(backup.BackupError, match="no database here yet"):
        backup.backup(instance.database_url, target)  # never migrated: no live file
    assert target.read_bytes() == b"previous backup"
    assert not list(tmp_path.glob(".keep.db.*"))


def test_inspect_rejects_a_corrupted_copy(instance, tmp_path):
    with local_runtime(instance) as rt:
        rt.migrate(log=lambda *_: None)
    copy = backup.backup(instance.database_url, tmp_path / "good.db")["path"]
    data = bytearray(copy.read_bytes())
    page = 4096
    # Scribble over the b-tree page headers; the file header (page 1) stays valid.
    for start in range(page, len(data), page):
        data[start : start + 12] = b"\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    bad = tmp_path / "bad.db"
    bad.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError, match="integrity check failed|not a usable"):
        backup.inspect(bad)


def test_dump_hint_masks_the_password():
    hint = backup.dump_hint("postgres://app:pa%40ss@10.0.0.5/crm", "/backups/crm.dump")
    assert (
        "pg_dump --format=custom --file=/backups/crm.dump --host=10.0.0.5 --username=app crm"
        in hint
    )
    assert "pa%40ss" not in hint and "pa@ss" not in hint
    assert backup.mask_url("postgresql://u:secret@h:1/d") == "postgresql://u:***@h:1/d"
    assert backup.mask_url("sqlite:////x/accord.db") == "sqlite:////x/accord.db"
