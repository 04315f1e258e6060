"""One file row -> the values of one record, checked as a hand-made record is.

Everything that needs the database (owners, statuses, sources, pipelines, stages,
companies, contacts, custom-field definitions) is looked up once per import, so a row
costs only Python work; the cell values go through the field types (core/fields.py).
"""

import datetime as dt
import re

from babel.numbers import list_currencies

from accord.core import access
from accord.core.default_field_types import CheckboxField, DateField, EmailField, NumberField
from accord.core.export import restore
from accord.core.fields import FieldError, field_type
from accord.core.i18n import gettext as _
from accord.core.models import (
    CUSTOMER_STATUSES,
    ActionType,
    Contact,
    Deal,
    Lead,
    LossReason,
    Pipeline,
    Source,
    Stage,
    Status,
    Tag,
    UnqualifiedReason,
    User,
)
from accord.core.models.work import REMINDERS
from accord.core.services.records import PROTECTED
from accord.plugins.import_csv.targets import targets

# A plain address (most of a real file) is checked here; anything else, and each new
# domain once, goes through the email field type.
_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*\Z")
_EMAIL = EmailField()
_NUMBER = NumberField()
_DATE = DateField()
_CHECKBOX = CheckboxField()
CURRENCIES = frozenset(list_currencies())


class MappingError(ValueError):
    """The mapping itself is wrong (an unknown or forbidden target, a target twice)."""


def check_mapping(entity, header, mapping, custom_definitions):
    """Refuse targets the entity does not have or that are never taken from input."""
    known = set(targets(entity)) | {f"custom.{d.key}" for d in custom_definitions}
    seen = set()
    for column, key in zip(header, mapping, strict=False):
        if not key:
            continue
        if key in PROTECTED - {"owner", "pipeline", "id"} or key not in known:
            raise MappingError(_("Column %(c)s cannot be imported into %(k)s.", c=column, k=key))
        if key in seen:
            raise MappingError(_("Two columns are mapped to %(k)s.", k=key))
        seen.add(key)
    names = {"first_name", "last_name", "full_name"}
    if (entity == "contact" and not seen & names) or (
        entity == "lead" and not seen & (names | {"organization_name"})
    ):
        raise MappingError(_("Map a column to the first, last or full name."))
    required = {"company": "name", "deal": "name", "task": "content"}.get(entity)
    if required and required not in seen:
        raise MappingError(_("Map a column to %(k)s.", k=required))


class Lookups:
    """Names -> ids, loaded once per import."""

    def __init__(self, user, entity):
        self.user = user
        self.entity = entity
        users = list(User.select().where(User.active))
        self.users = {}
        for u in users:
            full = f"{u.first_name or ''} {u.last_name or ''}".strip().casefold()
            for name in (u.email.casefold(), full):
                if name:
                    self.users.setdefault(name, u.id)
        self.assignable = access.assignable_ids(user)
        kind = "contact" if entity == "company" else entity
        self.statuses = {
            s.name.casefold(): s.id for s in Status.select().where(Status.entity_kind == kind)
        }
        self.sources = {s.name.casefold(): s.id for s in Source.select()}
        self.pipelines = {p.name.casefold(): p.id for p in Pipeline.select()}
        self.default_pipeline = (
            Pipeline.select()
            .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
            .first()
        )
        self.stages = {}  # (pipeline id, name) -> (stage id, category)
        self.first_stage = {}
        for stage in Stage.select().order_by(Stage.position, Stage.id):
            self.stages.setdefault((stage.pipeline_id, stage.name.casefold()), stage)
            if stage.category == "active":
                self.first_stage.setdefault(stage.pipeline_id, stage)
        self.loss_reasons = {r.name.casefold(): r.id for r in LossReason.select()}
        self.unqualified_reasons = {r.name.casefold(): r.id for r in UnqualifiedReason.select()}
        self.action_types = {a.name.casefold(): a.id for a in ActionType.select()}
        self.tags = {t.name: t.id for t in Tag.select()}
        self.companies = None  # loaded when a company column is mapped
        self.contacts = None
        self.leads = None
        self.deals = None
        self.new_companies = {}  # casefolded name -> the name, created in the batch

    def owner(self, text):
        owner_id = self.users.get(text.casefold())
        if owner_id is None:
            raise FieldError(_("Unknown user %(name)s.", name=text[:80]))
        if self.assignable is not None and owner_id not in self.assignable:
            raise FieldError(_("You may not assign records to %(name)s.", name=text[:80]))
        return owner_id

    def load_companies(self):
        query = access.visible(
            Contact.select(Contact.id, Contact.name).where(Contact.is_organization),
            self.user,
            Contact,
        )
        self.companies = {}
        for row in query.tuples().iterator():
            self.companies.setdefault(row[1].casefold(), row[0])

    def company(self, text):
        if self.companies is None:
            self.load_companies()
        key = text.casefold()
        found = self.companies.get(key)
        if found is not None:
            return found
        if len(text) > 255 or "\n" in text:
            raise FieldError(_("Enter a company name on one line."))
        self.new_companies.setdefault(key, text)
        return ("new", key)

    def contact(self, text):
        if self.contacts is None:
            query = access.visible(
                Contact.select(Contact.id, Contact.email, Contact.name), self.user, Contact
            )
            self.contacts = {}
            for cid, email, name in query.tuples().iterator():
                for key in (email, name):
                    if key:
                        self.contacts.setdefault(key.casefold(), cid)
        found = self.contacts.get(text.casefold())
        if found is None:
            raise FieldError(_("No contact %(name)s.", name=text[:80]))
        return found

    def _named(self, model, fields):
        query = access.visible(model.select(model.id, *fields), self.user, model)
        found = {}
        for row in query.tuples().iterator():
            for key in row[1:]:
                if key:
                    found.setdefault(key.casefold(), row[0])
        return found

    def lead(self, text):
        if self.leads is None:
            self.leads = self._named(Lead, (Lead.email, Lead.name))
        found = self.leads.get(text.casefold())
        if found is None:
            raise FieldError(_("No lead %(name)s.", name=text[:80]))
        return found

    def deal(self, text):
        if self.deals is None:
            self.deals = self._named(Deal, (Deal.name,))
        found = self.deals.get(text.casefold())
        if found is None:
            raise FieldError(_("No deal %(name)s.", name=text[:80]))
        return found

    def tag_ids(self, text):
        """ "A, B" (the export's sorted, ", "-joined names) -> tag ids. A name may itself
        hold ", ", so the longest known name wins at each place."""
        parts = [p.strip() for p in text.split(",")]
        ids, i = [], 0
        while i < len(parts):
            for j in range(len(parts), i, -1):
                name = ", ".join(parts[i:j])
                if name in self.tags:
                    ids.append(self.tags[name])
                    i = j
                    break
            else:
                if parts[i]:
                    raise FieldError(_("Unknown tag: %(name)s.", name=parts[i][:80]))
                i += 1
        return tuple(sorted(set(ids)))


def _text(value):
    if "\n" in value or "\r" in value:
        raise FieldError(_("Line breaks are not allowed here."))
    if len(value) > 255:
        raise FieldError(_("At most %(n)s characters.", n=255))
    return value


def _paragraph(value):
    if len(value) > 20000:
        raise FieldError(_("At most %(n)s characters.", n=20000))
    return value


class EmailCheck:
    """The email field type, with a per-import cache of domains it accepted."""

    def __init__(self):
        self.domains = {}

    def __call__(self, value):
        local, at, domain = value.rpartition("@")
        if at and _SIMPLE_LOCAL.match(local) and len(value) <= 254 and len(local) <= 64:
            ok = self.domains.get(domain)
            if ok is None:
                try:
                    ok = _EMAIL.parse(f"a@{domain}").split("@", 1)[1]
                except FieldError:
                    ok = False
                self.domains[domain] = ok
            if ok:
                return f"{local}@{ok}"
        return _EMAIL.parse(value)


def _record_id(value):
    try:
        return int(value)
    except ValueError:
        raise FieldError(_("Enter a record id (a whole number).")) from None


def _decimal(value):
    return _NUMBER.parse(value)


def _currency(value):
    code = value.upper()
    if code not in CURRENCIES:
        raise FieldError(_("Unknown currency %(code)s.", code=code[:8]))
    return code


def _bool(value):
    return _CHECKBOX.parse(value)


def _date(value):
    return _DATE.parse(value)


def _datetime(value):
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(_("Enter a date and time as YYYY-MM-DD HH:MM.")) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _percent(value):
    try:
        number = int(value.rstrip("%").strip())
    except ValueError:
        raise FieldError(_("Enter a percentage from 0 to 100.")) from None
    if not 0 <= number <= 100:
        raise FieldError(_("Enter a percentage from 0 to 100."))
    return number


def _reminder(value):
    if value not in REMINDERS:
        raise FieldError(_("Choose one of: %(c)s.", c=", ".join(k for k in REMINDERS if k)))
    return value


def _customer_status(value):
    text = value.casefold()
    if text not in CUSTOMER_STATUSES:
        raise FieldError(_("Choose one of: %(c)s.", c=", ".join(CUSTOMER_STATUSES)))
    return text


CACHE_SIZE = 50_000


def _custom(definition):
    """The field type's parse, remembered per distinct cell text: a column of a big file
    repeats few values (choices, dates, scores), and a type's parse is a pure function."""
    ftype = field_type(definition)
    cache = {}

    def parse(value):
        try:
            return cache[value]
        except KeyError:
            pass
        parsed = ftype.from_csv(value)
        result = None if parsed is None else ftype.to_storage(parsed)
        if len(cache) < CACHE_SIZE:
            cache[value] = result
        return result

    return parse


def _vocabulary(table, message):
    def parse(value):
        found = table.get(value.casefold())
        if found is None:
            raise FieldError(message % value[:80])
        return found

    return parse


class Converter:
    """Turns the cells of one row into (values, custom, errors) for one entity."""

    def __init__(self, user, entity, header, mapping, custom_definitions):
        self.entity = entity
        self.header = header
        self.width = len(header)
        self.lookups = Lookups(user, entity)
        self.definitions = {d.key: d for d in custom_definitions}
        look = self.lookups
        kinds = {
            "text": _text,
            "paragraph": _paragraph,
            "full_name": _text,
            "email": EmailCheck(),
            "owner": look.owner,
            "status": _vocabulary(look.statuses, str(_("Unknown status %s."))),
            "source": _vocabulary(look.sources, str(_("Unknown source %s."))),
            "pipeline": _vocabulary(look.pipelines, str(_("Unknown pipeline %s."))),
            "stage": _text,  # resolved with the pipeline, in finish()
            "company": look.company,
            "contact": look.contact,
            "customer_status": _customer_status,
            "decimal": _decimal,
            "currency": _currency,
            "bool": _bool,
            "date": _date,
            "datetime": _datetime,
            "percent": _percent,
            "record_id": _record_id,
            "tags": look.tag_ids,
            "loss_reason": _vocabulary(look.loss_reasons, str(_("Unknown loss reason %s."))),
            "unqualified_reason": _vocabulary(
                look.unqualified_reasons, str(_("Unknown unqualified reason %s."))
            ),
            "action_type": _vocabulary(look.action_types, str(_("Unknown action type %s."))),
            "reminder": _reminder,
            "lead": look.lead,
            "deal": look.deal,
        }
        fields = targets(entity)
        self.cells = []  # (index, column name, key, parse, is custom)
        for index, key in enumerate(mapping):
            if not key or index >= self.width:
                continue
            if key.startswith("custom."):
                definition = self.definitions[key[7:]]
                self.cells.append((index, header[index], key[7:], _custom(definition), True))
            else:
                self.cells.append((index, header[index], key, kinds[fields[key].kind], False))
        self.required_custom = [d for d in custom_definitions if d.required]
        self.column_of = {key: header[i] for i, key in enumerate(mapping) if key and i < self.width}
        self.has_owner = "owner" in mapping
        self.split_name = bool({"first_name", "last_name"} & set(mapping))

    def convert(self, cells):
        """(values, custom, errors); errors is [(column, reason)], empty when valid."""
        errors = []
        if len(cells) != self.width:
            extra = cells[self.width :]
            if len(cells) < self.width or any(c.strip() for c in extra):
                return (
                    None,
                    None,
                    [
                        (
                            "",
                            _(
                                "Expected %(n)s columns, found %(m)s.",
                                n=self.width,
                                m=len(cells),
                            ),
                        )
                    ],
                )
        values, custom = {}, {}
        for index, column, key, parse, is_custom in self.cells:
            raw = cells[index].strip()
            if not raw:
                continue
            if raw[0] == "'":
                raw = restore(raw)  # a formula-safe export's apostrophe (import(export(x)) == x)
            try:
                value = parse(raw)
            except FieldError as exc:
                errors.append((column, str(exc)))
                continue
            if is_custom:
                if value is not None:
                    custom[key] = value
            else:
                values[key] = value
        if not errors:
            try:
                self.finish(values)
            except FieldError as exc:
                key, reason = exc.args[1] if len(exc.args) > 1 else ("", str(exc))
                errors.append((self.column_of.get(key, key), reason))
        return values, custom, errors

    def finish(self, values):
        """The entity's derived fields and required values (as the services derive them)."""
        entity = self.entity
        if entity in ("contact", "lead"):
            full = values.pop("full_name", None)
            # A file with first and last name columns (Accord's export) names a lead by
            # its organization when both are empty: its name column is that, not a person.
            if full and self.split_name and entity == "lead" and values.get("organization_name"):
                full = None
            if full and not (values.get("first_name") or values.get("last_name")):
                first, _sep, last = full.rpartition(" ")
                values["first_name"], values["last_name"] = first, last
            name = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
            if entity == "lead" and not name:
                name = values.get("organization_name", "")
            if name:
                values["name"] = name
        elif entity == "deal":
            self._stage(values)
        elif entity == "task":
            if values.get("done"):
                values["done_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
            minutes = REMINDERS.get(values.get("reminder") or "")
            if minutes is not None:
                if values.get("due_at") is None:
                    raise FieldError("", ("reminder", _("A reminder needs a due time.")))
                values["remind_at"] = values["due_at"] - dt.timedelta(minutes=minutes)

    def _stage(self, values):
        look = self.lookups
        pipeline_id = values.pop("pipeline", None)
        stage_name = values.pop("stage", None)
        if stage_name:
            pipelines = (
                [pipeline_id]
                if pipeline_id
                else [look.default_pipeline.id if look.default_pipeline else None]
                + list(look.pipelines.values())
            )
            for pid in pipelines:
                stage = look.stages.get((pid, stage_name.casefold()))
                if stage is not None:
                    break
            else:
                raise FieldError("", ("stage", _("Unknown stage %(n)s.", n=stage_name[:80])))
        else:
            pid = pipeline_id or (look.default_pipeline.id if look.default_pipeline else None)
            stage = look.first_stage.get(pid)
            if stage is None:
                raise FieldError("", ("stage", _("Create a pipeline with a stage first.")))
        values["stage"] = stage.id
        values["pipeline"] = stage.pipeline_id
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        values["last_stage_change_at"] = now
        values["closed_at"] = now if stage.category != "active" else None

    def required(self, values, custom, creating):
        """Row-level requirements for a new record: [(column, reason)]."""
        errors = []
        entity = self.entity
        if creating:
            if entity in ("contact", "lead") and not values.get("name"):
                errors.append(("", _("A person needs a first or last name.")))
            if entity in ("company", "deal") and not values.get("name"):
                errors.append(("", _("This record needs a name.")))
            if entity == "task" and not values.get("content"):
                errors.append(("", _("A task needs a text.")))
            for definition in self.required_custom:
                if definition.key not in custom:
                    errors.append((definition.label, _("This field is required.")))
        return errors
