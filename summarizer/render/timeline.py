"""A timeline picture (SVG) of dated items: events and positions, day by day.

Plain data in, one SVG document out, so the HTML summary and the archive browser draw the
same picture. Days run down a vertical axis, one row per item, items of one day stacked
beside their date; a gap of more than a day between two dates is labelled on the axis.
Shape tells the kind (circle: event, diamond: position), fill the status (filled: past,
ringed: ongoing, hollow and dashed: planned, with planned items' text in italics). Long
texts are cut on a word (the whole text is the item's tooltip); items without a day are
listed apart below the axis. Every text is escaped by the autoescaping template, and
characters XML forbids are dropped, so the picture parses as XML whatever the article holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from markupsafe import Markup
from pydantic import BaseModel, Field, field_validator

from ..schema import EventStatus
from .jinja import template

Kind = Literal["event", "position"]
Status = Literal["past", "ongoing", "planned"]

# Strong enough to read as markers; the same hues as the HTML page's highlight colours.
KIND_COLOURS: dict[str, str] = {"event": "#2f6fce", "position": "#2e8b3e"}
MAX_PER_DAY = 8
WIDTH = 760
ROW = 22
DAY_GAP = 14
# Room for the text of one row: what the label column and the marker leave, at about the
# width of a character of the 13px font.
CHAR_WIDTH = 7
TEXT_MARGIN = 40
AXIS_X = 150
LEGEND_HEIGHT = 34

# XML 1.0 admits tab, newline and carriage return among the control characters, and no other.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STATUS_OF_EVENT: dict[str, Status] = {
    "occurred": "past",
    "claimed": "past",
    "ongoing": "ongoing",
    "planned": "planned",
}


class TimelineItem(BaseModel):
    """One dated (or undated) item to draw on a timeline."""

    day: dt.date | None = Field(
        default=None, description="The day the item happened or is planned for; None: undated."
    )
    kind: Kind = Field(description="`event` (something done) or `position` (a stance taken).")
    actor: str | None = Field(
        default=None, description="Who acts or holds the position, shown before the text."
    )
    text: str = Field(description="What happened or the stance, as plain text (cut when long).")
    note: str | None = Field(
        default=None,
        description="A muted aside after the text, such as the article the item comes from.",
    )
    status: Status = Field(
        default="past", description="past, ongoing or planned (drawn hollow and dashed)."
    )
    link: str | None = Field(
        default=None,
        description="Where the item leads: a fragment (`#event-0`) or a path on the same site "
        "(`/archive/events/3`); any other URL is refused.",
    )

    @field_validator("link")
    @classmethod
    def _same_site(cls, link: str | None) -> str | None:
        if link is not None and not (
            link.startswith("#") or (link.startswith("/") and not link.startswith("//"))
        ):
            raise ValueError("a timeline link is a #fragment or a /path on the same site")
        return link


def event_status(status: EventStatus | str | None) -> Status:
    """The timeline status of an event's status; claimed, unknown and none are drawn as past."""
    return _STATUS_OF_EVENT.get(status or "", "past")


@dataclass(frozen=True)
class _Row:
    """One drawn item: where it sits and what it says."""

    y: int
    kind: str
    status: str
    actor: str
    text: str
    note: str
    title: str
    link: str | None
    colour: str


@dataclass(frozen=True)
class _Day:
    """A date label on the axis and, when the previous date is further away, the gap."""

    y: int
    label: str
    gap: str | None


def render_timeline(
    items: Iterable[TimelineItem], *, title: str | None = None, width: int = WIDTH
) -> Markup:
    """The items as one SVG document (safe to inline in HTML, or to serve as image/svg+xml).

    `width` is in pixels; texts are cut to what fits in it.
    """
    items = list(items)
    label_chars = (width - AXIS_X - TEXT_MARGIN) // CHAR_WIDTH
    dated = sorted((i for i in items if i.day is not None), key=lambda i: i.day or dt.date.min)
    undated = [i for i in items if i.day is None]
    y = LEGEND_HEIGHT + (24 if title else 0) + ROW
    rows: list[_Row] = []
    days: list[_Day] = []
    previous: dt.date | None = None
    for day, group in groupby(dated, key=lambda i: i.day):
        assert day is not None
        if previous is not None:
            y += DAY_GAP
        days.append(_Day(y=y, label=_day_label(day, previous), gap=_gap(previous, day)))
        y = _stack(rows, list(group), y, label_chars)
        previous = day
    axis_end = y - ROW + 8
    undated_y = y + DAY_GAP if undated else None
    if undated:
        y = _stack(rows, undated, y + DAY_GAP + ROW, label_chars)
    return Markup(
        template("timeline.svg.j2").render(
            width=width,
            height=y,
            axis_x=AXIS_X,
            axis_top=LEGEND_HEIGHT + (24 if title else 0) + 4,
            axis_end=axis_end if dated else None,
            title=_clean(title) if title else None,
            legend_y=(24 if title else 0) + 20,
            rows=rows,
            days=days,
            undated_y=undated_y,
            colours=KIND_COLOURS,
        )
    )


def _stack(rows: list[_Row], items: Sequence[TimelineItem], y: int, label_chars: int) -> int:
    """Append one row per item from `y` down (at most MAX_PER_DAY, then a count); the next y."""
    shown = items if len(items) <= MAX_PER_DAY else items[: MAX_PER_DAY - 1]
    for item in shown:
        actor, text = _clean(item.actor or ""), _clean(item.text)
        room = label_chars - (len(actor) + 2 if actor else 0)
        text = cut(text, max(room, 20))
        # The note gets what room the text leaves; it is the first thing to go.
        note = _clean(item.note or "")
        note = cut(note, room - len(text) - 3) if note and room - len(text) > 12 else ""
        full = f"{actor}: {_clean(item.text)}" if actor else _clean(item.text)
        rows.append(
            _Row(
                y=y,
                kind=item.kind,
                status=item.status,
                actor=actor,
                text=text,
                note=note,
                title=f"{full} ({_clean(item.note)})" if item.note else full,
                link=item.link,
                colour=KIND_COLOURS[item.kind],
            )
        )
        y += ROW
    if len(shown) < len(items):
        hidden = len(items) - len(shown)
        rows.append(
            _Row(y, "more", "past", "", f"… and {hidden} more", "", f"{hidden} more", None, "#888")
        )
        y += ROW
    return y


def cut(text: str, limit: int) -> str:
    """The text on one line, cut on a word with an ellipsis when longer than `limit`."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    if " " in head[limit // 2 :]:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.") + "…"


def _clean(text: str) -> str:
    """The text on one line, without the characters XML forbids."""
    return " ".join(_NOT_XML.sub("", text).split())


def _day_label(day: dt.date, previous: dt.date | None) -> str:
    """`Tue 18 Mar`, with the year on the first day and when it changes."""
    label = f"{day:%a} {day.day} {day:%b}"
    return f"{label} {day.year}" if previous is None or previous.year != day.year else label


def _gap(previous: dt.date | None, day: dt.date) -> str | None:
    if previous is None:
        return None
    days = (day - previous).days
    return f"{days} days later" if days > 1 else None
