"""`accord serve`: migrate, (demo bootstrap), embedded worker child, web server."""

import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

import click

from accord.core import runtime as core_runtime

DEMO_ADMIN_EMAIL = "admin@accord.local"


@dataclass
class Prepared:
    runtime: object
    admin_email: str | None = None
    # Set only when this call created the admin: the caller prints it once.
    password: str | None = None
    demo_counts: dict | None = None


def prepare(config, demo=False, contacts=2000, deals=2000, log=print):
    """Everything `serve` does before listening: build, migrate, and with `demo` an admin
    account and demo data, each only if absent (a rerun duplicates nothing and keeps the
    password)."""
    rt = core_runtime.build(config)
    with rt.db.connection_context():
        rt.migrate(log=log)
        rt.check_schema()
        if not demo:
            return Prepared(rt)
        return _bootstrap_demo(rt, contacts, deals, log)


def _bootstrap_demo(rt, contacts, deals, log):
    from accord.core import demo as core_demo
    from accord.core.models import Contact, Deal, User
    from accord.core.services import users

    prepared = Prepared(rt)
    if not User.select().exists():
        prepared.password = secrets.token_urlsafe(15)
        admin = users.create_user(
            None,
            DEMO_ADMIN_EMAIL,
            role="admin",
            password=prepared.password,
            first_name="Admin",
            last_name="Accord",
        )
    else:
        admin = User.select().where(User.role == "admin").order_by(User.id).first()
    prepared.admin_email = admin.email if admin else None
    if Contact.select().exists() or Deal.select().exists():
        log(f"demo data already present; admin is {prepared.admin_email or '(none)'}")
    else:
        prepared.demo_counts = core_demo.generate(contacts=contacts, deals=deals, log=log)
    return prepared


def password_banner(email, password):
    line = "=" * 64
    return "\n".join(
        [
            line,
            "  Accord admin account (shown only once: store it now)",
            f"    email:    {email}",
            f"    password: {password}",
            line,
        ]
    )


def start_worker_child(threads):
    """The embedded job consumer, a child process (huey's Consumer needs a main thread).

    Its own session: Ctrl+C in the terminal reaches only serve, which then stops it once.
    """
    command = [sys.executable, "-m", "accord.admin.commands", "worker", "--embedded"]
    command += ["--workers", str(threads)]
    return subprocess.Popen(command, start_new_session=True)


def stop_worker_child(proc, timeout=15):
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGINT)  # graceful: running tasks finish
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def _watch_child(proc, stopping):
    def loop():
        code = proc.wait()
        if not stopping.is_set():
            click.echo(
                f"warning: the embedded worker exited (status {code}); jobs will not run "
                "until `accord serve` restarts (or run `accord worker`)",
                err=True,
            )

    threading.Thread(target=loop, name="accord-worker-watch", daemon=True).start()


def _raise_exit(signum, frame):
    raise SystemExit(0)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Create an admin and demo data if absent.")
@click.option("--demo-contacts", default=2000, show_default=True, type=click.IntRange(0))
@click.option("--demo-deals", default=2000, show_default=True, type=click.IntRange(0))
@click.option("--no-worker", is_flag=True, help="Do not start the embedded job consumer.")
@click.option("--worker-threads", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(state, host, port, demo, demo_contacts, demo_deals, no_worker, worker_threads):
    """Create/migrate the database and serve the back office (with an embedded worker)."""
    from werkzeug.serving import make_server

    from accord.admin import heap, security
    from accord.admin.app import create_app

    config = state.config
    prepared = prepare(config, demo=demo, contacts=demo_contacts, deals=demo_deals, log=click.echo)
    if prepared.password:
        click.echo(password_banner(prepared.admin_email, prepared.password))
    app = create_app(config, runtime=prepared.runtime)
    check = getattr(security, "check_production", None)
    if check is not None:
        try:
            check(app)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None

    heap.settle()  # after the socket is bound: start-up is over

    worker_proc, stopping = None, threading.Event()
    # SIGTERM (systemd, docker stop) must run the cleanup below, like Ctrl+C.
    signal.signal(signal.SIGTERM, _raise_exit)
    try:
        if not no_worker:
            worker_proc = start_worker_child(worker_threads)
            _watch_child(worker_proc, stopping)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        click.echo(f"Accord is running at http://{shown}:{server.port}/  (Ctrl+C to stop)")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        server.server_close()
        if worker_proc is not None:
            stop_worker_child(worker_proc)
        click.echo("Accord stopped")


COMMANDS = [serve]
