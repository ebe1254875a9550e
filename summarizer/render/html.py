"""A summary as one self-contained HTML page: the article with every evidence span highlighted.

Each highlight is coloured by the kind of item it backs (event, position, demand) and links
to that item; each item's quotes link back to their highlights. The page needs no network
and no script. Everything from the article or the model is escaped: the templates are
rendered with autoescape, and the highlighted article is built from escaped pieces.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape

from ..schema import ACTOR_TYPE_LABELS as ACTOR_TYPES
from ..schema import WEAK_SUPPORT_NOTE, ArticleSummary, Evidence, SummaryResult
from ..urls import is_http_url
from .jinja import template
from .timeline import TimelineItem, event_status, render_timeline

ITEM_COLOURS: dict[str, str] = {"event": "#cfe3ff", "position": "#cdf0c8", "demand": "#ffdca8"}
# The page's header is this wide; the picture scales down with a narrower window.
TIMELINE_WIDTH = 1100


@dataclass(frozen=True)
class Highlight:
    """One located evidence quote: where it is and which item it backs."""

    number: int  # position in ArticleSummary.evidence(), the quote's anchor
    kind: str
    item: int
    start: int
    end: int
    match: str
    label: str


def render_html(result: SummaryResult) -> str:
    """The whole result as a self-contained HTML page (inline CSS, no network, no script)."""
    summary = result.summary
    names = {actor.id: actor.name for actor in summary.actors}
    return template("summary.html.j2").render(
        result=result,
        summary=summary,
        article=result.article,
        provenance=result.provenance,
        grounding=result.grounding,
        names=names,
        url=_web_url(result.article.url),
        actor_types=ACTOR_TYPES,
        colours=ITEM_COLOURS,
        anchors=quote_anchors(summary),
        highlighted=highlighted_article_html(result),
        weak_support_note=WEAK_SUPPORT_NOTE,
        timeline=events_timeline(summary),
    )


def events_timeline(summary: ArticleSummary, id_prefix: str = "") -> Markup | None:
    """The summary's events as a timeline picture, or None when fewer than two have a date.

    Each item is labelled with the event's first participant and links to the event.
    """
    if sum(event.date is not None for event in summary.events) < 2:
        return None
    names = {actor.id: actor.name for actor in summary.actors}
    return render_timeline(
        (
            TimelineItem(
                day=event.date,
                kind="event",
                actor=names.get(event.participants[0], event.participants[0])
                if event.participants
                else None,
                text=event.what,
                status=event_status(event.status),
                link=f"#{id_prefix}event-{number}",
            )
            for number, event in enumerate(summary.events)
        ),
        width=TIMELINE_WIDTH,
    )


def quote_anchors(summary: ArticleSummary, id_prefix: str = "") -> dict[tuple[str, int, int], str]:
    """Anchor of each located quote's highlight, keyed by (item kind, item index, quote index)."""
    anchors: dict[tuple[str, int, int], str] = {}
    previous, quote = ("", -1), 0
    for number, (kind, item, evidence) in enumerate(summary.evidence()):
        quote = quote + 1 if (kind, item) == previous else 0
        previous = (kind, item)
        if _located(evidence):
            anchors[kind, item, quote] = f"{id_prefix}q-{number}"
    return anchors


def highlights(summary: ArticleSummary, text: str) -> list[Highlight]:
    """Every located quote whose offsets fit the text, in order of position."""
    found: list[Highlight] = []
    for number, (kind, item, evidence) in enumerate(summary.evidence()):
        if not _located(evidence):
            continue
        assert evidence.start is not None and evidence.end is not None
        if not 0 <= evidence.start < evidence.end <= len(text):
            continue
        found.append(
            Highlight(
                number=number,
                kind=kind,
                item=item,
                start=evidence.start,
                end=evidence.end,
                match=evidence.match or "none",
                label=_item_label(summary, kind, item),
            )
        )
    return sorted(found, key=lambda h: (h.start, -h.end, h.number))


def highlighted_article_html(result: SummaryResult, *, id_prefix: str = "") -> Markup:
    """The article text with every evidence span highlighted, as an HTML fragment.

    Each highlighted stretch is a `<mark>` carrying its character offsets (`data-start`,
    `data-end`), coloured inline by item kind so the fragment also renders in an email, and
    wrapped in a link to the item (`#{id_prefix}event-0`). Each quote's first stretch is
    preceded by an anchor (`#{id_prefix}q-3`) the item links back to. Where quotes overlap,
    the text is cut at every boundary and each piece names all the quotes covering it.
    """
    text = result.article.text
    if not text:
        return Markup(
            '<div class="article"><p><em>The article text is not available.</em></p></div>'
        )
    marks = highlights(result.summary, text)
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    pieces: list[str] = []
    anchored: set[int] = set()
    for start, end in pairwise(cuts):
        covering = [m for m in marks if m.start <= start and end <= m.end]
        if not covering:
            pieces.append(str(escape(text[start:end])))
            continue
        starting = [m.number for m in covering if m.number not in anchored]
        anchored.update(starting)
        pieces.append(_mark(text, start, end, covering, starting, id_prefix))
    body = "".join(pieces)
    return Markup(f'<div class="article" style="white-space: pre-wrap">{body}</div>')


def _mark(
    text: str,
    start: int,
    end: int,
    covering: list[Highlight],
    starting: list[int],
    id_prefix: str,
) -> str:
    """One highlighted piece: a link to its item, the anchors of quotes starting here, a mark."""
    first = covering[0]
    kinds = list(dict.fromkeys(m.kind for m in covering))
    style = f"background: {ITEM_COLOURS[first.kind]}; color: inherit"
    if len(kinds) > 1:
        style += f"; box-shadow: inset 0 -3px 0 {ITEM_COLOURS[kinds[1]]}"
    if any(m.match == "fuzzy" for m in covering):
        style += "; border-bottom: 2px dotted #666"
    classes = " ".join(["hl", *(f"hl-{kind}" for kind in kinds)])
    title = "; ".join(f"{m.label} ({m.match} match)" for m in covering)
    quotes = " ".join(f"{id_prefix}q-{m.number}" for m in covering)
    anchors = "".join(f'<span class="anchor" id="{id_prefix}q-{n}"></span>' for n in starting)
    return (
        f'<a class="hl-link" href="#{id_prefix}{first.kind}-{first.item}" '
        f'style="color: inherit; text-decoration: none">{anchors}'
        f'<mark class="{classes}" data-start="{start}" data-end="{end}" '
        f'data-quotes="{quotes}" title="{escape(title)}" style="{style}">'
        f"{escape(text[start:end])}</mark></a>"
    )


def _web_url(url: str | None) -> str | None:
    """The URL if it is http(s); anything else (javascript:, data:) is never made a link."""
    return url if is_http_url(url) else None


def _located(evidence: Evidence) -> bool:
    return evidence.match not in (None, "none") and evidence.start is not None


def _item_label(summary: ArticleSummary, kind: str, index: int) -> str:
    if kind == "event":
        return f"event {index + 1}: {summary.events[index].what}"
    if kind == "position":
        return f"position {index + 1}: {summary.positions[index].topic}"
    return f"demand {index + 1}: {summary.demands[index].what}"
