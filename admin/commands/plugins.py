"""`accord plugins`: what is loaded, which hooks each plugin implements, what it registers."""

import json

import click

from accord.core.plugins import describe


def report(rt):
    """The plugins and the registries as plain data (the --json output)."""
    registries = {
        key: [{"name": name, "plugin": reg.origins.get(name, "")} for name in sorted(reg)]
        for key, reg in sorted(rt.registries.items())
    }
    return {
        "safe_mode": rt.config.safe_mode,
        "plugins": describe(rt.pm),
        "registries": registries,
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def plugins(state, as_json):
    """List the loaded plugins, their hooks and the names they register."""
    data = report(state.runtime())
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    if data["safe_mode"]:
        click.echo("safe mode: no plugin is loaded (ACCORD_SAFE_MODE)")
    click.echo("plugins:")
    for plugin in data["plugins"]:
        hooks = ", ".join(plugin["hooks"]) or "(no hooks)"
        click.echo(f"  {plugin['name']:<22} {plugin['module']}")
        click.echo(f"  {'':<22} hooks: {hooks}")
    for key, entries in data["registries"].items():
        click.echo(f"{key.replace('_', ' ')}:")
        if not entries:
            click.echo("  (none)")
        for entry in entries:
            click.echo(f"  {entry['name']:<22} from {entry['plugin']}")


COMMANDS = [plugins]
