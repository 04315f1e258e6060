"""Server processes move start-up's heap out of the garbage collector's sight
(accord.admin.heap): `accord serve` and the WSGI entry point for gunicorn."""

import gc
import subprocess
import sys

import werkzeug.serving

from accord.admin import heap
from tests.test_cli import accord, env, free_port, home, migrated, subprocess_env  # noqa: F401


def test_settle_freezes_what_exists():
    before = gc.get_freeze_count()
    kept = [object() for _ in range(1000)]
    try:
        heap.settle()
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()


def test_serve_settles_before_it_serves(migrated, monkeypatch):  # noqa: F811
    seen = {}
    real = werkzeug.serving.make_server

    def make_server(*args, **kwargs):
        server = real(*args, **kwargs)

        def serve_forever(*_args, **_kwargs):
            seen["frozen"] = gc.get_freeze_count()
            raise KeyboardInterrupt  # serve's own way out: Ctrl+C

        server.serve_forever = serve_forever
        return server

    monkeypatch.setattr(werkzeug.serving, "make_server", make_server)
    gc.unfreeze()
    try:
        result = migrated("serve", "--no-worker", "--port", str(free_port()))
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert "Accord stopped" in result.output
    assert seen["frozen"] > 10_000  # the app, its templates and plugins


def test_the_wsgi_entry_point_settles(migrated, home):  # noqa: F811
    probe = "import gc, accord.admin.wsgi; print(gc.get_freeze_count())"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(out.stdout.split()[-1]) > 10_000, out.stdout + out.stderr
