"""`python -m accord.admin.commands`: the CLI without the console script (how `accord
serve` starts its embedded worker, with the same interpreter)."""

import sys

from accord.admin.cli import main

sys.exit(main())
