"""`accord import contacts|companies|leads|deals|tasks FILE` with a progress line."""

import sys
import time

import click

from accord.core.services.errors import ValidationError
from accord.plugins.import_csv.targets import ENTITY_NAMES


def _importing_user(email):
    from accord.core.models import User

    if email:
        user = User.get_or_none(User.email == email)
        if user is None:
            raise click.ClickException(f"no user {email}")
        return user
    user = User.select().where((User.role == "admin") & User.active).order_by(User.id).first()
    if user is None:
        raise click.ClickException("create an admin first: accord user create EMAIL --role admin")
    return user


def _progress(started):
    def show(job):
        seconds = max(time.monotonic() - started, 1e-6)
        rate = job.rows_done / seconds
        total = job.total or 0
        if total:
            left = max(total - job.rows_done, 0) / rate if rate else 0
            width = 30
            done = int(width * min(job.rows_done / total, 1))
            bar = "#" * done + "-" * (width - done)
            text = f"[{bar}] {job.rows_done:,}/{total:,} rows"
            text += f"  {rate:,.0f} rows/s  {job.failed:,} errors  {left:,.0f} s left"
        else:
            text = f"{job.rows_done:,} rows  {rate:,.0f} rows/s  {job.failed:,} errors"
        click.echo("\r" + text, nl=False, err=True)

    return show


@click.command("import")
@click.argument("entity", type=click.Choice(sorted(ENTITY_NAMES)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row; write nothing.")
@click.option(
    "--update-by",
    default=None,
    help="Create or update, matching by email, phone or custom.<key> (an external id).",
)
@click.option("--update-only", is_flag=True, help="With --update-by: never create.")
@click.option("--mapping", "mapping_name", default=None, help="A mapping saved in the back office.")
@click.option("--user", "user_email", default=None, help="Import as this user (default: an admin).")
@click.option(
    "--errors",
    "errors_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the rows that failed (line, column, reason) to this CSV file.",
)
@click.option("--batch-size", type=click.IntRange(1, 50_000), default=None)
@click.option("--again", is_flag=True, help="Import a file even if it was imported before.")
def import_command(
    entity,
    file,
    dry_run,
    update_by,
    update_only,
    mapping_name,
    user_email,
    errors_file,
    batch_size,
    again,
):
    """Import rows from a CSV, TSV or XLSX FILE; exit status 1 when rows failed."""
    from accord.admin.cli import current_runtime
    from accord.core import access
    from accord.plugins.import_csv import mappings, report, run
    from accord.plugins.import_csv.models import ImportJob

    rt = current_runtime()
    target = ENTITY_NAMES[entity]
    with rt.db.connection_context():
        rt.migrate(log=lambda *_: None)
        user = _importing_user(user_email)
        if not access.can(user, "import"):
            raise click.ClickException(f"{user.email}: {run.not_allowed()}")
        mode = ("update" if update_only else "upsert") if update_by else "create"
        mapping = None
        if mapping_name:
            mapping = mappings.apply_saved(target, mapping_name, file)
        options = {"batch_size": batch_size} if batch_size else {}
        try:
            job = run.prepare(
                user,
                target,
                file,
                mapping=mapping,
                mode=mode,
                match_by=update_by or "email",
                dry_run=dry_run,
                options=options,
            )
        except ValidationError as exc:
            message = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            raise click.ClickException(message) from None
        if not dry_run:
            earlier = run.previous_run(job)
            if earlier is not None and earlier.status == "done" and not again:
                ImportJob.delete_by_id(job.id)
                click.echo(
                    f"{file} was already imported (job {earlier.id}): nothing to do; "
                    "--again imports it once more"
                )
                return
            if earlier is not None and earlier.status == "running":
                # The same file interrupted (a killed worker): finish that job instead.
                ImportJob.delete_by_id(job.id)
                job = earlier
                click.echo(f"resuming job {job.id} from line {job.line_done + 1}", err=True)
        started = time.monotonic()
        job = run.run(job.id, progress=_progress(started))
        seconds = time.monotonic() - started
        click.echo("", err=True)
        rate = job.rows_done / seconds if seconds else 0
        verb = "would create" if dry_run else "created"
        click.echo(
            f"job {job.id}: {job.rows_done:,} rows in {seconds:.1f} s ({rate:,.0f} rows/s); "
            f"{verb} {job.created:,}, updated {job.updated:,}, failed {job.failed:,}"
        )
        if job.failed:
            for error in report.error_rows(job).limit(20):
                click.echo(f"  line {error.line}: {error.column or '(row)'}: {error.reason}")
            if job.failed > 20:
                click.echo(f"  … and {job.failed - 20:,} more")
            if errors_file:
                with open(errors_file, "w", encoding="utf-8", newline="") as out:
                    for chunk in report.errors_csv(job, _header(job)):
                        out.write(chunk)
                click.echo(f"error rows written to {errors_file}")
            sys.exit(1)


def _header(job):
    from accord.plugins.import_csv.reading import read_file

    return read_file(
        job.source_path, job.options.get("encoding"), job.options.get("delimiter") or None
    ).header


COMMANDS = [import_command]
