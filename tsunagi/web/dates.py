"""Dates as residents read them. Thai readers count years in the Buddhist era (พ.ศ., the
Gregorian year + 543); Babel's Thai patterns print the Gregorian year with ค.ศ., and its
calendar support does not reach the formatting, so the year is put into the pattern here
as a literal: 3 ธันวาคม พ.ศ. 2569, 3/12/69."""
from __future__ import annotations

import re
from datetime import date, datetime

from babel.dates import get_date_format, get_datetime_format
from flask_babel import format_date, format_datetime, format_time, get_locale

BUDDHIST_ERA_LOCALES = frozenset({"th"})
BUDDHIST_ERA_OFFSET = 543
_YEAR = re.compile(r"y+")
_ERA = re.compile(r"G+")


def buddhist_pattern(pattern: str, year: int) -> str:
    """A CLDR date pattern with the Buddhist-era year (and era name) as quoted literals:
    `yy` gives the last two digits, any other run of `y` the whole year. Quoted parts of
    the pattern are left as they are."""
    be = year + BUDDHIST_ERA_OFFSET
    parts = re.split(r"('(?:[^']|'')*')", pattern)
    out = []
    for part in parts:
        if part.startswith("'"):
            out.append(part)
            continue
        part = _ERA.sub("'พ.ศ.'", part)
        part = _YEAR.sub(lambda m: f"'{be % 100:02d}'" if len(m.group()) == 2 else f"'{be}'", part)
        out.append(part)
    return "".join(out)


def _buddhist(locale) -> bool:
    return str(locale or "") in BUDDHIST_ERA_LOCALES


def resident_date(value: date, format: str = "long", locale=None) -> str:
    """`format_date` in the reader's locale; Thai in the Buddhist era."""
    locale = locale or get_locale()
    if not _buddhist(locale):
        return format_date(value, format)
    return format_date(value, buddhist_pattern(get_date_format(format, locale).pattern, value.year))


def resident_datetime(value: datetime, format: str = "short", locale=None) -> str:
    """`format_datetime` (no rebasing: `value` is already in the time zone to show);
    Thai in the Buddhist era."""
    locale = locale or get_locale()
    if not _buddhist(locale):
        return format_datetime(value, format, rebase=False)
    day = resident_date(value.date(), format, locale)
    return get_datetime_format(format, locale).replace("{1}", day).replace(
        "{0}", format_time(value, format, rebase=False))
