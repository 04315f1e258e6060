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


def make_database(url):
    """A peewee database for `url`; SQLite gets WAL, foreign keys and IMMEDIATE writes."""
    if url.startswith("sqlite"):
        # A deferred read-then-write fails at once under contention; IMMEDIATE waits.
        db = connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=10)
    elif url.startswith(("postgres", "postgresql")):
        # Like SQLite's busy_timeout: wait for a lock 10 s, then fail (→ 503), never hang.
        # Appended to any `options` the URL already carries (a search_path, say).
        given = parse(url).get("options", "")
        db = connect(url, options=f"{given} -c lock_timeout=10000".strip())
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
