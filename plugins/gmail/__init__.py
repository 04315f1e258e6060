"""Built-in plugin `gmail`: Email: sync and sending through Gmail or any IMAP/SMTP provider.

Registered through the `accord` entry point in setup.py, exactly like a third-party
plugin, and disabled with `ACCORD_PLUGINS=-gmail`. It implements no hook yet: its
capability is built by its own issue on top of the hooks in accord.core.hookspecs.
"""
