"""`accord export`: a record list to a CSV or XLSX file, as one user sees it."""

import time
from pathlib import Path

import click

from accord.core import access, export, export_filters, export_paging
from accord.core.models import User
from accord.core.services.errors import Forbidden

LISTS = sorted(export.ALIASES) + sorted(export.SPECS)


def _user(email):
    if email:
        user = User.get_or_none(User.email == email.strip().lower())
        if user is None or not user.active:
            raise click.ClickException(f"no active user {email!r}")
        return user
    user = User.select().where((User.role == access.ADMIN) & User.active).order_by(User.id).first()
    if user is None:
        raise click.ClickException("no active admin: name a user with --as")
    return user


def _filters(items):
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--filter")
        pairs.append((key.strip(), value))
    return pairs


@click.command("export")
@click.argument("entity", metavar="LIST", type=click.Choice(LISTS))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(export.FORMATS),
    help="csv or xlsx. Default: the FILE's extension, else csv.",
)
@click.option(
    "--as",
    "as_email",
    metavar="EMAIL",
    help="Export what this user may see. Default: the first active admin (lowest id), "
    "which sees every record.",
)
@click.option("--search", help="Only rows matching every word, as the list's search box.")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="Only rows whose column KEY (a header key: city, status, owner_email, tags, "
    "custom.<key> …) equals VALUE; an empty VALUE means no value. Repeat to combine.",
)
@click.pass_obj
def export_command(state, entity, file, fmt, as_email, search, filters):
    """Write the record LIST (contacts, companies, leads, deals, tasks, appointments,
    notes, documents) to FILE: the same columns as the back office's Export, formula-safe
    and re-importable (`accord import` reads it back)."""
    fmt = fmt or ("xlsx" if file.suffix.lower() == ".xlsx" else "csv")
    spec = export.spec_for(entity)
    rt = state.runtime()
    started = time.monotonic()
    with rt.db.connection_context():
        rt.check_schema()
        user = _user(as_email)
        if not access.can(user, "export"):
            raise Forbidden(f"{user.email} may not export")
        click.echo(f"exporting {spec.entity} as {user.email}", err=True)
        try:
            ids = export_filters.list_ids(spec, user, search, _filters(filters))
        except export_filters.FilterError as exc:
            raise click.BadParameter(str(exc), param_hint="--filter") from None
        counter = {"n": 0}

        def counted(cells_iter):
            for cells in cells_iter:
                counter["n"] += 1
                if counter["n"] % 1000 == 0:
                    click.echo(f"\r{counter['n']:,} rows", nl=False, err=True)
                yield cells

        partial = file.with_name(file.name + ".part")
        try:
            cells = counted(export.rows(spec, user, ids, export_paging.Sort("id", False)))
            export.write(fmt, partial, export.header(spec), cells, title=spec.entity)
            partial.replace(file)
        finally:
            partial.unlink(missing_ok=True)
    if counter["n"] >= 1000:
        click.echo("", err=True)
    seconds = time.monotonic() - started
    click.echo(
        f"exported {counter['n']:,} {spec.entity} row(s) to {file} ({fmt}) in {seconds:.1f} s"
    )


COMMANDS = [export_command]
