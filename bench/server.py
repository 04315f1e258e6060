"""The servers under test, each a subprocess in its own process group on a free port.

Accord: `accord serve --no-worker` (werkzeug, threaded) for latency, gunicorn with two
workers for requests/s. The baseline is served the same two ways. stop() ends exactly
the process group it started (never anything found by name).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_SPEC = "gunicorn>=22"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerError(RuntimeError):
    pass


class Server:
    def __init__(self, name, command, env, log_dir, ready_path, port, ready_text=""):
        self.name = name
        self.command = command
        self.env = {
            **env,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
        self.log_path = Path(log_dir) / f"{name}.log"
        self.ready_path = ready_path
        self.port = port
        self.ready_text = ready_text  # no HTTP (a worker): ready once its log says this
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=180):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (kept by the child)
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stop() ends it and its workers
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            if self.ready_text:
                # The whole log: a worker with a backlog logs past its banner at once.
                if self.ready_text in self.tail(None):
                    return self
                time.sleep(0.2)
                continue
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=5) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise ServerError(f"{self.name} did not answer within {timeout} s:\n{self.tail()}")

    def tail(self, lines=15):
        """The log's last `lines` lines (None: all of it)."""
        try:
            text = self.log_path.read_text(errors="replace")
            return text if lines is None else "\n".join(text.splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=15):
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def accord_serve(env, log_dir, worker=False):
    """`accord serve`; with `worker`, its embedded job consumer too (the default install)."""
    port = free_port()
    command = [sys.executable, "-m", "accord.admin.cli", "serve",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    if not worker:
        command.insert(4, "--no-worker")
    name = "accord-serve-worker" if worker else "accord-serve"
    return Server(name, command, env, log_dir, "/login", port)


def accord_worker(env, log_dir):
    command = [sys.executable, "-m", "accord.admin.cli", "worker"]
    return Server("accord-worker", command, env, log_dir, "", 0, ready_text="accord worker:")


def baseline_serve(env, log_dir):
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline", "--port", str(port)]
    return Server("baseline-serve", command, env, log_dir, "/ping", port)


def _gunicorn(name, app, env, log_dir, ready_path, workers):
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--timeout", "300", "--log-level", "warning", app]  # fmt: skip
    return Server(name, command, env, log_dir, ready_path, port)


def accord_gunicorn(env, log_dir, workers=2):
    return _gunicorn("accord-gunicorn", "accord.admin.wsgi:app", env, log_dir, "/login", workers)


def baseline_gunicorn(env, log_dir, workers=2):
    return _gunicorn(
        "baseline-gunicorn", "bench.baseline:create_app()", env, log_dir, "/ping", workers
    )


def has_gunicorn():
    probe = subprocess.run([sys.executable, "-c", "import gunicorn"], capture_output=True)
    return probe.returncode == 0


def ensure_gunicorn(install=True, log=print):
    """(True, "") when gunicorn can run, else (False, why). Installs it with pip (it is in
    setup.py's `scale` extra) unless told not to."""
    if has_gunicorn():
        return True, ""
    if not install:
        return False, "gunicorn is not installed (pip install 'accord-crm[scale]')"
    log(f"server: installing {GUNICORN_SPEC} (setup.py's scale extra) for the requests/s figures")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", GUNICORN_SPEC],
        capture_output=True,
        text=True,
    )
    if done.returncode or not has_gunicorn():
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["unknown error"]
        return False, f"gunicorn could not be installed: {reason[0]}"
    return True, ""
