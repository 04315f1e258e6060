"""The `accord` commands, one module per group; `accord.admin.cli` assembles them."""
