"""The scratch data set: built once with the real command line, reused while it matches.

Layout under --home (default ./bench-data, kept out of git):
    <home>/sqlite/        ACCORD_HOME of the SQLite run (accord.db, secret key, queue)
    <home>/postgresql/    ACCORD_HOME of the PostgreSQL run (data in ACCORD_BENCH_DATABASE_URL)
    <home>/<kind>/bench.json   the marker: sizes, accounts, and the facts the figures need

The marker is written last, so an interrupted build is rebuilt, never reused.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.custom import KEY, VALUE
from bench.dbapi import Database, is_sqlite

SEED = 8  # same data on every build (accord demo --seed)
ROOT = Path(__file__).resolve().parent.parent
MARKER = "bench.json"
MARKER_VERSION = 3  # bump when the facts below change shape
ADMIN_EMAIL = "bench-admin@bench.test"
SQLITE_FILES = ("accord.db", "accord.db-wal", "accord.db-shm")


class DataError(RuntimeError):
    """The data set cannot be built or reused (a clear message for the user)."""


@dataclass
class Dataset:
    kind: str  # "sqlite" | "postgresql"
    home: Path
    database_url: str
    contacts: int
    deals: int
    accounts: dict = field(default_factory=dict)  # role -> {"email", "password"}
    facts: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    build_seconds: float | None = None
    reused: bool = False

    def env(self):
        """The environment of every Accord subprocess: only our ACCORD_* variables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        env["ACCORD_HOME"] = str(self.home)
        if self.kind != "sqlite":
            env["ACCORD_DATABASE_URL"] = self.database_url
        env["PYTHONUNBUFFERED"] = "1"
        return env

    @property
    def label(self):
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"


def mask(url):
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def prepare(root, contacts, deals, database_url=None, log=print):
    """The ready data set for these sizes: reused when its marker matches, else built."""
    kind = "sqlite" if database_url is None else "postgresql"
    home = (Path(root) / kind).resolve()
    url = database_url or f"sqlite:///{home / 'accord.db'}"
    if database_url is not None and is_sqlite(database_url):
        raise DataError("ACCORD_BENCH_DATABASE_URL is for PostgreSQL; SQLite always runs")
    data = Dataset(kind, home, url, contacts, deals)
    marker = _read_marker(home)
    if marker and _matches(marker, data) and _still_there(data, marker):
        data.accounts, data.facts = marker["accounts"], marker["facts"]
        data.counts, data.build_seconds = marker.get("counts", {}), marker.get("build_seconds")
        data.reused = True
        log(f"data: reusing {home} ({contacts:,} contacts, {deals:,} deals, {data.label})")
        # Data built by older code: bring its schema up to this checkout's migrations.
        _run(data, accord_command("migrate"), log)
        _custom_field(data, log)
        data.facts = {**data.facts, "custom": {"deal": (KEY, VALUE)}}
        return data
    _reset(data, marker)
    started = time.monotonic()
    _build(data, log)
    data.build_seconds = round(time.monotonic() - started, 1)
    _write_marker(data)
    return data


# Reuse ------------------------------------------------------------------------------


def _read_marker(home):
    try:
        return json.loads((home / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _matches(marker, data):
    return (
        marker.get("version") == MARKER_VERSION
        and marker.get("contacts") == data.contacts
        and marker.get("deals") == data.deals
        and marker.get("database") == mask(data.database_url)
    )


def _still_there(data, marker):
    """The database still holds what the marker describes (a dropped PostgreSQL
    database or a deleted file means a rebuild)."""
    try:
        db = Database(data.database_url)
    except Exception:
        return False
    try:
        last = db.value('SELECT max("id") FROM "contact"')
        admin = db.value('SELECT count(*) FROM "user" WHERE "email" = ?', (ADMIN_EMAIL,))
        return last == marker.get("last_contact_id") and admin == 1
    except Exception:
        return False
    finally:
        db.close()


def _reset(data, marker):
    """Make room for a fresh build; never delete anything the bench did not create."""
    home = data.home
    if data.kind == "sqlite":
        if home.exists():
            ours = marker is not None or all(
                p.name in SQLITE_FILES + (MARKER, "build.log", "secret_key", "uploads")
                or p.name.startswith("jobs")
                for p in home.iterdir()
            )
            if not ours:
                raise DataError(
                    f"{home} holds files the bench did not create; choose another --home"
                )
            shutil.rmtree(home)
        home.mkdir(parents=True)
        return
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).unlink(missing_ok=True)
    db = Database(data.database_url)
    try:
        tables = db.value(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        db.close()
    if tables:
        raise DataError(
            f"{mask(data.database_url)} is not empty (built for other sizes, or another "
            "database): point ACCORD_BENCH_DATABASE_URL at an empty database "
            "(dropdb + createdb) and run again"
        )


def _write_marker(data):
    db = Database(data.database_url)
    try:
        last = db.value('SELECT max("id") FROM "contact"')
    finally:
        db.close()
    marker = {
        "version": MARKER_VERSION,
        "contacts": data.contacts,
        "deals": data.deals,
        "database": mask(data.database_url),
        "last_contact_id": last,
        "accounts": data.accounts,
        "facts": data.facts,
        "counts": data.counts,
        "build_seconds": data.build_seconds,
        "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (data.home / MARKER).write_text(json.dumps(marker, indent=2))


# Build ------------------------------------------------------------------------------


def accord_command(*args):
    """The real `accord` console script of this interpreter."""
    return [sys.executable, "-m", "accord.admin.cli", *args]


def _run(data, command, log, quiet=False):
    """Run a command in the data set's environment; its output goes to build.log."""
    with open(data.home / "build.log", "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.Popen(
            command,
            env=data.env(),
            cwd=ROOT,  # `python -m bench.…` helpers import from the repository
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = []
        for line in proc.stdout:
            out.write(line)
            lines.append(line)
            if not quiet:
                log("  " + line.rstrip())
        code = proc.wait()
    if code:
        tail = "".join(lines[-10:])
        raise DataError(f"{' '.join(command[2:])} failed (exit {code}):\n{tail}")
    return "".join(lines)


def _build(data, log):
    log(
        f"data: building {data.contacts:,} contacts + {data.deals:,} deals on {data.label} "
        f"in {data.home} (accord demo; minutes at a million)"
    )
    output = _run(
        data,
        accord_command(
            "demo",
            "--contacts",
            str(data.contacts),
            "--deals",
            str(data.deals),
            "--seed",
            str(SEED),
        ),  # fmt: skip
        log,
    )
    match = re.search(r"demo data created in [\d.]+ s: (.+)", output)
    if match:
        for part in match.group(1).split(", "):
            number, _, name = part.partition(" ")
            data.counts[name] = int(number.replace(",", ""))
    admin_password = secrets.token_urlsafe(15)
    _run(
        data,
        accord_command(
            "user",
            "create",
            ADMIN_EMAIL,
            "--role",
            "admin",
            "--password",
            admin_password,
            "--first-name",
            "Bench",
            "--last-name",
            "Admin",
        ),  # fmt: skip
        log,
    )
    data.accounts = {"admin": {"email": ADMIN_EMAIL, "password": admin_password}}
    db = Database(data.database_url)
    try:
        # Demo sales people own records; their scoped pages are the realistic ones.
        for role in ("normal", "restricted"):
            email = db.value(
                'SELECT "email" FROM "user" WHERE "role" = ? AND "email" <> ? '
                'AND "active" = ? ORDER BY "id" LIMIT 1',
                (role, ADMIN_EMAIL, True),
            )
            if email:
                data.accounts[role] = {"email": email, "password": secrets.token_urlsafe(15)}
    finally:
        db.close()
    pairs = [
        str(v) for role in ("normal", "restricted") if role in data.accounts
        for v in (data.accounts[role]["email"], data.accounts[role]["password"])
    ]  # fmt: skip
    if pairs:
        _run(data, [sys.executable, "-m", "bench.accounts", *pairs], log, quiet=True)
    # The demo's busiest deal and company get a long history (full size from 100k up).
    factor = min(1.0, data.contacts / 100_000)
    _run(data, [sys.executable, "-m", "bench.busy", ADMIN_EMAIL, f"{factor:g}"], log)
    _custom_field(data, log)
    log("data: reading the facts the figures need (ids, search terms)")
    data.facts = gather_facts(data)


def _custom_field(data, log):
    """Issue 4's figure needs a filterable custom field with values on every deal."""
    _run(data, [sys.executable, "-m", "bench.custom", ADMIN_EMAIL], log)


# Facts --------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{4,}")


def _most_common_word(texts):
    words = Counter(w for t in texts for w in _WORD.findall(t or ""))
    return words.most_common(1)[0][0] if words else None


def _email_prefix(email):
    """'oliver.bennett@x.example' -> 'oliver.be' (what someone types into a search box)."""
    local = email.split("@", 1)[0]
    head, dot, tail = local.partition(".")
    return head + dot + tail[:2] if dot else local[:6]


def _top(db, sql, params=()):
    return db.value(sql, params)


def _first_row(db, sql, params=()):
    rows = db.rows(sql, params)
    return list(rows[0]) if rows else None


def _terms(db, table, where="", params=()):
    """Common word, rare text (one record's email or name), email prefix, phone."""
    columns = '"name", "email", "phone"' if table != "deal" else "\"name\", '', ''"
    rows = db.rows(
        f'SELECT {columns} FROM "{table}" WHERE "deleted_at" IS NULL {where} '
        'ORDER BY "id" LIMIT 2000',
        params,
    )
    terms = {"common": _most_common_word(r[0] for r in rows)}
    with_contact = [r for r in rows if r[1] and r[2]] or rows
    if with_contact:
        pick = with_contact[len(with_contact) // 2]
        if table == "deal":
            terms["rare"] = pick[0]
        else:
            terms["rare"] = pick[1] or pick[0]
            terms["email_prefix"] = _email_prefix(pick[1]) if pick[1] else None
            terms["phone"] = pick[2] or None
    return terms


def gather_facts(data):
    """Ids and search terms for the figures, read once after the build."""
    db = Database(data.database_url)
    try:
        user_id = {
            role: db.value('SELECT "id" FROM "user" WHERE "email" = ?', (acc["email"],))
            for role, acc in data.accounts.items()
        }
        facts = {"user_id": user_id, "owner_id": user_id.get("normal")}
        facts["status"] = {
            kind: _top(
                db,
                f'SELECT "status_id" FROM "{kind}" WHERE "status_id" IS NOT NULL '
                'GROUP BY "status_id" ORDER BY count(*) DESC, "status_id" LIMIT 1',
            )
            for kind in ("contact", "lead")
        }
        pipeline = _top(
            db,
            'SELECT "pipeline_id" FROM "deal" GROUP BY "pipeline_id" '
            'ORDER BY count(*) DESC, "pipeline_id" LIMIT 1',
        )
        facts["pipeline_id"] = pipeline
        facts["status"]["deal"] = _top(
            db,
            'SELECT "stage_id" FROM "deal" WHERE "pipeline_id" = ? GROUP BY "stage_id" '
            'ORDER BY count(*) DESC, "stage_id" LIMIT 1',
            (pipeline,),
        )
        # The busiest records: (id, how many linked rows), or None on an empty set.
        facts["busy_deal"] = _first_row(
            db,
            'SELECT "deal_id", count(*) FROM (SELECT "deal_id" FROM "task" '
            'WHERE "deal_id" IS NOT NULL UNION ALL SELECT "deal_id" FROM "note" '
            'WHERE "deal_id" IS NOT NULL) AS linked '
            'GROUP BY "deal_id" ORDER BY count(*) DESC, "deal_id" LIMIT 1',
        )
        facts["busy_company"] = _first_row(
            db,
            'SELECT "organization_id", count(*) FROM "contact" '
            'WHERE "organization_id" IS NOT NULL '
            'GROUP BY "organization_id" ORDER BY count(*) DESC, "organization_id" LIMIT 1',
        )
        facts["custom"] = {"deal": (KEY, VALUE)}
        facts["terms"] = {
            "contact": _terms(db, "contact", 'AND "is_organization" = ?', (False,)),
            "lead": _terms(db, "lead"),
            "deal": _terms(db, "deal"),
        }
        return facts
    finally:
        db.close()
