"""The plugin manager factory: built-in defaults, entry-point plugins, safe mode."""

import importlib
import logging
from importlib.metadata import entry_points

import pluggy

from accord.core import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "accord"

# The core's own behaviour, written as plugins with the same hooks a third party uses.
DEFAULT_PLUGINS = (
    "accord.core.default_field_types",
    "accord.core.default_invitations",
    "accord.core.default_exports",
    "accord.core.default_automations",
    "accord.core.default_notifications",
)


class PluginError(RuntimeError):
    """A plugin named in ACCORD_PLUGINS is missing, or a plugin failed to load."""


def parse_selection(spec):
    """ACCORD_PLUGINS -> (enabled names or None for all, disabled names)."""
    enabled, disabled = set(), set()
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("-"):
            disabled.add(part[1:].strip())
        else:
            enabled.add(part)
    return (enabled or None), disabled


def installed_entry_points():
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def make_plugin_manager(config, extra_plugins=()):
    """A fresh manager for one app or worker: no import-time global state.

    `extra_plugins` are (name, plugin) pairs registered after the entry points (tests).
    """
    pm = pluggy.PluginManager("accord")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name.rsplit(".", 1)[1])

    if config.safe_mode:
        log.warning("ACCORD_SAFE_MODE is on: no plugin is loaded")
    else:
        available = installed_entry_points()
        enabled, disabled = parse_selection(config.plugins)
        unknown = ((enabled or set()) | disabled) - set(available)
        if unknown:
            # Installed is not enabled, and enabled must be installed (a typo fails loudly).
            raise PluginError(
                f"ACCORD_PLUGINS names plugins that are not installed: {', '.join(sorted(unknown))}"
                f" (installed: {', '.join(sorted(available)) or 'none'})"
            )
        for name, ep in sorted(available.items()):
            if name in disabled or (enabled is not None and name not in enabled):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin {name!r} failed to load: {exc}") from exc
            _register(pm, plugin, name)
        for name, plugin in extra_plugins:
            _register(pm, plugin, name)

    # A misspelt hook implementation fails here instead of silently never running.
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        # pluggy names the plugin object; name it as ACCORD_PLUGINS does.
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(f"plugin {name!r}: {exc}") from exc
    return pm


def _register(pm, plugin, name):
    """Register one plugin; a hook with wrong arguments fails as a PluginError naming it."""
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(f"plugin {name!r} cannot be registered: {exc}") from exc


def describe(pm):
    """What `accord plugins` prints: each plugin and the hooks it implements."""
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or ())
        rows.append({"name": name, "hooks": hooks, "module": getattr(plugin, "__name__", "")})
    return sorted(rows, key=lambda r: r["name"])
