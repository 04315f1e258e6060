"""The server process's heap after start-up.

A back-office process builds a large, long-lived heap before its first request (the
app, its templates, Babel's locale data, the plugins). Python's cyclic garbage
collector keeps walking those objects on its older-generation passes, and those passes
land on a few requests each: the p95 of a deal list page was twice its median. Moving
what start-up built into the permanent generation (gc.freeze) leaves the collector
only what requests allocate. Forked workers (gunicorn) keep those pages shared too.
"""

import gc


def settle():
    """Collect start-up's garbage, then exempt what remains from future collections.
    For server processes only: a test run building hundreds of apps would keep them."""
    gc.collect()
    gc.freeze()
