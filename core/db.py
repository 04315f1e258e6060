"""The database, configured at run time (peewee's DatabaseProxy), and the write transaction."""

import contextlib
import threading

from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect, parse

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    # Writers wait for the lock instead of failing (SECURITY F30).
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -64000,
}


# Connections are pooled: a request (or job) takes one and gives it back, so SQLite keeps
# its parsed schema and page cache, and PostgreSQL skips a connect per request. Idle ones
# are closed after STALE_SECONDS.
STALE_SECONDS = 300
PG_MAX_CONNECTIONS = 32


def _pooled(url, scheme):
    return scheme + "+pool" + url[len(scheme) :] if not url.startswith(scheme + "+") else url


def make_database(url):
    """A peewee database for `url`; SQLite gets WAL, foreign keys and IMMEDIATE writes."""
    if url.startswith("sqlite"):
        # A deferred read-then-write fails at once under contention; IMMEDIATE waits.
        # A pooled connection moves between threads (one at a time: peewee keeps the
        # connection state per thread), hence check_same_thread off.
        db = connect(
            _pooled(url, "sqlite"),
            pragmas=SQLITE_PRAGMAS,
            lock_type="IMMEDIATE",
            check_same_thread=False,
            max_connections=None,
            stale_timeout=STALE_SECONDS,
        )
    elif url.startswith(("postgres", "postgresql")):
        # Like SQLite's busy_timeout: wait for a lock 10 s, then fail (→ 503), never hang.
        # Appended to any `options` the URL already carries (a search_path, say).
        given = parse(url).get("options", "")
        scheme = url.split(":", 1)[0].split("+", 1)[0]
        db = connect(
            _pooled(url, scheme),
            options=f"{given} -c lock_timeout=10000".strip(),
            max_connections=PG_MAX_CONNECTIONS,
            stale_timeout=STALE_SECONDS,
            timeout=10,  # waiting for a free pooled connection, then fail
        )
    else:
        db = connect(url)
    return db


def bind(url):
    """Point the models at `url` and return the concrete database."""
    db = make_database(url)
    database.initialize(db)
    return db


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


_local = threading.local()


def after_commit(callback):
    """Run `callback` once the outermost write transaction commits (now, if none is open)."""
    stack = getattr(_local, "callbacks", None)
    if stack is None:
        callback()
    else:
        stack.append(callback)


@contextlib.contextmanager
def write():
    """A write transaction (IMMEDIATE on SQLite); callbacks queued inside run after commit."""
    outermost = getattr(_local, "callbacks", None) is None
    if outermost:
        _local.callbacks = []
    try:
        with database.atomic():
            yield
    except BaseException:
        if outermost:
            _local.callbacks = None
        raise
    if outermost:
        callbacks, _local.callbacks = _local.callbacks, None
        for callback in callbacks:
            callback()
