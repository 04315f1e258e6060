"""My profile: each user's name, language, time zone, signature and password."""

from zoneinfo import available_timezones

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length

from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.users import LOCALE_CHOICES
from accord.core.services import ValidationError, users

TIMEZONES = sorted(z for z in available_timezones() if "/" in z or z == "UTC")


class ProfileForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Length(max=100)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=[(z, z) for z in TIMEZONES])
    signature = TextAreaField(_l("Email signature"), validators=[Length(max=2000)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(min=users.MIN_PASSWORD)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", message=_l("The passwords differ."))],
    )


def _apply_errors(form, error):
    for field, message in error.errors.items():
        target = getattr(form, field, None)
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            flash(message, "error")


class ProfileView(GateMixin, BaseView):
    access_policy = "authenticated"

    def is_visible(self):
        return False  # reached from the user's name in the navbar, not the menu

    @expose("/", methods=["GET", "POST"])
    def index(self):
        user = current_user()
        profile = ProfileForm(prefix="profile", obj=user)
        password = PasswordForm(prefix="password")
        if request.method == "POST" and "profile-locale" in request.form:
            if profile.validate_on_submit():
                try:
                    users.update_user(
                        user,
                        user,
                        **{f: getattr(profile, f).data for f in users.SELF_FIELDS},
                    )
                except ValidationError as error:
                    _apply_errors(profile, error)
                else:
                    flash(gettext("Your profile was saved."), "success")
                    return redirect(url_for(".index"))
        elif request.method == "POST" and password.validate_on_submit():
            try:
                users.change_own_password(
                    user, password.current_password.data, password.new_password.data
                )
            except ValidationError as error:
                _apply_errors(password, error)
            else:
                # The password change ended every session, this one too.
                flash(gettext("Password changed. Please log in again."), "success")
                return redirect(url_for("login"))
        return self.render("accord/profile.html", profile=profile, password=password, user=user)


def profile_view():
    return ProfileView(name=_l("My profile"), endpoint="profile", url="/admin/profile")
