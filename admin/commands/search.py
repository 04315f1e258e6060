"""`accord reindex`: rebuild the search index (after a restore or bulk SQL by hand)."""

import time

import click

from accord.core import search_index
from accord.core.db import write


@click.command()
@click.pass_obj
def reindex(state):
    """Rebuild the search index from the records (SQLite FTS5; PostgreSQL trigram indexes)."""
    rt = state.runtime()
    started = time.monotonic()
    with rt.db.connection_context():
        rt.check_schema()
        with write():
            search_index.rebuild(rt.db)
    click.echo(f"search index rebuilt in {time.monotonic() - started:.1f} s")


COMMANDS = [reindex]
