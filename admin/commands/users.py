"""`accord user create|list`: accounts from the command line (actor None = the owner)."""

import secrets
import sys

import click

from accord.core.models import ROLES, User
from accord.core.services import users as user_service


def generate_password():
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


def _ask_password():
    return click.prompt(
        "Password", hide_input=True, confirmation_prompt="Repeat the password"
    )  # fmt: skip


@click.group()
def user():
    """Manage user accounts."""


@user.command("create")
@click.argument("email")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--password", help="Default: asked on a terminal, else generated and printed.")
@click.option("--manager", "manager_email", metavar="EMAIL", help="The user they report to.")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.pass_obj
def create(state, email, role, password, manager_email, first_name, last_name):
    """Create a user with EMAIL as login."""
    if role not in ROLES:
        raise click.ClickException(f"role: unknown role {role!r}; choose {', '.join(ROLES)}")
    rt = state.runtime()
    with rt.db.connection_context():
        rt.check_schema()
        manager = None
        if manager_email:
            manager = User.get_or_none(User.email == manager_email.strip().lower())
            if manager is None:
                raise click.ClickException(f"manager: no user with email {manager_email}")
        generated = False
        if password is None:
            if sys.stdin.isatty():
                password = _ask_password()
            else:
                password, generated = generate_password(), True
        created = user_service.create_user(
            None,
            email,
            role=role,
            password=password,
            manager=manager,
            first_name=first_name,
            last_name=last_name,
        )
    click.echo(f"created {created.role} {created.email} (id {created.id})")
    if generated:
        click.echo(f"password: {password}")
        click.echo("(shown once: store it now)")


@user.command("list")
@click.pass_obj
def list_users(state):
    """List the user accounts."""
    rt = state.runtime()
    with rt.db.connection_context():
        rt.check_schema()
        rows = list(User.select().order_by(User.id))
        managers = {u.id: u.email for u in rows}
        for u in rows:
            manager = managers.get(u.manager_id, "") if u.manager_id else ""
            flags = "" if u.active else "  (inactive)"
            click.echo(f"{u.id:>5}  {u.role:<10}  {u.email:<40}  {manager}{flags}")
    if not rows:
        click.echo("no users yet: accord user create EMAIL --role admin")


COMMANDS = [user]
