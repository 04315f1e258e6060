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


def enforce(app):
    """Apply each plain route's declared policy before it runs; undeclared routes fail closed.

    Flask-Admin views gate themselves (is_accessible on the base views); this covers every
    other route, plugins' blueprints included, so a plugin cannot forget a login check.
    """
    from flask import abort, request

    from accord.admin.auth import current_accord_user, is_static_endpoint, unauthorized
    from accord.core import access

    endpoints = []  # worked out at the first request: every view is registered by then

    def admin_view_endpoints():
        if not endpoints:
            views = {
                view.endpoint for admin in app.extensions.get("admin", []) for view in admin._views
            }
            endpoints.append(frozenset(views))
        return endpoints[0]

    @app.before_request
    def _enforce_declared_policy():
        endpoint = request.endpoint
        if endpoint is None or is_static_endpoint(endpoint):
            return None
        if endpoint.split(".", 1)[0] in admin_view_endpoints():
            return None
        policy = getattr(app.view_functions.get(endpoint), "access_policy", None)
        if policy not in POLICIES:
            abort(403)
        if policy == "public":
            return None
        user = current_accord_user()
        if user is None:
            return unauthorized()
        if policy == "admin" and not access.can(user, "settings"):
            abort(403)
        return None
