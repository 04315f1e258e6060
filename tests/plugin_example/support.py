"""Installing test plugins through REAL entry points, and a runtime that loads them.

A plugin is "installed" by writing a `<dist>-<version>.dist-info/` folder (METADATA and
entry_points.txt) into a temporary folder put at the front of sys.path: this is what pip
leaves behind, so importlib.metadata — and so accord.core.plugins — finds it unaided.
"""

import contextlib
import dataclasses
import importlib
import sys
from pathlib import Path

from accord.core import runtime as core_runtime
from accord.core.db import database
from accord.core.migrate import SchemaVersion

HERE = Path(__file__).resolve().parent
EXAMPLE_MODULE = "accord_example_plugin"
EXAMPLE_TABLES = ("example_marker",)


def write_dist(site, dist_name, entry_points, version="0.1"):
    """Write the metadata pip would leave for a distribution with `accord` entry points."""
    info = Path(site) / f"{dist_name}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[accord]\n{lines}", encoding="utf-8")
    return info


def install_plugin(monkeypatch, site, dist_name, entry_points, modules=None):
    """Install a throwaway plugin distribution; `modules` maps module name -> source."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    for name, source in (modules or {}).items():
        (site / f"{name}.py").write_text(source, encoding="utf-8")
        # A module of the same name from an earlier test must not be reused.
        monkeypatch.delitem(sys.modules, name, raising=False)
    write_dist(site, dist_name, entry_points)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def install_example(monkeypatch, tmp_path):
    """Make `example = accord_example_plugin` an installed entry point for this test."""
    site = tmp_path / "example-site"
    write_dist(site, "accord_example_plugin", {"example": EXAMPLE_MODULE})
    monkeypatch.syspath_prepend(str(HERE))  # where the module's source lives
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def drop_example_schema(db):
    """Remove what the example migration made, so the shared test DB stays consistent."""
    for table in EXAMPLE_TABLES:
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    SchemaVersion.delete().where(SchemaVersion.component == "example").execute()


@contextlib.contextmanager
def example_runtime(session_runtime, migrate=True, **overrides):
    """A second runtime (with the installed example plugin) on the test database.

    core.runtime.build re-binds the `database` proxy to a new database object for the same
    URL; on the way out the session runtime gets the proxy and the event dispatcher back.
    """
    config = dataclasses.replace(
        session_runtime.config, extra=dict(session_runtime.config.extra), **overrides
    )
    rt = None
    try:
        rt = core_runtime.build(config)
        if migrate:
            rt.migrate(log=lambda *_: None)
        yield rt
    finally:
        # The new database even when build() failed after binding; a CLI test may have
        # bound yet another one. Close every one but the session's.
        opened = [database.obj] + ([rt.db] if rt is not None else [])
        try:
            drop_example_schema(database)
        finally:
            for db in opened:
                if db is not None and db is not session_runtime.db and not db.is_closed():
                    db.close()
            database.initialize(session_runtime.db)
            session_runtime.activate()
