"""Reading dates as Vietnamese people write them (dd/mm/yyyy), telling a wrong format apart from
a date that does not exist.

`strptime` answers both "31/02/2008" and "hôm qua" with the same ValueError, so a school that
typed a real-looking but impossible birthday was told to use dd/mm/yyyy, which it did. Here the
shape is checked first; a well-shaped date whose day or month cannot be is reported as such,
naming the month's length. Used by the roster import, the sitting form and `purge --before`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time

from exam_server.i18n import CATALOGUE, coded, translate

_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_DAY_TIME = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})\s*$")


class BadDate(ValueError):
    """A date that could not be read: `impossible` tells a date that cannot exist (31/02) from
    text that is not a date in the expected form; `message()` says which, in words."""

    def __init__(self, text: str, key: str, **params: object) -> None:
        super().__init__(f"{text!r}: {key}")
        self.text, self.key, self.params = text, key, params

    @property
    def impossible(self) -> bool:
        return self.key != "dates.bad_format" and self.key != "dates.bad_format_time"

    def message(self, lang: str | None = None) -> str:
        return translate(self.key, lang, value=self.text, **self.params)


def _checked(text: str, day: int, month: int, year: int) -> date:
    if not 1 <= month <= 12:
        raise BadDate(text, "dates.impossible_month", month=month)
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise BadDate(text, "dates.impossible_day", day=day, month=month, year=year, last=last)
    return date(year, month, day)


def parse_day(text: str, *, allow_iso: bool = False) -> date:
    """dd/mm/yyyy (also with - or . between), and yyyy-mm-dd when `allow_iso`; BadDate otherwise."""
    text = str(text)
    m = _DAY.match(text)
    if m:
        return _checked(text, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _ISO.match(text) if allow_iso else None
    if m:
        return _checked(text, int(m.group(3)), int(m.group(2)), int(m.group(1)))
    raise BadDate(text, "dates.bad_format")


def parse_day_time(text: str) -> datetime:
    """'dd/mm/yyyy HH:MM' as a naive wall-clock datetime; BadDate otherwise."""
    text = str(text)
    m = _DAY_TIME.match(text)
    if not m:
        raise BadDate(text, "dates.bad_format_time")
    day = _checked(text, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    hour, minute = int(m.group(4)), int(m.group(5))
    if hour > 23 or minute > 59:
        raise BadDate(text, "dates.impossible_time", hour=hour, minute=minute)
    return datetime.combine(day, time(hour, minute))


CATALOGUE.register(
    coded("dates.bad_format", "“{value}” is not a date in the form dd/mm/yyyy (for example 05/09/2008)."),
    coded("dates.bad_format_time", "“{value}” is not a date and time in the form dd/mm/yyyy HH:MM (for example 27/06/2026 07:30)."),
    coded("dates.impossible_month", "The date “{value}” does not exist: there is no month {month} (months run from 1 to 12)."),
    coded("dates.impossible_day", "The date “{value}” does not exist: {month}/{year} has only {last} days."),
    coded("dates.impossible_time", "The time in “{value}” does not exist: {hour}:{minute:02d} (times run from 00:00 to 23:59)."),
)
