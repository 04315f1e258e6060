"""`accord worker`: the job consumer (huey) with the outbox sweeper."""

import logging

import click

from accord.core import worker as core_worker


@click.command()
@click.option(
    "-w", "--workers", default=2, show_default=True, type=click.IntRange(1, 64),
    help="Worker threads in this process.",
)  # fmt: skip
@click.option(
    "-n", "--no-periodic", is_flag=True,
    help="Do not run the periodic scheduler (for extra workers; ticks are claimed once "
    "per tick anyway).",
)  # fmt: skip
@click.option("--embedded", is_flag=True, hidden=True, help="Started by `accord serve`.")
@click.pass_obj
def worker(state, workers, no_periodic, embedded):
    """Run the job consumer: outbox delivery, plugin jobs, periodic tasks.

    Refuses to start on a schema that is behind or half-migrated. Tuning:
    ACCORD_OUTBOX_LEASE_SECONDS (60), ACCORD_OUTBOX_SWEEP_SECONDS (15).
    """
    logging.getLogger().setLevel(logging.INFO)
    if embedded:
        # Inside `serve`'s terminal: huey's line per task would drown the web log.
        logging.getLogger("huey").setLevel(logging.WARNING)
    rt = state.runtime()
    with rt.db.connection_context():
        rt.check_schema()
    label = "embedded worker" if embedded else "worker"
    click.echo(
        f"accord {label}: {workers} thread(s), periodic {'off' if no_periodic else 'on'}, "
        f"queue {type(rt.huey).__name__} {rt.huey.name!r}",
        err=True,
    )
    core_worker.run(rt, workers=workers, periodic=not no_periodic, embedded=embedded)


COMMANDS = [worker]
