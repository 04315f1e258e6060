"""Built-in custom-field types, registered through `accord_field_types` like any plugin's."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from accord.core.fields import FieldError, FieldType
from accord.core.hookspecs import hookimpl
from accord.core.i18n import format_date, format_number
from accord.core.i18n import lazy_gettext as _


class TextField(FieldType):
    name = "text"
    label = _("Single-line text")
    operators = ("eq", "ne", "contains", "empty", "not_empty")
    max_length = 255

    def parse_value(self, raw):
        text = str(raw)
        if "\n" in text and self.max_length == 255:
            raise FieldError(_("Line breaks are not allowed here."))
        if len(text) > self.max_length:
            raise FieldError(_("At most %(n)s characters.", n=self.max_length))
        return text


class ParagraphField(TextField):
    name = "paragraph"
    label = _("Paragraph text")
    max_length = 20000


class NumberField(FieldType):
    name = "number"
    label = _("Number")
    operators = ("eq", "ne", "lt", "gt", "between", "empty", "not_empty")

    def parse_value(self, raw):
        try:
            value = Decimal(str(raw).replace(" ", ""))
        except InvalidOperation:
            raise FieldError(_("Enter a number.")) from None
        if not value.is_finite():
            raise FieldError(_("Enter a number."))
        return value

    def to_storage(self, value):
        return None if value is None else str(value)

    def from_storage(self, stored):
        return None if stored is None else Decimal(stored)

    def format(self, value, locale="en"):
        return format_number(value, locale)

    def to_csv(self, value):
        return "" if value is None else str(value)


class CheckboxField(FieldType):
    name = "checkbox"
    label = _("Checkbox")
    operators = ("eq",)
    TRUE = {"1", "true", "yes", "y", "on", "x"}
    FALSE = {"0", "false", "no", "n", "off", ""}

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


class DateField(FieldType):
    name = "date"
    label = _("Date")
    operators = ("eq", "lt", "gt", "between", "empty", "not_empty")

    def parse_value(self, raw):
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


@hookimpl
def accord_field_types():
    return [TextField, ParagraphField, NumberField, CheckboxField, DateField]
