"""The core's migrations, in order. Each module has `apply(db)`; never edit a released one."""

from accord.core.migrate import Migration
from accord.core.migrations import m0001_initial

CORE_MIGRATIONS = [
    Migration("core", 1, "initial", m0001_initial.apply),
]
