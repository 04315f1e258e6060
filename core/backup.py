"""Online backup and restore of the SQLite database (DESIGN.md §8, SECURITY F33).

SQLite's backup API copies a consistent snapshot while the server keeps writing (WAL:
the copy's read transaction does not block writers). PostgreSQL and MySQL have their own
dump tools; for them `dump_hint()` prints the exact command for the configured URL.
"""

import os
import shlex
import sqlite3
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

SCHEMA_TABLE = "accord_schema"
BUSY_TIMEOUT_MS = 10000


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why and what to do."""


def sqlite_path(database_url):
    """The file of a `sqlite:///…` URL, or None for other databases and `:memory:`."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def _connect(path):
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def inspect(path):
    """Check a database file: integrity, and that it is an Accord database.

    Returns {"integrity": "ok", "schema": [(component, version, state), ...]}; raises
    BackupError otherwise. Opened read-only so a bad file is never modified.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot open: {exc}") from exc
    try:
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: not a usable SQLite database: {exc}") from exc
        result = "; ".join(r[0] for r in rows)
        if result != "ok":
            raise BackupError(f"{path}: integrity check failed: {result[:300]}")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if SCHEMA_TABLE not in tables:
            raise BackupError(f"{path}: not an Accord database (no {SCHEMA_TABLE} table)")
        schema = conn.execute(
            f"SELECT component, version, state FROM {SCHEMA_TABLE} ORDER BY component, version"
        ).fetchall()
    finally:
        conn.close()
    return {"integrity": "ok", "schema": schema}


def backup(database_url, dest):
    """Copy the live SQLite database into `dest` (atomically replaced) and verify it.

    Returns {"path", "bytes", "seconds", "schema"}.
    """
    source = sqlite_path(database_url)
    if source is None:
        raise BackupError(dump_hint(database_url, dest))
    if not source.is_file():
        raise BackupError(f"{source}: no database here yet (run `accord migrate` first)")
    dest = Path(dest).resolve()
    if dest == source.resolve():
        raise BackupError("the backup file must not be the live database")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    started = time.monotonic()
    src = _connect(source)
    try:
        dst = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            # One step: one read snapshot, so concurrent commits cannot restart the copy.
            src.backup(dst, pages=-1)
            # The copy is a single self-contained file, not a WAL database.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from exc
    finally:
        src.close()
    try:
        info = inspect(tmp)
    except BackupError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, dest)
    return {
        "path": dest,
        "bytes": dest.stat().st_size,
        "seconds": time.monotonic() - started,
        "schema": info["schema"],
    }


def restore(database_url, source):
    """Copy a verified backup over the live SQLite database (stop the server first)."""
    live = sqlite_path(database_url)
    if live is None:
        raise BackupError(restore_hint(database_url))
    source = Path(source).resolve()
    if live.exists() and source == live.resolve():
        raise BackupError("the backup file is the live database")
    info = inspect(source)
    live.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = _connect(live)
        try:
            # Through SQLite's own locking, so other connections see the whole new content.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = WAL")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {live} failed: {exc}") from exc
    finally:
        src.close()
    return {"path": live, "schema": info["schema"]}


def restore_hint(database_url):
    return (
        "accord restore works on SQLite only; use your database's own tool "
        f"(pg_restore, mysql) for {mask_url(database_url)}"
    )


def mask_url(url):
    """The URL with its password replaced by ***."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=netloc[0].split(":", 1)[0] + ":***@" + netloc[1]).geturl()


def dump_hint(database_url, dest):
    """The command that backs up a server database, password masked."""
    parts = urlparse(database_url)
    scheme = parts.scheme.split("+", 1)[0]
    dbname = unquote(parts.path.lstrip("/"))
    quote = shlex.quote
    opts = []
    if parts.hostname:
        opts.append(f"--host={quote(parts.hostname)}")
    if parts.port:
        opts.append(f"--port={parts.port}")
    password = "PGPASSWORD='***' " if parts.password else ""
    if scheme.startswith("postgres") or scheme == "cockroachdb":
        if parts.username:
            opts.append(f"--username={quote(unquote(parts.username))}")
        command = (
            f"{password}pg_dump --format=custom --file={quote(str(dest))} "
            f"{' '.join(opts)} {quote(dbname)}"
        )
        restore = f"pg_restore --clean --if-exists --dbname={quote(dbname)} {' '.join(opts)}"
        return (
            f"accord backup copies SQLite only; this instance uses PostgreSQL "
            f"({mask_url(database_url)}). Back it up with:\n  {command}\n"
            f"and restore with:\n  {restore} {quote(str(dest))}"
        )
    if scheme.startswith("mysql"):
        if parts.username:
            opts.append(f"--user={quote(unquote(parts.username))}")
        if parts.password:
            opts.append("--password")  # prompts: never put it on the command line
        command = (
            f"mysqldump --single-transaction --routines {' '.join(opts)} "
            f"{quote(dbname)} > {quote(str(dest))}"
        )
        return (
            f"accord backup copies SQLite only; this instance uses MySQL "
            f"({mask_url(database_url)}). Back it up with:\n  {command}"
        )
    return f"accord backup copies SQLite only; no backup recipe for {mask_url(database_url)}"
