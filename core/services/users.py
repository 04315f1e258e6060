"""Users: create, change role/manager/active, passwords, sessions. Only admins administer."""

import datetime as dt
import hashlib
import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from werkzeug.security import check_password_hash, generate_password_hash

from accord.core import access
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import ROLES, ApiToken, LoginThrottle, User, utcnow
from accord.core.services import activity
from accord.core.services.errors import ValidationError

MIN_PASSWORD = 10
MAX_FAILURES = 10
LOCK_MINUTES = 15
# Checked for unknown emails so a miss costs the same time as a wrong password (A2).
_DUMMY_HASH = generate_password_hash("accord-timing-equaliser")

USER_FIELDS = ("first_name", "last_name", "locale", "timezone", "signature", "team")
# What a user may change about themselves (not their team: it scopes reports).
SELF_FIELDS = ("first_name", "last_name", "locale", "timezone", "signature")


def _validate_password(password):
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationError({"password": _("Use at least %(n)s characters.", n=MIN_PASSWORD)})


def _validate_manager(user, manager_id):
    if manager_id is None:
        return None
    manager = User.get_or_none(User.id == manager_id)
    if manager is None:
        raise ValidationError({"manager": _("Unknown user.")})
    # A cycle in the reporting tree would make manager scope meaningless.
    if user is not None and (manager.id == user.id or manager.id in access.subordinate_ids(user)):
        raise ValidationError({"manager": _("That would make a reporting loop.")})
    return manager


def create_user(actor, email, role="normal", password=None, manager=None, **fields):
    """actor None means the command line run by the server's owner."""
    if actor is not None:
        access.check_user_change(actor, None, new_role=role)
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValidationError({"email": _("Enter a valid email address.")})
    if role not in ROLES:
        raise ValidationError({"role": _("Unknown role.")})
    if User.select().where(User.email == email).exists():
        raise ValidationError({"email": _("A user with this email exists.")})
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    if password is None:
        password_hash = "!"  # cannot log in until a password is set
    else:
        _validate_password(password)
        password_hash = generate_password_hash(password)
    manager_obj = _validate_manager(None, getattr(manager, "id", manager))
    with write():
        user = User.create(
            email=email,
            role=role,
            password_hash=password_hash,
            manager=manager_obj,
            **fields,
        )
        activity.log(actor, "created", user)
    return user


def update_user(actor, user, **changes):
    """Change role, manager, active or profile fields; the policy stops escalation."""
    role = changes.get("role")
    active = changes.get("active")
    is_self_profile = actor is not None and actor.id == user.id and set(changes) <= set(SELF_FIELDS)
    if actor is not None and not is_self_profile:
        access.check_user_change(actor, user, new_role=role, new_active=active)
    if role is not None and role not in ROLES:
        raise ValidationError({"role": _("Unknown role.")})
    _validate_profile(user, changes)
    before = dict(user.__data__)
    for key, value in changes.items():
        if key == "manager":
            user.manager = _validate_manager(user, getattr(value, "id", value))
        elif key in USER_FIELDS or key in ("role", "active", "email"):
            setattr(user, key, value)
        else:
            raise ValidationError({key: _("Unknown field.")})
    if user.role != before["role"] or (before["active"] and not user.active):
        # Rights changed: sessions made under the old rights end now.
        user.session_version = before["session_version"] + 1
    diff = {k: (before.get(k), v) for k, v in user.__data__.items() if before.get(k) != v}
    diff.pop("session_version", None)
    with write():
        user.save()
        if diff:
            activity.log(actor, "updated", user, diff)
    return user


def _validate_profile(user, changes):
    errors = {}
    if "locale" in changes:
        try:
            Locale.parse(changes["locale"])
        except (ValueError, TypeError, UnknownLocaleError):
            errors["locale"] = _("Unknown language.")
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ValueError, TypeError, ZoneInfoNotFoundError):
            errors["timezone"] = _("Unknown time zone.")
    if "email" in changes:
        email = (changes["email"] or "").strip().lower()
        if "@" not in email or len(email) > 254:
            errors["email"] = _("Enter a valid email address.")
        elif User.select().where((User.email == email) & (User.id != user.id)).exists():
            errors["email"] = _("A user with this email exists.")
        changes["email"] = email
    if errors:
        raise ValidationError(errors)


def change_own_password(user, current, new):
    """A user changing their own password must prove they know the current one."""
    stored = user.password_hash if user.password_hash.startswith("scrypt") else _DUMMY_HASH
    if not check_password_hash(stored, current or ""):
        raise ValidationError({"current_password": _("The current password is wrong.")})
    return set_password(user, user, new)


def set_password(actor, user, password):
    if actor is not None and actor.id != user.id:
        access.check_user_change(actor, user)
    _validate_password(password)
    with write():
        user.password_hash = generate_password_hash(password)
        user.session_version += 1  # every other session ends (A4)
        user.save()
        activity.log(actor, "password_changed", user)
    return user


def end_sessions(user):
    """Logout everywhere: bump the session version every session carries."""
    with write():
        User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def authenticate(email, password):
    """(user, None) on success, (None, "invalid") or (None, "locked").

    A locked account refuses even the right password; an unknown email takes as long as
    a known one and answers the same.
    """
    key = (email or "").strip().lower()
    now = utcnow()
    throttle = LoginThrottle.get_or_none(LoginThrottle.key == key)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        check_password_hash(_DUMMY_HASH, password or "")
        return None, "locked"
    user = User.get_or_none(User.email == key)
    stored = user.password_hash if user and user.password_hash.startswith("scrypt") else None
    ok = check_password_hash(stored or _DUMMY_HASH, password or "") and stored is not None
    if ok and user.active:
        with write():
            LoginThrottle.delete().where(LoginThrottle.key == key).execute()
            user.last_login_at = now
            User.update(last_login_at=now).where(User.id == user.id).execute()
        return user, None
    _record_failure(key, now)
    return None, "invalid"


def _record_failure(key, now):
    with write():
        LoginThrottle.insert(key=key, failures=0).on_conflict_ignore().execute()
        LoginThrottle.update(failures=LoginThrottle.failures + 1, last_failure_at=now).where(
            LoginThrottle.key == key
        ).execute()
        row = LoginThrottle.get(LoginThrottle.key == key)
        if row.failures >= MAX_FAILURES:
            row.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            row.failures = 0
            row.save()


def create_api_token(actor, user, name=""):
    """A new token for `user`; the plain token is returned once and only its hash kept."""
    if actor.id != user.id:
        access.check_user_change(actor, user)
    token = secrets.token_hex(32)  # 64 characters, as Base's client expects
    with write():
        ApiToken.create(user=user, name=name, token_hash=hash_token(token), prefix=token[:8])
    return token


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_api_token(actor, token_row):
    if actor.id != token_row.user_id:
        access.check_user_change(actor, token_row.user)
    with write():
        token_row.revoked_at = utcnow()
        token_row.save()
