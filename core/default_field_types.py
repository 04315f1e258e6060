"""Built-in custom-field types, registered through `accord_field_types` like any plugin's."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import phonenumbers
from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from accord.core.fields import FieldError, FieldType
from accord.core.hookspecs import hookimpl
from accord.core.i18n import format_date, format_money, format_number
from accord.core.i18n import lazy_gettext as _

MAX_CHOICES = 500
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _json_number(value):
    """Decimal -> a JSON number (int when whole) so SQL sorts and compares it as a number."""
    return int(value) if value == value.to_integral_value() else float(value)


class TextField(FieldType):
    name = "text"
    label = _("Single-line text")
    operators = ("eq", "ne", "contains", "empty", "not_empty")
    max_length = 255

    def parse_value(self, raw):
        text = str(raw)
        if self.max_length == 255 and ("\n" in text or "\r" in text):
            raise FieldError(_("Line breaks are not allowed here."))
        if len(text) > self.max_length:
            raise FieldError(_("At most %(n)s characters.", n=self.max_length))
        return text


class ParagraphField(TextField):
    name = "paragraph"
    label = _("Paragraph text")
    max_length = 20000

    def form_field(self, label, required=False, description=""):
        return TextAreaField(label, validators=[Optional()], description=description)


class NumberField(FieldType):
    name = "number"
    label = _("Number")
    operators = ("eq", "ne", "lt", "gt", "between", "empty", "not_empty")

    def parse_value(self, raw):
        text = str(raw).replace(" ", "").replace("\u00a0", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise FieldError(_("Enter a number, like 12 or 3.5.")) from None
        if not value.is_finite() or abs(value) >= Decimal(10) ** 15:
            raise FieldError(_("Enter a number, like 12 or 3.5."))
        return value

    def to_storage(self, value):
        return None if value is None else _json_number(value)

    def from_storage(self, stored):
        return None if stored is None else Decimal(str(stored))

    def format(self, value, locale="en"):
        return format_number(value, locale)

    def to_csv(self, value):
        return "" if value is None else str(value)


class CheckboxField(FieldType):
    name = "checkbox"
    label = _("Checkbox")
    operators = ("eq",)
    TRUE = frozenset({"1", "true", "yes", "y", "on", "x"})
    FALSE = frozenset({"0", "false", "no", "n", "off", ""})

    def parse(self, raw):
        if isinstance(raw, bool):
            return raw
        text = "" if raw is None else str(raw).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise FieldError(_("Enter yes or no."))

    def format(self, value, locale="en"):
        return str(_("Yes")) if value else str(_("No"))

    def to_csv(self, value):
        return "yes" if value else "no"

    def form_field(self, label, required=False, description=""):
        return BooleanField(label, description=description)


class DateField(FieldType):
    name = "date"
    label = _("Date")
    operators = ("eq", "lt", "gt", "between", "empty", "not_empty")

    def parse_value(self, raw):
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise FieldError(_("Enter a date as YYYY-MM-DD.")) from None

    def to_storage(self, value):
        return None if value is None else value.isoformat()

    def from_storage(self, stored):
        return None if stored is None else dt.date.fromisoformat(stored)

    def format(self, value, locale="en"):
        return format_date(value, locale)

    def to_csv(self, value):
        return "" if value is None else value.isoformat()

    def form_field(self, label, required=False, description=""):
        # A text field with the date widget: the type's own parse reports every error
        # together with the other fields' (wtforms' DateField would stop first).
        return StringField(
            label, validators=[Optional()], description=description, render_kw={"type": "date"}
        )


class DropdownField(FieldType):
    """One choice of up to 500, each with an abbreviation and colours."""

    name = "dropdown"
    label = _("Dropdown")
    operators = ("eq", "ne", "any_of", "empty", "not_empty")

    @classmethod
    def clean_options(cls, options):
        options = dict(options or {})
        choices, seen = [], set()
        for item in options.get("choices") or []:
            if isinstance(item, str):
                item = {"label": item}
            label = str(item.get("label") or "").strip()
            if not label:
                raise FieldError(_("Every choice needs a name."))
            key = str(item.get("key") or label).strip()
            if key.lower() in seen:
                raise FieldError(_("The choice %(name)s is listed twice.", name=label))
            seen.add(key.lower())
            choice = {
                "key": key,
                "label": label,
                "abbreviation": str(item.get("abbreviation") or ""),
            }
            for colour in ("font_color", "background_color"):
                value = item.get(colour)
                if value:
                    if not _COLOUR.fullmatch(str(value)):
                        raise FieldError(_("Colours look like #1a2b3c."))
                    choice[colour] = str(value)
            choices.append(choice)
        if not choices:
            raise FieldError(_("Add at least one choice."))
        if len(choices) > MAX_CHOICES:
            raise FieldError(_("At most %(n)s choices.", n=MAX_CHOICES))
        options["choices"] = choices
        return options

    @property
    def choices(self):
        return self.options.get("choices") or []

    def choice(self, text):
        text = str(text).strip()
        for choice in self.choices:
            if text == choice["key"] or text.lower() == choice["label"].lower():
                return choice
        raise FieldError(_("%(value)s is not one of the choices.", value=text[:80]))

    def parse_value(self, raw):
        return self.choice(raw)["key"]

    def format(self, value, locale="en"):
        if value is None:
            return ""
        for choice in self.choices:
            if choice["key"] == value:
                return choice["label"]
        return str(value)

    def form_field(self, label, required=False, description=""):
        return SelectField(
            label,
            choices=[("", "")] + [(c["key"], c["label"]) for c in self.choices],
            validators=[Optional()],
            description=description,
        )


class MultiSelectField(DropdownField):
    name = "multiselect"
    label = _("Multi-select")
    operators = ("any_of", "all_of", "empty", "not_empty")

    def parse(self, raw):
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = [part for part in re.split(r"[;\n|]", raw)]
        keys = []
        for item in raw:
            if str(item).strip():
                key = self.choice(item)["key"]
                if key not in keys:
                    keys.append(key)
        return keys or None

    def format(self, value, locale="en"):
        return ", ".join(DropdownField.format(self, key, locale) for key in value or [])

    def to_csv(self, value):
        return "; ".join(DropdownField.format(self, key) for key in value or [])

    def to_form(self, value):
        return list(value or [])

    def form_field(self, label, required=False, description=""):
        return SelectMultipleField(
            label,
            choices=[(c["key"], c["label"]) for c in self.choices],
            validators=[Optional()],
            description=description,
        )


class EmailField(FieldType):
    name = "email"
    label = _("Email")
    operators = ("eq", "contains", "empty", "not_empty")

    def parse_value(self, raw):
        try:
            result = validate_email(str(raw), check_deliverability=False, test_environment=True)
        except EmailNotValidError:
            raise FieldError(_("Enter a valid email address.")) from None
        return result.normalized


class PhoneField(FieldType):
    """Stored in E.164 (+905321234567), shown in international format."""

    name = "phone"
    label = _("Phone")
    operators = ("eq", "contains", "empty", "not_empty")

    def parse_value(self, raw):
        region = (self.options.get("region") or "US").upper()
        try:
            number = phonenumbers.parse(str(raw), region)
        except phonenumbers.NumberParseException:
            raise FieldError(_("Enter a phone number, like +44 20 7946 0958.")) from None
        if not phonenumbers.is_valid_number(number):
            raise FieldError(_("This is not a valid phone number."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def format(self, value, locale="en"):
        if not value:
            return ""
        number = phonenumbers.parse(value, None)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def to_csv(self, value):
        return value or ""


class AddressField(FieldType):
    """Structured: street, city, postal code, region, country."""

    name = "address"
    label = _("Address")
    operators = ("contains", "empty", "not_empty")
    PARTS = ("street", "city", "postal_code", "region", "country")

    def parse(self, raw):
        if raw is None:
            return None
        if isinstance(raw, dict):
            unknown = set(raw) - set(self.PARTS)
            if unknown:
                raise FieldError(_("Unknown address part %(name)s.", name=sorted(unknown)[0]))
            parts = {k: str(raw.get(k) or "").strip() for k in self.PARTS}
        else:
            # Text: one part per line (or "; "), in the order street, city, postal code,
            # region, country.
            lines = [p.strip() for p in re.split(r"\r?\n|;", str(raw))]
            if len(lines) > len(self.PARTS):
                raise FieldError(_("An address has at most five parts."))
            parts = dict(zip(self.PARTS, lines + [""] * (5 - len(lines)), strict=True))
        if any(len(value) > 200 for value in parts.values()):
            raise FieldError(_("Address parts are at most 200 characters."))
        if not any(parts.values()):
            return None
        return parts

    def format(self, value, locale="en"):
        if not value:
            return ""
        city = " ".join(p for p in (value.get("postal_code"), value.get("city")) if p)
        return ", ".join(
            p for p in (value.get("street"), city, value.get("region"), value.get("country")) if p
        )

    def to_csv(self, value):
        return "; ".join(value.get(k, "") for k in self.PARTS) if value else ""

    def to_form(self, value):
        return "\n".join(value.get(k, "") for k in self.PARTS) if value else ""

    def form_field(self, label, required=False, description=""):
        hint = description or _("One per line: street, city, postal code, region, country")
        return TextAreaField(label, validators=[Optional()], description=hint)


class URLField(FieldType):
    name = "url"
    label = _("URL")
    operators = ("eq", "contains", "empty", "not_empty")

    def parse_value(self, raw):
        text = str(raw).strip()
        scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)", text)
        if scheme and scheme.group(1).lower() not in ("http", "https"):
            raise FieldError(_("Enter a web address, like https://example.com."))
        if "://" not in text:
            text = "https://" + text
        parts = urlsplit(text)
        # Only web links: a javascript: or data: URL must never become a clickable link.
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in text:
            raise FieldError(_("Enter a web address, like https://example.com."))
        if len(text) > 2000:
            raise FieldError(_("At most %(n)s characters.", n=2000))
        return text


class CurrencyField(FieldType):
    """An amount (Decimal, two places) with its ISO 4217 currency code."""

    name = "currency"
    label = _("Currency")
    operators = ("eq", "lt", "gt", "between", "empty", "not_empty")
    _AMOUNT = re.compile(r"^\s*([A-Za-z]{3})?\s*([-+]?[\d\s.,]+?)\s*([A-Za-z]{3})?\s*$")

    @classmethod
    def clean_options(cls, options):
        options = dict(options or {})
        code = str(options.get("currency") or "EUR").upper()
        if code not in list_currencies():
            raise FieldError(_("Unknown currency %(code)s.", code=code))
        options["currency"] = code
        return options

    def parse(self, raw):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        default = (self.options.get("currency") or "EUR").upper()
        if isinstance(raw, dict):
            amount, code = raw.get("amount"), raw.get("currency") or default
        elif isinstance(raw, (int, float, Decimal)):
            amount, code = raw, default
        else:
            match = self._AMOUNT.match(str(raw))
            if not match or (match.group(1) and match.group(3)):
                raise FieldError(_("Enter an amount, like 1250.50 or 1250.50 EUR."))
            amount, code = (
                match.group(2).replace(" ", ""),
                match.group(1) or match.group(3) or default,
            )
        code = str(code).upper()
        if code not in list_currencies():
            raise FieldError(_("Unknown currency %(code)s.", code=code[:8]))
        try:
            value = Decimal(str(amount).replace(",", "")).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise FieldError(_("Enter an amount, like 1250.50 or 1250.50 EUR.")) from None
        if abs(value) >= Decimal(10) ** 13:
            raise FieldError(_("The amount is too large."))
        return {"amount": value, "currency": code}

    def to_storage(self, value):
        if value is None:
            return None
        return {"amount": _json_number(value["amount"]), "currency": value["currency"]}

    def from_storage(self, stored):
        if stored is None:
            return None
        return {
            "amount": Decimal(str(stored["amount"])).quantize(Decimal("0.01")),
            "currency": stored["currency"],
        }

    def format(self, value, locale="en"):
        return "" if value is None else format_money(value["amount"], value["currency"], locale)

    def to_csv(self, value):
        return "" if value is None else f"{value['amount']} {value['currency']}"


BUILT_IN = [
    TextField,
    ParagraphField,
    CheckboxField,
    DropdownField,
    MultiSelectField,
    DateField,
    EmailField,
    PhoneField,
    AddressField,
    URLField,
    NumberField,
    CurrencyField,
]


@hookimpl
def accord_field_types():
    return BUILT_IN
