"""Each user sets their own language and time zone; dates and money follow them."""

import datetime as dt

from accord.core.i18n import format_datetime, format_money
from accord.core.models import User
from tests.web import csrf_token, login
from tests.world import PASSWORD


def save_profile(client, **fields):
    data = {
        "profile-csrf_token": csrf_token(client, "/admin/profile/").strip(),
        "profile-first_name": "Ayşe",
        "profile-last_name": "Yılmaz",
        "profile-locale": "tr",
        "profile-timezone": "Europe/Istanbul",
        "profile-signature": "Saygılarımla",
    }
    data.update(fields)
    return client.post("/admin/profile/", data=data)


def test_user_sets_language_and_time_zone(client, world):
    login(client, "n1@world.test")
    response = save_profile(client)
    assert response.status_code == 302
    user = User.get_by_id(world.N1.id)
    assert (user.locale, user.timezone, user.first_name) == ("tr", "Europe/Istanbul", "Ayşe")
    # Saving the profile does not end the session.
    assert client.get("/admin/profile/").status_code == 200


def test_unknown_time_zone_is_refused_and_nothing_changes(client, world):
    login(client, "n1@world.test")
    response = save_profile(client, **{"profile-timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert User.get_by_id(world.N1.id).timezone == "UTC"


def test_a_user_cannot_change_their_team_or_role_through_the_profile(client, world):
    login(client, "r@world.test")
    save_profile(client, **{"profile-role": "admin", "profile-team": "1"})
    user = User.get_by_id(world.R.id)
    assert user.role == "restricted" and user.team_id is None


def test_password_change_needs_the_current_one_and_ends_sessions(app, world):
    client, other = app.test_client(), app.test_client()
    login(client, "n4@world.test")
    login(other, "n4@world.test")
    token = csrf_token(client, "/admin/profile/")
    wrong = client.post(
        "/admin/profile/",
        data={
            "password-csrf_token": token,
            "password-current_password": "not-my-password",
            "password-new_password": "a-brand-new-secret",
            "password-confirm": "a-brand-new-secret",
        },
    )
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    right = client.post(
        "/admin/profile/",
        data={
            "password-csrf_token": token,
            "password-current_password": PASSWORD,
            "password-new_password": "a-brand-new-secret",
            "password-confirm": "a-brand-new-secret",
        },
    )
    assert right.status_code == 302
    # Every session of that user ended, the other browser's too.
    assert other.get("/admin/").status_code == 302
    fresh = app.test_client()
    assert login(fresh, "n4@world.test", "a-brand-new-secret").status_code == 302


def test_formatting_follows_locale_and_zone():
    moment = dt.datetime(2026, 3, 1, 12, 0)  # naive UTC, as stored
    assert "15:00" in format_datetime(moment, "tr", "Europe/Istanbul")
    assert "12:00" in format_datetime(moment, "hu", "UTC")
    assert format_money(1234.5, "EUR", "fr").replace("\u202f", " ").startswith("1 234,50")
    assert format_money(1234.5, "TRY", "tr").startswith("₺")
