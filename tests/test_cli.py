"""The `accord` command line: click's CliRunner in-process, plus real subprocesses of the
installed console script (help, migrate, serve --demo with its embedded worker).

Every test uses its own ACCORD_HOME and SQLite file, never the conftest database.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord.admin.cli import cli
from accord.admin.commands import serve as serve_command
from accord.core import events, plugins
from accord.core.config import Config
from accord.core.db import database
from accord.core.migrations import CORE_MIGRATIONS
from accord.core.models import Contact, Deal, User
from accord.core.services import users
from tests.test_worker import ACCORD_VARIABLES, accord_command, wait_for

BUILT_IN = {"gmail", "gcal", "voice", "import_csv"}


@pytest.fixture(autouse=True)
def restore_binding():
    """CLI commands bind the global database proxy to their own file: put it back."""
    saved_db, saved_dispatcher = database.obj, events._dispatcher
    yield
    if database.obj is not None and database.obj is not saved_db and not database.is_closed():
        database.close()
    database.initialize(saved_db)
    events.set_dispatcher(saved_dispatcher)


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def env(home):
    values = {name: None for name in ACCORD_VARIABLES}
    values.update(
        ACCORD_HOME=str(home),
        ACCORD_DATABASE_URL=f"sqlite:///{home / 'accord.db'}",
    )
    return values


@pytest.fixture
def accord(env):
    runner = CliRunner()

    def invoke(*args, input=None, **extra_env):
        return runner.invoke(cli, list(args), env={**env, **extra_env}, input=input)

    return invoke


@pytest.fixture
def migrated(accord):
    result = accord("migrate")
    assert result.exit_code == 0, result.output
    return accord


def fails_cleanly(result, *fragments):
    """Exit status 1 with a one-line `Error: ...` message and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output
    return result.output


def test_migrate_twice(accord, home):
    first = accord("migrate")
    assert first.exit_code == 0, first.output
    assert "applied core 0001 initial" in first.output
    second = accord("migrate")
    assert second.exit_code == 0
    assert "applied" not in second.output
    assert "database is up to date" in second.output
    assert (home / "accord.db").exists()


def test_user_create_good_and_with_manager(migrated):
    result = migrated("user", "create", "Boss@Example.com", "--role", "manager", "--password",
                      "a-long-password")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created manager boss@example.com" in result.output
    assert "password:" not in result.output  # given, so not printed
    result = migrated(
        "user", "create", "rep@example.com", "--role", "normal", "--manager", "boss@example.com"
    )
    assert result.exit_code == 0, result.output
    # Not a terminal: a password is generated and printed once.
    password = re.search(r"password: (\S+)", result.output).group(1)
    assert len(password) >= 16
    listing = migrated("user", "list")
    assert re.search(r"normal\s+rep@example.com\s+boss@example.com", listing.output)
    user, problem = users.authenticate("rep@example.com", password)
    assert problem is None and user.manager.email == "boss@example.com"


def test_user_create_errors(migrated):
    ok = migrated("user", "create", "a@example.com", "--role", "admin", "--password", "x" * 12)
    assert ok.exit_code == 0
    fails_cleanly(
        migrated("user", "create", "a@example.com", "--role", "admin", "--password", "y" * 12),
        "Error: email: A user with this email exists.",
    )
    fails_cleanly(
        migrated("user", "create", "b@example.com", "--role", "boss", "--password", "y" * 12),
        "unknown role 'boss'",
        "admin, manager, normal, restricted",
    )
    fails_cleanly(
        migrated("user", "create", "c@example.com", "--role", "normal", "--password", "short"),
        "password: Use at least 10 characters.",
    )
    fails_cleanly(
        migrated("user", "create", "d@example.com", "--role", "normal", "--manager", "x@y.z"),
        "manager: no user with email x@y.z",
    )
    fails_cleanly(migrated("user", "create", "e@example.com"), "Missing option '--role'")
    assert [u.email for u in User.select().order_by(User.id)] == ["a@example.com"]


def test_user_create_on_an_unmigrated_database_says_what_to_do(accord):
    fails_cleanly(
        accord("user", "create", "a@example.com", "--role", "admin"),
        "schema error: database needs migrations",
        "accord migrate",
    )


def test_plugins_json_lists_plugins_hooks_and_registries(accord):
    result = accord("plugins", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = {p["name"] for p in data["plugins"]}
    assert names >= BUILT_IN | {"default_field_types"}
    default = next(p for p in data["plugins"] if p["name"] == "default_field_types")
    assert "accord_field_types" in default["hooks"]
    assert default["module"] == "accord.core.default_field_types"
    field_types = {e["name"]: e["plugin"] for e in data["registries"]["field_types"]}
    assert field_types["text"] == "default_field_types"
    assert {"text", "number", "date", "checkbox"} <= set(field_types)
    assert set(data["registries"]) == {
        "actions",
        "channels",
        "field_types",
        "notification_kinds",
        "triggers",
    }
    text = accord("plugins")
    assert text.exit_code == 0
    assert "default_field_types" in text.output and "field types:" in text.output


def test_plugins_safe_mode_loads_no_entry_point_plugin(accord):
    result = accord("plugins", "--json", ACCORD_SAFE_MODE="1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["safe_mode"] is True
    defaults = sorted(m.rsplit(".", 1)[1] for m in plugins.DEFAULT_PLUGINS)
    assert [p["name"] for p in data["plugins"]] == defaults


def test_unknown_plugin_is_a_clear_error_and_help_still_works(accord):
    output = fails_cleanly(
        accord("plugins", ACCORD_PLUGINS="nonexistent"),
        "plugin error: ACCORD_PLUGINS names plugins that are not installed: nonexistent",
    )
    assert "import_csv" in output  # the message lists what is installed
    help_result = accord("--help", ACCORD_PLUGINS="nonexistent")
    assert help_result.exit_code == 0
    assert "serve" in help_result.output and "worker" in help_result.output


def test_disabling_one_plugin(accord):
    data = json.loads(accord("plugins", "--json", ACCORD_PLUGINS="-voice").output)
    assert {p["name"] for p in data["plugins"]} & BUILT_IN == BUILT_IN - {"voice"}


def test_database_unreachable_is_one_line(accord, tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "accord.db"
    output = fails_cleanly(
        accord("migrate", ACCORD_DATABASE_URL=f"sqlite:///{missing}"),
        "database error",
        "unable to open database file",
    )
    assert len(output.strip().splitlines()) == 1
    output = fails_cleanly(
        accord("migrate", ACCORD_DATABASE_URL="postgresql://u:hunter22@127.0.0.1:1/accord"),
        "database error (postgresql://u:***@127.0.0.1:1/accord)",
    )
    assert "hunter22" not in output


def test_bad_tuning_variable(accord):
    fails_cleanly(
        accord("worker", ACCORD_OUTBOX_LEASE_SECONDS="soon"),
        "ACCORD_OUTBOX_LEASE_SECONDS must be a positive number of seconds",
    )


def test_unknown_command_exits_1(accord):
    fails_cleanly(accord("frobnicate"), "No such command 'frobnicate'")


def count_rows(path, table):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    finally:
        conn.close()


def test_backup_restore_round_trip(migrated, home, tmp_path):
    for n in range(3):
        migrated("user", "create", f"u{n}@example.com", "--role", "normal", "--password", "p" * 12)
    copy = tmp_path / "backups" / "accord-backup.db"
    result = migrated("backup", str(copy))
    assert result.exit_code == 0, result.output
    assert "integrity check: ok" in result.output
    assert count_rows(copy, "user") == 3

    migrated("user", "create", "late@example.com", "--role", "normal", "--password", "p" * 12)
    assert count_rows(home / "accord.db", "user") == 4
    declined = migrated("restore", str(copy), input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert count_rows(home / "accord.db", "user") == 4

    result = migrated("restore", str(copy), "--yes")
    assert result.exit_code == 0, result.output
    assert "schema is up to date" in result.output
    assert count_rows(home / "accord.db", "user") == 3
    listing = migrated("user", "list")
    assert "late@example.com" not in listing.output and "u2@example.com" in listing.output
    mode = sqlite3.connect(home / "accord.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_restore_refuses_bad_files(migrated, home, tmp_path):
    # The core's migrations and the built-in plugins' (import_csv has its own).
    before = count_rows(home / "accord.db", "accord_schema")
    assert before >= len(CORE_MIGRATIONS)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    fails_cleanly(migrated("restore", str(garbage), "--yes"), "not a usable SQLite database")
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    fails_cleanly(migrated("restore", str(foreign), "--yes"), "not an Accord database")
    fails_cleanly(migrated("restore", str(tmp_path / "absent.db"), "--yes"), "no such file")
    # The live database is untouched.
    assert count_rows(home / "accord.db", "accord_schema") == before


def test_backup_of_postgresql_prints_the_pg_dump_command(accord, tmp_path):
    url = "postgresql://crm:s3cret@db.internal:5433/accord_prod"
    output = fails_cleanly(accord("backup", str(tmp_path / "x.dump"), ACCORD_DATABASE_URL=url))
    assert "pg_dump --format=custom" in output
    assert "--host=db.internal --port=5433 --username=crm accord_prod" in output
    assert "s3cret" not in output
    mysql = fails_cleanly(
        accord("backup", "x.sql", ACCORD_DATABASE_URL="mysql://root:pw@127.0.0.1/crm")
    )
    assert "mysqldump --single-transaction" in mysql and ":pw@" not in mysql
    restore = fails_cleanly(accord("restore", "x.dump", ACCORD_DATABASE_URL=url))  # no prompt
    assert "pg_restore" in restore and "s3cret" not in restore


def test_demo_small(migrated, home):
    result = migrated("demo", "--contacts", "60", "--deals", "40", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert re.search(r"demo data created in [\d.]+ s: .*60 contacts.*40 deals", result.output)
    assert count_rows(home / "accord.db", "deal") == 40
    assert count_rows(home / "accord.db", "user") > 0  # sales reps, never the admin


def test_prepare_demo_creates_the_admin_once(home):
    config = Config.from_env({"ACCORD_HOME": str(home)})
    logged = []
    first = serve_command.prepare(config, demo=True, contacts=50, deals=30, log=logged.append)
    assert first.password and len(first.password) >= 16
    assert first.admin_email == serve_command.DEMO_ADMIN_EMAIL
    assert first.demo_counts["deals"] == 30
    with first.runtime.db.connection_context():
        admin, problem = users.authenticate(first.admin_email, first.password)
        assert problem is None and admin.role == "admin"
        counts = (Contact.select().count(), Deal.select().count(), User.select().count())

    again = serve_command.prepare(config, demo=True, contacts=50, deals=30, log=logged.append)
    assert again.password is None and again.demo_counts is None
    assert f"demo data already present; admin is {first.admin_email}" in logged
    with again.runtime.db.connection_context():
        assert (Contact.select().count(), Deal.select().count(), User.select().count()) == counts
        assert users.authenticate(first.admin_email, first.password)[1] is None


# Real processes ----------------------------------------------------------------------


def subprocess_env(home):
    env = {k: v for k, v in os.environ.items() if k not in ACCORD_VARIABLES}
    env.update(
        ACCORD_HOME=str(home),
        ACCORD_DATABASE_URL=f"sqlite:///{home / 'accord.db'}",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.mark.slow
def test_installed_script_help_and_migrate(home):
    env = subprocess_env(home)
    result = subprocess.run(
        accord_command() + ["--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for command in ("serve", "worker", "migrate", "user", "demo", "backup", "restore"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    assert not (home / "accord.db").exists()  # help needs no database
    result = subprocess.run(
        accord_command() + ["migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "applied core 0001 initial" in result.stdout
    assert (home / "accord.db").exists()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_serve_demo_subprocess(home, tmp_path):
    port = free_port()
    out = (tmp_path / "serve.out").open("w")
    proc = subprocess.Popen(
        accord_command()
        + ["serve", "--demo", "--port", str(port), "--demo-contacts", "80", "--demo-deals", "40"],
        env=subprocess_env(home),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        log = Path(out.name)
        wait_for(lambda: "Accord is running" in log.read_text() or proc.poll() is not None,
                 timeout=60, what="serve to start")  # fmt: skip
        output = log.read_text()
        assert proc.poll() is None, output
        assert f"http://127.0.0.1:{port}/" in output
        password = re.search(r"password: (\S+)", output).group(1)
        email = re.search(r"email:\s+(\S+)", output).group(1)

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        page = opener.open(f"http://127.0.0.1:{port}/login", timeout=10)
        assert page.status == 200
        html = page.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f"http://127.0.0.1:{port}/login", data=form.encode(), timeout=30)
        # Success redirects into the back office; a wrong password re-renders with 200.
        assert redirect.value.code == 302
        assert "/login" not in redirect.value.headers["Location"]

        workers = wait_for(lambda: children_of(proc.pid), what="the embedded worker")
        assert len(workers) == 1
        cmdline = Path(f"/proc/{workers[0]}/cmdline").read_bytes().split(b"\0")
        assert b"worker" in cmdline and b"--embedded" in cmdline
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        out.close()
    assert proc.returncode == 0, log.read_text()
    assert "Accord stopped" in log.read_text()
    wait_for(lambda: not alive(workers[0]), timeout=15, what="the worker child to exit")

    # A rerun keeps the data and the password (checked without starting the server).
    conn = sqlite3.connect(home / "accord.db")
    assert conn.execute("SELECT COUNT(*) FROM deal").fetchone()[0] == 40
    conn.close()


@pytest.mark.slow
def test_embedded_worker_stops_when_serve_is_killed(home, tmp_path):
    """kill -9 of serve cannot run its cleanup: the worker notices the orphaning."""
    port = free_port()
    out = (tmp_path / "serve.out").open("w")
    proc = subprocess.Popen(
        accord_command() + ["serve", "--port", str(port)],
        env=subprocess_env(home),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        log = Path(out.name)
        wait_for(lambda: "Accord is running" in log.read_text() or proc.poll() is not None,
                 timeout=60, what="serve to start")  # fmt: skip
        workers = wait_for(lambda: children_of(proc.pid), what="the embedded worker")
        wait_for(lambda: "outbox sweep every" in log.read_text(), what="the consumer")
    finally:
        proc.kill()
        proc.wait(10)
        out.close()
    wait_for(lambda: not alive(workers[0]), timeout=15, what="the orphaned worker to exit")
    assert "parent process" in log.read_text()


def test_serve_refuses_debug_mode_and_a_weak_secret(migrated):
    fails_cleanly(migrated("serve", "--no-worker", FLASK_DEBUG="1"), "debug mode is on")
    fails_cleanly(migrated("serve", "--no-worker", ACCORD_SECRET_KEY="secret"), "Refusing to start")


def test_serve_refuses_a_port_in_use(accord):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = accord("serve", "--port", str(port), "--no-worker")
    # werkzeug's own message (it exits 1 itself), or ours for other socket errors.
    assert f"Port {port} is in use" in fails_cleanly(result)
