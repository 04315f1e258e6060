"""The `accord` command line (DESIGN.md §3).

The runtime (database, plugins, job queue) is built lazily, by the commands that need
it: `accord --help` works without a database, and a broken ACCORD_PLUGINS fails only the
commands that load plugins, with a one-line message. Plugins add commands through
`accord_cli_commands`; inside one, `accord.admin.cli.current_runtime()` gives the runtime.
"""

import logging
import sys

import click
import peewee

from accord.core.backup import BackupError, mask_url
from accord.core.config import Config
from accord.core.migrate import SchemaError
from accord.core.plugins import PluginError
from accord.core.registry import RegistryError
from accord.core.services.errors import Forbidden, NotFound, ValidationError
from accord.core.worker import TuningError, tune_from_env


class CliState:
    """Per-invocation state (not a module global: tests run many invocations in one
    process, each with its own environment)."""

    def __init__(self):
        self._config = None
        self._runtime = None
        self._plugin_commands = None

    @property
    def config(self):
        if self._config is None:
            self._config = tune_from_env(Config.from_env())
        return self._config

    def runtime(self):
        if self._runtime is None:
            from accord.core import runtime as core_runtime

            # The instance folder holds the default SQLite file; with Redis for the jobs
            # nothing else would create it.
            self.config.ensure_home()
            self._runtime = core_runtime.build(self.config)
        return self._runtime

    def plugin_commands(self):
        """name -> click command from the enabled plugins (raises PluginError)."""
        if self._plugin_commands is None:
            from accord.core.plugins import make_plugin_manager

            pm = make_plugin_manager(self.config)
            commands = {}
            for batch in pm.hook.accord_cli_commands():
                for command in batch or ():
                    commands.setdefault(command.name, command)
            self._plugin_commands = commands
        return self._plugin_commands


def current_runtime():
    """The runtime of the running `accord` command (for plugin commands)."""
    return click.get_current_context().ensure_object(CliState).runtime()


def error_message(exc, config=None):
    """One line (or a short hint) for the errors a user can cause or fix."""
    if isinstance(exc, peewee.PeeweeException):
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f" ({mask_url(config.database_url)})" if config is not None else ""
        if isinstance(exc, peewee.ImproperlyConfigured):
            return f"database driver problem{where}: {first}"
        return f"database error{where}: {first}"
    if isinstance(exc, PluginError):
        return f"plugin error: {exc}"
    if isinstance(exc, RegistryError):
        return f"plugin registry error: {exc}"
    if isinstance(exc, SchemaError):
        return f"schema error: {exc}"
    if isinstance(exc, Forbidden):
        return f"not allowed: {exc}"
    return str(exc)


USER_ERRORS = (
    peewee.PeeweeException,
    PluginError,
    RegistryError,
    SchemaError,
    BackupError,
    ValidationError,
    NotFound,
    Forbidden,
    TuningError,
)


class AccordGroup(click.Group):
    """Core commands plus the plugins' commands; known errors become one-line messages."""

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        try:
            names |= set(ctx.ensure_object(CliState).plugin_commands())
        except Exception as exc:  # --help must work even when plugins are broken
            click.echo(f"warning: plugin commands unavailable: {error_message(exc)}", err=True)
        return sorted(names)

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        try:
            return ctx.ensure_object(CliState).plugin_commands().get(name)
        except USER_ERRORS as exc:
            raise click.ClickException(error_message(exc)) from None

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = 1  # every error of ours exits 1 (click's default is 2)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = 1
            raise
        except USER_ERRORS as exc:
            state = ctx.find_object(CliState)
            config = state._config if state is not None else None
            raise click.ClickException(error_message(exc, config)) from None


@click.group(cls=AccordGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more (INFO level).")
@click.pass_context
def cli(ctx, verbose):
    """Accord: a self-hosted, plugin-extensible CRM server.

    Configuration comes from ACCORD_* environment variables (ACCORD_HOME,
    ACCORD_DATABASE_URL, ACCORD_REDIS_URL, ACCORD_PLUGINS, ...).
    """
    ctx.ensure_object(CliState)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register():
    from accord.admin.commands import data, exports, plugins, search, serve, users, worker

    for module in (data, exports, plugins, search, serve, users, worker):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv=None):
    return cli.main(args=argv, prog_name="accord")


if __name__ == "__main__":
    sys.exit(main())
