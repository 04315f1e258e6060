"""Built-in plugins. Each is its own package, loaded through the `accord` entry point."""
