"""Translation markers and locale-aware formatting usable without Flask.

The back office installs Flask-Babel's gettext as the translator; elsewhere (CLI, jobs)
strings stay in English. Strings are marked now so catalogs can come later.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import LazyProxy

_translator = None


def set_translator(gettext):
    global _translator
    _translator = gettext


def gettext(message, **variables):
    text = _translator(message) if _translator else message
    return text % variables if variables else text


def lazy_gettext(message, **variables):
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def to_local(value, timezone="UTC"):
    """Naive UTC from the database -> aware datetime in the user's zone."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone or "UTC"))


def _locale(name):
    """The parsed Babel locale (parsing it again for every list cell is most of the cost
    of formatting it); an unknown name raises as Babel would; None stays Babel's default."""
    return _parsed(name) if isinstance(name, str) else name


@lru_cache(maxsize=256)
def _parsed(name):
    return Locale.parse(name)


def format_datetime(value, locale="en", timezone="UTC", format="medium"):
    if value is None:
        return ""
    if type(value) is dt.datetime and value.tzinfo is None and isinstance(locale, str):
        # The same timestamp shows again on every page that lists its record.
        return _cached_datetime(value, locale, timezone or "UTC", format)
    return _format_datetime(value, locale, timezone, format)


@lru_cache(maxsize=8192)
def _cached_datetime(value, locale, timezone, format):
    return _format_datetime(value, locale, timezone, format)


def _format_datetime(value, locale, timezone, format):
    local = to_local(value, timezone)
    if isinstance(locale, str) and format in ("medium", "short"):
        # Babel's own composition ("{1}, {0}": date, time), from parts that repeat down
        # a list: the date by day, the time by second (these patterns name no zone).
        return (
            _datetime_pattern(locale, format)
            .replace("{0}", _cached_time(local.time(), locale, format))
            .replace("{1}", _cached_date(local.date(), locale, format))
        )
    return babel_dates.format_datetime(local, format=format, locale=_locale(locale))


@lru_cache(maxsize=256)
def _datetime_pattern(locale, format):
    return babel_dates.get_datetime_format(format, locale=_locale(locale)).replace("'", "")


@lru_cache(maxsize=8192)
def _cached_time(value, locale, format):
    return babel_dates.format_time(value, format=format, locale=_locale(locale))


def format_date(value, locale="en", format="medium"):
    if value is None:
        return ""
    if isinstance(locale, str) and type(value) is dt.date:
        return _cached_date(value, locale, format)  # dates repeat down a list
    return babel_dates.format_date(value, format=format, locale=_locale(locale))


@lru_cache(maxsize=4096)
def _cached_date(value, locale, format):
    return babel_dates.format_date(value, format=format, locale=_locale(locale))


def format_money(amount, currency="EUR", locale="en"):
    if amount is None:
        return ""
    if isinstance(locale, str) and isinstance(currency, (str, type(None))):
        # Babel looks the currency's name up on every call; amounts repeat down a list.
        return _cached_money(type(amount), str(amount), currency or "EUR", locale)
    return babel_numbers.format_currency(amount, currency or "EUR", locale=_locale(locale))


@lru_cache(maxsize=4096)
def _cached_money(kind, text, currency, locale):
    return babel_numbers.format_currency(kind(text), currency, locale=_locale(locale))


def format_number(value, locale="en"):
    if value is None:
        return ""
    return babel_numbers.format_decimal(value, locale=_locale(locale))
