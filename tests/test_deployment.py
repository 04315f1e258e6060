"""The deployments README describes, started for real and used over HTTP.

With ACCORD_TEST_DATABASE_URL (PostgreSQL) and ACCORD_TEST_REDIS_URL set (CI sets both):
the scale-out layout — gunicorn with three workers, two `accord worker` processes (one
with --no-periodic, so one periodic scheduler), PostgreSQL and Redis. Without them: the
embedded default — `accord serve` (its own job consumer) on SQLite. Either way the test
logs in, creates a lead through the back office, sees the event delivered by a job
consumer, and sees the periodic task run once per tick. It never skips.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tests.test_worker import TICK, Instance, accord_command, wait_for

PASSWORD = "deploy-password-1234"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SCALE_OUT = bool(os.environ.get("ACCORD_TEST_DATABASE_URL")) and bool(
    os.environ.get("ACCORD_TEST_REDIS_URL")
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client for the back office (forms with their CSRF token)."""

    def __init__(self, base):
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.geturl(), response.read().decode()

    def post_form(self, path, fields):
        _status, _url, page = self.get(path)
        token = TOKEN.search(page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST")
        request.add_header("Referer", self.base + path)
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.geturl(), response.read().decode()


def started(proc, port, what):
    def up():
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited: {proc.log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_for(up, timeout=60, what=what)


@pytest.fixture
def deployment(tmp_path, session_runtime):
    url = os.environ.get("ACCORD_TEST_DATABASE_URL") if SCALE_OUT else None
    inst = Instance(tmp_path, database_url=url)
    inst.env["ACCORD_PERIODIC_TICK_SECONDS"] = "2"
    inst.env["ACCORD_SECRET_KEY"] = "deployment-test-secret-key-0123456789abcdef"
    if SCALE_OUT:
        inst.env["ACCORD_REDIS_URL"] = os.environ["ACCORD_TEST_REDIS_URL"]
        inst.env["ACCORD_JOBS_NAME"] = f"accord-deploy-{os.getpid()}"
    assert inst.run("migrate").returncode == 0
    email = f"deploy-{os.getpid()}@deploy.test"
    made = inst.run("user", "create", email, "--role", "admin", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    inst.admin_email = email
    yield inst
    for proc in inst.procs:
        inst.stop(proc)
    inst.stop_all()


def start(inst, name, command):
    log = (inst.root / f"{name}.log").open("w")
    proc = subprocess.Popen(command, env=inst.env, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = inst.root / f"{name}.log"
    log.close()
    inst.procs.append(proc)
    return proc


def test_deployment_serves_logs_in_creates_and_runs_jobs(deployment):
    inst = deployment
    port = free_port()
    window_start = time.time()
    if SCALE_OUT:
        web = start(
            inst,
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}",
             "accord.admin.wsgi:app"],
        )  # fmt: skip
        workers = [inst.start_worker(name="w1"), inst.start_worker("--no-periodic", name="w2")]
        logs = [w.log_path for w in workers]
    else:
        web = start(inst, "serve", accord_command() + ["serve", "--port", str(port)])
        logs = [web.log_path]
    started(web, port, "the web server")
    for log in logs:
        wait_for(lambda p=log: "periodic" in p.read_text(), what="job consumers to start")

    browser = Browser(f"http://127.0.0.1:{port}")
    status, landed, _page = browser.post_form(
        "/login", {"email": inst.admin_email, "password": PASSWORD}
    )
    assert status == 200 and "/login" not in landed
    status, landed, page = browser.post_form(
        "/admin/lead/new/", {"first_name": "Deployed", "last_name": "Lead"}
    )
    assert status == 200, page[-500:]
    listed = browser.get("/admin/lead/?search=Deployed")[2]
    ids = re.findall(r"/admin/lead/details/\?id=(\d+)", listed)
    assert len(set(ids)) == 1, "the lead is listed once"

    # A job consumer (not the web process) delivered the event to the plugin's hook.
    delivered = wait_for(
        lambda: [
            line.split()
            for line in inst.probe_file("events.log").splitlines()
            if line.split()[1:2] == ["lead.created"] and line.split()[0]
        ],
        timeout=60,
        what="the lead.created event to be delivered",
    )
    assert len(delivered) == 1
    if SCALE_OUT:
        assert int(delivered[0][2]) in {w.pid for w in workers}

    # The periodic task: once per tick, across every consumer.
    wait_for(lambda: len(inst.probe_file("ticks.log").splitlines()) >= 3, timeout=60,
             what="three periodic ticks")  # fmt: skip
    for proc in inst.procs:
        inst.stop(proc)
    ticks_in_window = int(time.time() // 2) - int(window_start // 2) + 1
    claims = [int(t) for log in logs for t, o in TICK.findall(log.read_text()) if o == "claimed"]
    assert len(claims) == len(set(claims)), "a tick was claimed twice"
    runs = inst.probe_file("ticks.log").splitlines()
    assert 3 <= len(runs) <= ticks_in_window
