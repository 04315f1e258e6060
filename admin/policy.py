"""Every route declares its access policy; a meta-test fails on any route without one.

Policies: "public" (no login: login page, static assets, signed public endpoints),
"authenticated" (any active user), "records" (any active user, rows scoped by
accord.core.access), "admin" (settings: admins only).
"""

POLICIES = ("public", "authenticated", "records", "admin")


def declare(policy):
    """Decorator for plain Flask view functions (plugins' blueprints too)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown access policy {policy!r}")

    def mark(view):
        view.access_policy = policy
        return view

    return mark
