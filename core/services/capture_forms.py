"""Public lead-capture forms (SECURITY C16): admins define them; anyone may submit one.

A submission creates exactly one new lead from the form's allowlisted fields only,
through the same field rules as a lead typed in the back office. It never looks up,
merges into or updates an existing record (a matching email makes a new lead; a
salesperson decides about duplicates). The lead gets the form's source and an owner
(a fixed user, or round robin among the chosen users), and the `lead.captured` event is
written in the same transaction. No user makes the lead: the activity and the events
carry no actor, and the history names the form.
"""

import datetime as dt
import secrets

from email_validator import EmailNotValidError, validate_email
from peewee import IntegrityError

from accord.core import access, custom_values, events
from accord.core.db import database, write
from accord.core.i18n import gettext as _
from accord.core.i18n import lazy_gettext as _l
from accord.core.models import Activity, Lead, Source, User, utcnow
from accord.core.models.capture_forms import ASSIGNMENTS, CaptureForm, CaptureHit
from accord.core.services import activity, records
from accord.core.services.errors import ValidationError

# Lead fields a form may offer the public (never owner, status, source, ids …).
LEAD_FIELDS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "organization_name": _l("Company"),
    "title": _l("Title"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "website": _l("Website"),
    "street": _l("Street"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "region": _l("Region"),
    "country": _l("Country"),
    "description": _l("Message"),
}
# A lead needs a name or a company (the services' rule): a form must ask for one.
NAME_FIELDS = ("first_name", "last_name", "organization_name")
CUSTOM_PREFIX = "custom."
# A hidden input people leave empty and form-filling bots fill in.
HONEYPOT = "homepage"
MAX_TEXT = 255
MAX_LONG_TEXT = 5000
MAX_NAME = 200
# Submissions per form and IP address in one window.
RATE_LIMIT = 5
RATE_WINDOW = dt.timedelta(minutes=1)


def field_options():
    """[(key, label)] a form may offer: the lead fields, then active lead custom fields."""
    options = list(LEAD_FIELDS.items())
    for definition in custom_values.definitions("lead"):
        options.append((CUSTOM_PREFIX + definition.key, definition.label))
    return options


def field_label(key):
    return dict(field_options()).get(key, key)


def public_fields(form):
    """The form's fields still offered (an archived custom field drops out), in order."""
    known = dict(field_options())
    return [(key, known[key], key in (form.required or [])) for key in form.fields if key in known]


def by_token(token):
    """The active form with this token, or None (disabled and unknown look alike)."""
    if not token or len(token) > 100:
        return None
    return CaptureForm.get_or_none((CaptureForm.token == token) & CaptureForm.active)


# Administration (admins only) -------------------------------------------------------------


def _user_ids(values):
    ids = []
    for value in values or ():
        try:
            number = int(value.id if isinstance(value, User) else value)
        except (TypeError, ValueError):
            raise ValidationError({"assignees": _("Unknown user.")}) from None
        if number not in ids:
            ids.append(number)
    return ids


def _active_users(ids):
    return {u.id for u in User.select(User.id).where(User.id.in_(ids or [0]) & User.active)}


def _definition(data, current=None):
    """Validated column values of a form definition."""
    errors = {}
    values = {}
    name = str(data.get("name", getattr(current, "name", "")) or "").strip()
    if not name:
        errors["name"] = _("Give the form a name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("This text is too long.")
    values["name"] = name

    known = dict(field_options())
    fields = []
    for key in data.get("fields", getattr(current, "fields", None) or []):
        if key not in known:
            errors["fields"] = _("Unknown field: %(key)s.", key=key)
        elif key not in fields:
            fields.append(key)
    if not fields:
        errors.setdefault("fields", _("Choose the fields the form asks for."))
    elif not set(fields) & set(NAME_FIELDS):
        errors.setdefault("fields", _("Ask for a first name, last name or company."))
    missing = [
        d.label
        for d in custom_values.definitions("lead")
        if d.required and CUSTOM_PREFIX + d.key not in fields
    ]
    if missing:
        errors.setdefault(
            "fields",
            _("Required lead fields must be on the form: %(names)s.", names=", ".join(missing)),
        )
    values["fields"] = fields
    required = set(data.get("required", getattr(current, "required", None) or []))
    # A custom field every lead must have is required on the form too.
    required |= {CUSTOM_PREFIX + d.key for d in custom_values.definitions("lead") if d.required}
    values["required"] = [key for key in fields if key in required]

    source = data.get("source", getattr(current, "source_id", None))
    if source in ("", None):
        values["source"] = None
    else:
        found = Source.get_or_none(Source.id == _int(source))
        if found is None:
            errors["source"] = _("Unknown source.")
        values["source"] = getattr(found, "id", None)

    assignment = data.get("assignment", getattr(current, "assignment", "owner"))
    if assignment not in ASSIGNMENTS:
        errors["assignment"] = _("Choose how leads are assigned.")
    values["assignment"] = assignment
    owner = data.get("owner", getattr(current, "owner_id", None))
    owner = _int(owner) if owner not in ("", None) else None
    assignees = _user_ids(data.get("assignees", getattr(current, "assignees", None)))
    if assignment == "owner":
        if owner is None or owner not in _active_users([owner]):
            errors["owner"] = _("Choose an active user.")
    elif assignment == "round_robin" and (
        not assignees or set(assignees) - _active_users(assignees)
    ):
        errors["assignees"] = _("Choose one or more active users.")
    values["owner"] = owner if assignment == "owner" else None
    values["assignees"] = assignees if assignment == "round_robin" else []

    thank_you = str(data.get("thank_you", getattr(current, "thank_you", "")) or "")
    thank_you = thank_you.replace("\r\n", "\n").strip()
    if len(thank_you) > MAX_LONG_TEXT:
        errors["thank_you"] = _("This text is too long.")
    values["thank_you"] = thank_you
    values["active"] = bool(data.get("active", getattr(current, "active", True)))
    if errors:
        raise ValidationError(errors)
    return values


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _audit(actor, verb, form, changes=None):
    # Not activity.log: the form's `owner` is who gets leads, not whose record it is.
    Activity.create(
        created_at=utcnow(),
        actor=actor.id,
        verb=verb,
        entity_kind=form.entity,
        record_id=form.id,
        record_name=form.name[:255],
        owner_id=None,
        changes={
            k: [activity.plain(a), activity.plain(b)] for k, (a, b) in (changes or {}).items()
        },
    )


def create_form(actor, data):
    access.check(actor, "settings")
    values = _definition(data)
    with write():
        form = CaptureForm.create(
            token=secrets.token_urlsafe(18), creator=actor.id, **values, created_at=utcnow()
        )
        _audit(actor, "created", form)
    return form


def update_form(actor, form, data):
    access.check(actor, "settings")
    values = _definition(data, current=form)
    before = dict(form.__data__)
    for key, value in values.items():
        setattr(form, key, value)
    changes = {k: (before.get(k), v) for k, v in form.__data__.items() if before.get(k) != v}
    if not changes:
        return form
    form.updated_at = utcnow()
    with write():
        form.save()
        _audit(actor, "updated", form, changes)
    return form


def disable_form(actor, form, active=False):
    """Switch a form off (its URL answers 404) or on again."""
    return update_form(actor, form, {"active": active})


def new_token(actor, form):
    """A new public URL; the old one stops working (a form abused from a leaked URL)."""
    access.check(actor, "settings")
    with write():
        form.token = secrets.token_urlsafe(18)
        form.updated_at = utcnow()
        form.save()
        _audit(actor, "updated", form, {"token": ("…", "…")})
    return form


# The public side -----------------------------------------------------------------------


def allow(form, ip, now=None):
    """Count one submission of `ip` to `form`; False once it is over RATE_LIMIT in the
    current window. Counted in the database, so every web process shares the limit."""
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)  # fixed one-minute windows
    ip = (ip or "unknown")[:64]
    where = (
        (CaptureHit.form == form.id) & (CaptureHit.ip == ip) & (CaptureHit.window_start == window)
    )
    with write():
        bumped = CaptureHit.update(hits=CaptureHit.hits + 1).where(where).execute()
        if not bumped:
            try:
                with database.atomic():  # a savepoint: a concurrent first hit wins the insert
                    CaptureHit.create(form=form.id, ip=ip, window_start=window, hits=1)
            except IntegrityError:
                CaptureHit.update(hits=CaptureHit.hits + 1).where(where).execute()
            # Past windows are no longer needed.
            CaptureHit.delete().where(CaptureHit.window_start < window - RATE_WINDOW).execute()
        hits = CaptureHit.select(CaptureHit.hits).where(where).scalar()
    return hits <= RATE_LIMIT


def is_spam(data):
    """The honeypot was filled in: a bot (answer as if it worked, write nothing)."""
    return bool(str(data.get(HONEYPOT) or "").strip())


def _values(form, data):
    """The allowlisted fields of `data` as lead data; anything else is ignored."""
    errors, lead, custom = {}, {}, {}
    required = set(form.required or [])
    for key, _label, _required in public_fields(form):
        raw = data.get(key)
        value = raw.strip() if isinstance(raw, str) else ""
        limit = MAX_LONG_TEXT if key == "description" else MAX_TEXT
        if len(value) > limit:
            errors[key] = _("This text is too long.")
            continue
        if key in required and not value:
            errors[key] = _("This field is required.")
            continue
        if key == "email" and value:
            try:
                value = validate_email(
                    value, check_deliverability=False, test_environment=True
                ).normalized
            except EmailNotValidError:
                errors[key] = _("Enter an email address.")
                continue
        if key.startswith(CUSTOM_PREFIX):
            if value:
                custom[key[len(CUSTOM_PREFIX) :]] = value
        else:
            lead[key] = value
    if errors:
        raise ValidationError(errors)
    if custom:
        lead["custom"] = custom
    return lead


def _next_owner(form):
    """The owner of the next lead; call inside the write transaction (round robin is
    one UPDATE of the counter, so concurrent submissions take distinct turns)."""
    if form.assignment == "owner":
        return form.owner_id if form.owner_id in _active_users([form.owner_id]) else None
    if form.assignment != "round_robin":
        return None
    active = _active_users(form.assignees)
    turns = [uid for uid in form.assignees or () if uid in active]
    if not turns:
        return None
    CaptureForm.update(assigned_count=CaptureForm.assigned_count + 1).where(
        CaptureForm.id == form.id
    ).execute()
    count = CaptureForm.select(CaptureForm.assigned_count).where(CaptureForm.id == form.id).scalar()
    return turns[(count - 1) % len(turns)]


def _error_keys(form, exc):
    """Service errors on the form's own inputs ("custom.x" stays; others go to "")."""
    keys = {key for key, _label, _required in public_fields(form)}
    errors = {}
    for key, message in exc.errors.items():
        errors[key if key in keys else ""] = message
    return errors


def submit(form, data, ip=None):
    """Create one new lead from a public submission; returns it (None for spam).

    `data` is the posted mapping; only the form's fields are read. Raises
    ValidationError with per-field messages.
    """
    if not form.active:
        raise ValidationError({"": _("This form is closed.")})
    if is_spam(data):
        return None
    values = _values(form, data)
    try:
        lead = records.build_unattended(Lead, values, source=form.source_id)
    except ValidationError as exc:
        raise ValidationError(_error_keys(form, exc)) from None
    with write():
        lead.owner = _next_owner(form)
        lead.save(force_insert=True)
        activity.log(None, "created", lead, {"capture_form": (None, form.name)})
        events.emit("lead.created", lead, None, form_id=form.id)
        events.emit("lead.captured", lead, None, form_id=form.id, form_name=form.name)
    return lead
