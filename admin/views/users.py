"""Users and teams (admins only). Writes go through services.users, which refuses any
escalation and never lets the last active admin be demoted or deactivated (B11)."""

from zoneinfo import available_timezones

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField
from wtforms.validators import Length, Optional

from accord.admin.views import formatters as fmt
from accord.admin.views.filters import ChoiceFilter, query_options
from accord.admin.views.settings import SettingsView
from accord.core.models import Team, User
from accord.core.services import Forbidden, ValidationError, users

ROLE_CHOICES = [
    ("admin", _l("Administrator")),
    ("manager", _l("Manager")),
    ("normal", _l("Normal")),
    ("restricted", _l("Restricted")),
]


# The languages of the seeds; every user-facing string is marked for their catalogs.
LOCALE_CHOICES = [
    ("en", "English"),
    ("tr", "Türkçe"),
    ("pl", "Polski"),
    ("fr", "Français"),
    ("hu", "Magyar"),
    ("sw", "Kiswahili"),
]
TIMEZONE_CHOICES = [(z, z) for z in sorted(available_timezones()) if "/" in z or z == "UTC"]


def _select(choices):
    return lambda **kwargs: SelectField(choices=choices, **kwargs)


def _role(view, context, model, name):
    return dict(ROLE_CHOICES).get(model.role, model.role)


class UserView(SettingsView):
    can_delete = False  # deactivate instead: history keeps pointing at the user
    column_labels = {
        "email": _l("Email"),
        "first_name": _l("First name"),
        "last_name": _l("Last name"),
        "role": _l("Role"),
        "manager": _l("Manager"),
        "team": _l("Team"),
        "active": _l("Active"),
        "locale": _l("Language"),
        "timezone": _l("Time zone"),
        "signature": _l("Signature"),
        "last_login_at": _l("Last login"),
        "created_at": _l("Created"),
        "password": _l("Password"),
    }
    column_list = ["email", "first_name", "last_name", "role", "manager", "team", "active"]
    column_details_list = [*column_list, "locale", "timezone", "last_login_at", "created_at"]
    column_default_sort = ("email", False)
    column_formatters = {"role": _role, "manager": fmt.user_name}
    column_searchable_list = ["email", "first_name", "last_name"]
    search_label = _l("Email, name")
    column_filters = [
        User.role,
        User.active,
        ChoiceFilter(User.team, _l("Team"), query_options(lambda: Team.select())),
    ]
    form_columns = [
        "email",
        "first_name",
        "last_name",
        "role",
        "manager",
        "team",
        "locale",
        "timezone",
        "signature",
        "active",
    ]
    form_overrides = {
        "role": _select(ROLE_CHOICES),
        "locale": _select(LOCALE_CHOICES),
        "timezone": _select(TIMEZONE_CHOICES),
    }
    form_fk_queries = {
        "manager": User.select().order_by(User.first_name, User.email),
        "team": Team.select().order_by(Team.name),
    }
    form_fk_labels = {"manager": lambda u: u.name}
    form_extra_fields = {
        "password": PasswordField(
            _l("Password"),
            validators=[
                Optional(),
                Length(min=users.MIN_PASSWORD, max=200, message=_l("Use 10 to 200 characters.")),
            ],
            description=_l("At least 10 characters. On an existing user: a new password."),
        )
    }

    def create_record(self, user, data, owner, form):
        password = form.password.data or None
        if not password:
            raise ValidationError({"password": gettext("Set a first password.")})
        data = dict(data)
        email = data.pop("email", "")
        role = data.pop("role", "normal")
        manager = data.pop("manager", None)
        active = data.pop("active", True)
        created = users.create_user(
            user, email, role=role, password=password, manager=manager, **data
        )
        if not active:
            users.update_user(user, created, active=False)
        return created

    def update_record(self, user, target, data, owner, form):
        if "email" in data:
            data["email"] = (data["email"] or "").strip().lower()
            taken = User.select().where((User.email == data["email"]) & (User.id != target.id))
            if "@" not in data["email"] or taken.exists():
                raise ValidationError({"email": gettext("Enter an unused, valid email address.")})
        try:
            if data:
                users.update_user(user, target, **data)
        except Forbidden as exc:
            if "last active admin" in str(exc):
                raise ValidationError(
                    {
                        "role": gettext(
                            "The last active administrator cannot be demoted or deactivated."
                        )
                    }
                ) from None
            raise
        if form.password.data:
            users.set_password(user, target, form.password.data)
        return target

    def delete_record(self, user, record):
        raise Forbidden("delete")


class TeamView(SettingsView):
    column_labels = {"name": _l("Name")}
    column_list = ["name"]
    column_default_sort = ("name", False)
    column_searchable_list = ["name"]
    form_columns = ["name"]


def user_views(category):
    return [
        UserView(User, _l("Users"), category=category, endpoint="user", url="user"),
        TeamView(Team, _l("Teams"), category=category, endpoint="team", url="team"),
    ]
