"""Who may open a back-office view: the login gate every view and the home page share."""

from flask import abort

from accord.admin import auth
from accord.admin.policy import POLICIES
from accord.core import access


def current_user():
    """The logged-in, active peewee User or None."""
    user = auth.current_accord_user()
    if user is None or not user.active:
        return None
    return user


def allowed(policy, user):
    if policy not in POLICIES:
        return False  # an undeclared policy opens nothing
    if policy == "public":
        return True
    if user is None:
        return False
    if policy == "admin":
        return access.can(user, "settings")
    return True


class GateMixin:
    """is_accessible / inaccessible_callback from the view's declared `access_policy`."""

    access_policy = None

    def is_accessible(self):
        return allowed(self.access_policy, current_user())

    def inaccessible_callback(self, name, **kwargs):
        if current_user() is None:
            # Anonymous: to the login page with a safe `next`.
            return auth.unauthorized()
        abort(403)
