"""Resolving the time words an article uses ("on Tuesday") to a date, by code.

The model copies the words; this module decides whether the article's publication date
makes them one day. Anything vaguer ("last week", "in recent weeks") stays unresolved.
"""

from __future__ import annotations

import datetime as dt
import re

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}{_YEAR}\b")
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_RELATIVE_DAYS = {
    "today": 0,
    "tonight": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    "yesterday": -1,
    "tomorrow": 1,
}
_VAGUE = ("week", "month", "year", "weekend", "recent", "past", "coming days")


def resolve(when: str | None, published: dt.date | None, *, planned: bool) -> dt.date | None:
    """The one day `when` names, given the publication date; None when it names no single day.

    A bare weekday points forward for planned events and backward otherwise ("on Monday"
    in a Monday article is that Monday).
    """
    if not when:
        return None
    text = when.lower()
    if match := _ISO.search(text):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if explicit := _calendar_date(text, published):
        return explicit
    if published is None:
        return None
    for words, offset in _RELATIVE_DAYS.items():
        if re.search(rf"\b{words}\b", text):
            return published + dt.timedelta(days=offset)
    weekdays = [day for day in _WEEKDAYS if re.search(rf"\b{day}\b", text)]
    if len(weekdays) != 1 or any(word in text for word in _VAGUE if word != "week"):
        return None
    target = _WEEKDAYS.index(weekdays[0])
    if re.search(r"\b(next|coming)\b", text) or (planned and not re.search(r"\blast\b", text)):
        ahead = (target - published.weekday()) % 7
        if re.search(r"\bnext\b", text) and ahead == 0:
            ahead = 7
        return published + dt.timedelta(days=ahead)
    behind = (published.weekday() - target) % 7
    if re.search(r"\blast\b", text) and behind == 0:
        behind = 7
    return published - dt.timedelta(days=behind)


def _calendar_date(text: str, published: dt.date | None) -> dt.date | None:
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        if match := pattern.search(text):
            month = next(
                i for i, name in enumerate(_MONTHS, 1) if name.startswith(match["month"][:3])
            )
            year = int(match["year"]) if match["year"] else (published.year if published else None)
            if year is None:
                return None
            return _date(year, month, int(match["day"]))
    return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
