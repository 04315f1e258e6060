"""Built-in plugin `import_csv`: Import (CSV/TSV/XLSX, pasted rows) and export.

Registered through the `accord` entry point in setup.py, exactly like a third-party
plugin, and disabled with `ACCORD_PLUGINS=-import_csv`. It implements no hook yet: its
capability is built by its own issue on top of the hooks in accord.core.hookspecs.
"""
