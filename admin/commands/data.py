"""`accord migrate`, `accord demo`, `accord backup`, `accord restore`."""

import time
from pathlib import Path

import click

from accord.core import backup as core_backup
from accord.core import migrate as core_migrate


@click.command()
@click.pass_obj
def migrate(state):
    """Apply the schema migrations of the core and the enabled plugins."""
    rt = state.runtime()
    with rt.db.connection_context():
        count = rt.migrate(log=click.echo)
        rt.check_schema()
    if count:
        click.echo(f"{count} migration(s) applied; database is up to date")
    else:
        click.echo("database is up to date")


@click.command()
@click.option("--contacts", default=2000, show_default=True, type=click.IntRange(0))
@click.option("--deals", default=2000, show_default=True, type=click.IntRange(0))
@click.option("--leads", type=click.IntRange(0), help="Default: contacts / 5.")
@click.option("--seed", type=int, help="Same seed, same data (on an empty database).")
@click.pass_obj
def demo(state, contacts, deals, leads, seed):
    """Add realistic demo data (migrates first). Does not create the admin account."""
    from accord.core import demo as core_demo

    rt = state.runtime()
    started = time.monotonic()
    with rt.db.connection_context():
        rt.migrate(log=click.echo)
        counts = core_demo.generate(
            contacts=contacts, deals=deals, leads=leads, seed=seed, log=click.echo
        )
    seconds = time.monotonic() - started
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items() if isinstance(n, int))
    click.echo(f"demo data created in {seconds:.1f} s: {summary}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(state, file):
    """Copy the live SQLite database into FILE (safe while the server writes).

    For PostgreSQL or MySQL it prints the pg_dump / mysqldump command to use.
    """
    info = core_backup.backup(state.config.database_url, file)
    size = info["bytes"] / 1e6
    click.echo(
        f"backup written to {info['path']} ({size:.1f} MB in {info['seconds']:.1f} s); "
        "integrity check: ok"
    )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def restore(state, file, yes):
    """Replace the SQLite database with the backup FILE.

    Stop `accord serve` and the workers first: the current data is overwritten.
    """
    config = state.config
    live = core_backup.sqlite_path(config.database_url)
    if live is None:
        raise core_backup.BackupError(core_backup.restore_hint(config.database_url))
    core_backup.inspect(file)  # refuse a bad file before asking
    if not yes:
        click.confirm(
            f"Replace the database {live or config.database_url} with {file}? "
            "Stop the server and workers first; the current data is overwritten",
            abort=True,
        )
    core_backup.restore(config.database_url, file)
    click.echo(f"restored {file} into {live}")
    rt = state.runtime()
    with rt.db.connection_context():
        applied, pending, running = core_migrate.status(rt.migrations())
    click.echo(f"migrations applied: {len(applied)}")
    if running or pending:
        names = ", ".join(f"{c} {v} ({n})" for c, v, n in running + pending)
        click.echo(f"migrations needed: {names}; run `accord migrate`")
    else:
        click.echo("schema is up to date")


COMMANDS = [migrate, demo, backup, restore]
