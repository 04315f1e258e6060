"""core/i18n's cached formatting gives exactly what Babel gives, in every locale we seed."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates

from accord.core import i18n

LOCALES = ["en", "en_GB", "hu", "de", "fr", "pl", "tr", "sw", "ja", "ar", "fa"]
ZONES = ["UTC", "Europe/Budapest", "America/New_York", "Asia/Tehran", "Africa/Nairobi"]


@pytest.mark.parametrize("format", ["medium", "short", "long", "full"])
def test_format_datetime_matches_babel(format):
    rng = random.Random(5)
    for locale in LOCALES:
        for zone in ZONES:
            for _ in range(60):
                # Naive UTC, as the database gives it; DST changes and midnights included.
                value = dt.datetime(2019, 1, 1) + dt.timedelta(seconds=rng.randint(0, 10**8))
                local = value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
                expected = babel_dates.format_datetime(local, format=format, locale=locale)
                assert i18n.format_datetime(value, locale, zone, format) == expected
