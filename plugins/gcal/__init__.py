"""Built-in plugin `gcal`: Calendar: sync with Google Calendar or any CalDAV server.

Registered through the `accord` entry point in setup.py, exactly like a third-party
plugin, and disabled with `ACCORD_PLUGINS=-gcal`. It implements no hook yet: its
capability is built by its own issue on top of the hooks in accord.core.hookspecs.
"""
