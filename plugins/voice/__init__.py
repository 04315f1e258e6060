"""Built-in plugin `voice`: Calls and SMS through Twilio-compatible webhooks.

Registered through the `accord` entry point in setup.py, exactly like a third-party
plugin, and disabled with `ACCORD_PLUGINS=-voice`. It implements no hook yet: its
capability is built by its own issue on top of the hooks in accord.core.hookspecs.
"""
