"""A held write lock: writers wait, or answer 503 + Retry-After; never 500, never half a write
(SECURITY F30). The lock is real: a second connection to the same database holds it."""

import contextlib
import os
import sqlite3
import threading
import time

import pytest
from peewee import OperationalError

from accord.admin.security import is_lock_error
from accord.core.db import SQLITE_PRAGMAS, database
from accord.core.models import Lead, LoginThrottle, User
from accord.core.services import records, users
from tests.web import csrf_token, login
from tests.world import PASSWORD, make_user

TEST_URL = os.environ.get("ACCORD_TEST_DATABASE_URL") or "sqlite"
on_sqlite = pytest.mark.skipif(
    not TEST_URL.startswith("sqlite"), reason="SQLite file locking (the PostgreSQL case is below)"
)
on_postgres = pytest.mark.skipif(
    not TEST_URL.startswith("postgres"), reason="needs ACCORD_TEST_DATABASE_URL=postgresql://..."
)


@contextlib.contextmanager
def sqlite_write_lock(path, release_after=None):
    """BEGIN IMMEDIATE on a second connection; committed after `release_after` seconds."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=5, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    timer = None
    if release_after is not None:
        timer = threading.Timer(release_after, conn.execute, ("COMMIT",))
        timer.start()
    try:
        yield conn
    finally:
        if timer is not None:
            timer.join()
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def logged_in(client):
    return client.get("/logout").status_code == 200


@pytest.fixture
def sqlite_path(rt):
    return rt.db.database


@pytest.fixture
def short_busy_timeout(rt):
    """Give up on the lock after 0.2 s instead of 10 s, on this and every new connection."""
    rt.db.pragma("busy_timeout", 200, permanent=True)
    yield
    rt.db.pragma("busy_timeout", SQLITE_PRAGMAS["busy_timeout"], permanent=True)


@on_sqlite
def test_f30_service_write_waits_for_the_lock(rt, sqlite_path):
    user = make_user("Q", "normal")
    with sqlite_write_lock(sqlite_path, release_after=0.7):
        # Reads go on during the lock (WAL).
        assert User.get_by_id(user.id).email == "q@world.test"
        start = time.monotonic()
        users.end_sessions(user)
        records.create(user, Lead, {"first_name": "Waited", "last_name": "Patiently"})
        waited = time.monotonic() - start
    assert waited >= 0.5
    assert User.get_by_id(user.id).session_version == user.session_version + 1
    assert Lead.select().where(Lead.first_name == "Waited").count() == 1


@on_sqlite
def test_f30_request_waits_for_the_lock(client, rt, sqlite_path):
    user = make_user("Q", "normal")
    login(client, "q@world.test")
    token = csrf_token(client, "/logout")
    with sqlite_write_lock(sqlite_path, release_after=0.7):
        r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302
    assert User.get_by_id(user.id).session_version == user.session_version + 1
    assert not logged_in(client)


@on_sqlite
def test_f30_lock_past_the_timeout_is_503_and_writes_nothing(
    app, client, rt, sqlite_path, short_busy_timeout
):
    user = make_user("Q", "normal")
    login(client, "q@world.test")
    logout_token = csrf_token(client, "/logout")
    other = app.test_client()
    login_token = csrf_token(other, "/login")
    # Test setup: forget the first login, so a login during the lock would show.
    User.update(last_login_at=None).where(User.id == user.id).execute()

    with sqlite_write_lock(sqlite_path):
        r = client.post("/logout", data={"csrf_token": logout_token})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "2"
        body = r.get_data(as_text=True)
        assert "busy" in body.lower() and "Traceback" not in body and "locked" not in body

        ajax = client.post(
            "/logout",
            data={"csrf_token": logout_token},
            headers={"X-Requested-With": "XMLHttpRequest"},
        )
        assert ajax.status_code == 503 and ajax.is_json

        # A right password during the lock: no login, no half-written login.
        r = other.post(
            "/login",
            data={"email": "q@world.test", "password": PASSWORD, "csrf_token": login_token},
        )
        assert r.status_code == 503

    fresh = User.get_by_id(user.id)
    assert fresh.session_version == user.session_version
    assert fresh.last_login_at is None
    assert LoginThrottle.select().count() == 0
    assert logged_in(client)
    assert not logged_in(other)

    # Lock gone: the same requests succeed.
    assert client.post("/logout", data={"csrf_token": logout_token}).status_code == 302
    assert User.get_by_id(user.id).session_version == user.session_version + 1


def test_f30_other_database_errors_are_not_disguised_as_busy():
    assert is_lock_error(OperationalError("database is locked"))
    assert is_lock_error(OperationalError("canceling statement due to lock timeout"))
    assert not is_lock_error(OperationalError("no such table: lead"))


@on_postgres
def test_f30_postgres_lock_timeout_is_503_and_writes_nothing(client, rt, monkeypatch):
    import psycopg2

    user = make_user("Q", "normal")
    login(client, "q@world.test")
    token = csrf_token(client, "/logout")
    # New connections (one per request) give up on a row lock after 0.3 s.
    monkeypatch.setitem(rt.db.connect_params, "options", "-c lock_timeout=300")
    database.close()

    locker = psycopg2.connect(TEST_URL)
    try:
        with locker.cursor() as cur:
            cur.execute('SELECT id FROM "user" WHERE id = %s FOR UPDATE', (user.id,))
        r = client.post("/logout", data={"csrf_token": token})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "2"
    finally:
        locker.rollback()
        locker.close()
    assert User.get_by_id(user.id).session_version == user.session_version
    assert logged_in(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert User.get_by_id(user.id).session_version == user.session_version + 1


@on_postgres
def test_postgres_url_options_are_kept_beside_the_lock_timeout():
    from accord.core.db import make_database

    url = os.environ["ACCORD_TEST_DATABASE_URL"]
    sep = "&" if "?" in url else "?"
    db = make_database(f"{url}{sep}options=-csearch_path%3Daccord_probe")
    try:
        assert db.execute_sql("SHOW search_path").fetchone()[0] == "accord_probe"
        assert db.execute_sql("SHOW lock_timeout").fetchone()[0] == "10s"
    finally:
        db.close()
