"""Grounding a summary in its article: where each quote is, and what the text does not bear out.

Offsets and match kinds are computed here, after the answer, never asked of the model. A
quote is looked for verbatim, then after normalising spacing, quote marks, dashes and case,
then fuzzily. An event, position or demand none of whose quotes is found is ungrounded:
kept and flagged, or dropped by option. An actor whose name and aliases do not occur in
the text is flagged too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .schema import (
    QUOTE_MAX_CHARS,
    AnswerCheck,
    ArticleSummary,
    Demand,
    DemandsAnswer,
    Event,
    Evidence,
    Grounding,
    MatchKind,
    Position,
)
from .sentences import split_sentences

FUZZY_THRESHOLD = 85.0
# How similar the nearest sentence must be to be offered with a re-ask (token-set ratio).
_HINT_THRESHOLD = 50.0
_QUOTE_MARKS = {
    "“": '"',
    "”": '"',
    "„": '"',
    "‘": "'",
    "’": "'",
    "`": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "−": "-",
    "\u00a0": " ",
}


@dataclass(frozen=True)
class Span:
    """Where a quote sits in the text, and how it was found."""

    start: int
    end: int
    match: MatchKind


# A whitespace run that is not a single space already: normalising makes it one.
_UNEVEN_SPACE = re.compile(r"[^\S ]\s*| \s+")


class SourceText:
    """The article text with a normalised copy that maps back to original offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Built from the few places that change, not character by character (2 ms for a
        # 5,000-character article, twice per summary, on the event loop). Every change
        # but the whitespace keeps one character for one, so offsets carry over.
        plain = _plain_marks(text)
        pieces: list[str] = []
        self._origin: list[int] = []
        kept = len(plain) - len(plain.lstrip())  # leading whitespace is dropped
        for run in _UNEVEN_SPACE.finditer(plain, kept):
            start, end = run.span()
            pieces += (plain[kept:start], " ")
            self._origin.extend(range(kept, start + 1))  # the space maps to the run's start
            kept = end
        pieces.append(plain[kept:])
        self._origin.extend(range(kept, len(plain)))
        self.normalized = _lowercase("".join(pieces))

    def locate(self, quote: str) -> Span | None:
        """Find a quote exactly, then normalised (spacing, quotes, dashes, case), then fuzzily."""
        start = self.text.find(quote) if quote else -1
        if start >= 0:
            return Span(start, start + len(quote), "exact")
        # Quote marks around the whole quote are the model's, not the article's.
        needle = _normalize(quote.strip().strip("\"'“”‘’„`").strip())
        if not needle:
            return None
        start = self.normalized.find(needle)
        if start >= 0:
            return self._span(start, start + len(needle), "normalized")
        return self._fuzzy(needle)

    def _fuzzy(self, needle: str) -> Span | None:
        if len(needle) < 12:
            return None
        alignment = fuzz.partial_ratio_alignment(
            needle, self.normalized, score_cutoff=FUZZY_THRESHOLD
        )
        if alignment is None:
            return None
        start, end = alignment.dest_start, alignment.dest_end
        # Trim the spaces the alignment may take in, then widen to whole words, so a
        # highlight never starts or ends with a space or inside a word.
        while start < end and self.normalized[start] == " ":
            start += 1
        while end > start and self.normalized[end - 1] == " ":
            end -= 1
        if start == end:
            return None
        while (
            start > 0 and self.normalized[start - 1].isalnum() and self.normalized[start].isalnum()
        ):
            start -= 1
        while (
            end < len(self.normalized)
            and self.normalized[end].isalnum()
            and self.normalized[end - 1].isalnum()
        ):
            end += 1
        return self._span(start, end, "fuzzy")

    def _span(self, start: int, end: int, kind: MatchKind) -> Span:
        return Span(self._origin[start], self._origin[end - 1] + 1, kind)

    def mentions(self, label: str) -> bool:
        """Whether a name occurs in the text as a whole word, ignoring case and punctuation."""
        needle = _normalize(label)
        return (
            bool(needle)
            and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", self.normalized) is not None
        )

    @functools.cached_property
    def _sentences(self) -> list[str]:
        # Spacing is tidied (a sentence may wrap across lines); a copy is still found.
        return [" ".join(sentence.text.split()) for sentence in split_sentences(self.text)]

    def closest_passage(self, quote: str, limit: int = QUOTE_MAX_CHARS) -> str | None:
        """The article's sentence (or, in a long sentence, words) nearest to a quote not found.

        Sent back with the re-ask: a small model told only that a quote is missing tends to
        repeat it, while shown the article's own words it copies them.
        """
        found = process.extractOne(
            quote, self._sentences, scorer=fuzz.token_set_ratio, score_cutoff=_HINT_THRESHOLD
        )
        if found is None:
            return None
        best = found[0]
        if len(best) <= limit:
            return best
        alignment = fuzz.partial_ratio_alignment(quote, best)
        centre = (alignment.dest_start + alignment.dest_end) // 2 if alignment else 0
        start = max(0, min(centre - limit // 2, len(best) - limit))
        window = best[start : start + limit]
        # Whole words only, so the passage can be copied as an exact quote.
        if start > 0:
            window = window.split(" ", 1)[-1]
        if start + limit < len(best):
            window = window.rsplit(" ", 1)[0]
        return window.strip()


def _lower(char: str) -> str:
    # A few characters lower to two ("İ"); they stay as they are, so offsets map one to one.
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


def _lowercase(text: str) -> str:
    # str.lower() agrees with lowering each character on its own except where a character
    # lowers to two, which changes the length, and for a final sigma, which it lowers by
    # context; only then is the slow way needed.
    lowered = text.lower()
    if len(lowered) == len(text) and "Σ" not in text:
        return lowered
    return "".join(map(_lower, text))


def _plain_marks(text: str) -> str:
    for mark, plain in _QUOTE_MARKS.items():
        if mark in text:
            text = text.replace(mark, plain)
    return text


def _normalize(text: str) -> str:
    return _lowercase(" ".join(_plain_marks(text).split()))


def ground(summary: ArticleSummary, text: str, *, drop_ungrounded: bool = False) -> Grounding:
    """Ground a summary in its article text, in place, and measure how well it is grounded.

    Sets offsets and match kind on every evidence quote, `grounded` on every event,
    position and demand, and `mentioned` on every actor, whose aliases and role are kept
    only where the article uses them. With `drop_ungrounded`, items none of whose quotes is
    found are removed. The figures count what the model gave, before any drop.
    """
    source = SourceText(text)
    quotes = [evidence for _, _, evidence in summary.evidence()]
    for evidence in quotes:
        locate_evidence(source, evidence)
    kinds = [evidence.match for evidence in quotes]
    items: list[Event | Position | Demand] = [*summary.events, *summary.positions, *summary.demands]
    for item in items:
        item.grounded = any(evidence.match != "none" for evidence in item.evidence)
    ungrounded = sum(1 for item in items if not item.grounded)
    if drop_ungrounded and ungrounded:
        summary.events = [event for event in summary.events if event.grounded]
        summary.positions = [position for position in summary.positions if position.grounded]
        summary.demands = [demand for demand in summary.demands if demand.grounded]
    for actor in summary.actors:
        # A small model copies the prompt's examples into other stories (Estria's defence
        # minister as "the Russian leader", role "Russian President"): an alias the article
        # never uses, or a role with a word it never uses, is not the article's. A role's
        # words may be rearranged: "US President" for "President Donald Trump ... US-led".
        actor.aliases = [alias for alias in actor.aliases if source.mentions(alias)]
        if actor.role is not None and not all(map(source.mentions, actor.role.split())):
            actor.role = None
        # Every alias left is one the article uses.
        actor.mentioned = bool(actor.aliases) or source.mentions(actor.name)

    def share(kind: MatchKind) -> float:
        return round(kinds.count(kind) / len(kinds), 4) if kinds else 0.0

    return Grounding(
        quotes=len(kinds),
        exact=share("exact"),
        normalized=share("normalized"),
        fuzzy=share("fuzzy"),
        none=share("none"),
        items=len(items),
        ungrounded_items=ungrounded,
        dropped_items=ungrounded if drop_ungrounded else 0,
        actors=len(summary.actors),
        unmentioned_actors=[actor.id for actor in summary.actors if not actor.mentioned],
    )


def locate_evidence(source: SourceText, evidence: Evidence) -> None:
    """Set one evidence item's offsets; a quote not found gets match `none`."""
    span = source.locate(evidence.quote)
    if span is None:
        evidence.start = evidence.end = None
        evidence.match = "none"
    else:
        evidence.start, evidence.end, evidence.match = span.start, span.end, span.match


def quote_check(text: str, attempts_so_far: Callable[[], int], max_reasks: int) -> AnswerCheck:
    """A check that sends quotes not found in the article back to the model.

    On the last allowed attempt it lets the answer through: its unfound quotes are then
    kept and flagged with match `none` rather than losing the whole summary.
    """
    source = SourceText(text)

    def check(summary: ArticleSummary | DemandsAnswer) -> None:
        if attempts_so_far() > max_reasks:
            return
        missing = list(
            dict.fromkeys(
                evidence.quote
                for _, _, evidence in summary.evidence()
                if source.locate(evidence.quote) is None
            )
        )
        if missing:
            quoted = "; ".join(
                _with_hint(quote, source.closest_passage(quote)) for quote in missing[:6]
            )
            raise ValueError(
                f"these evidence quotes are not in the article: {quoted}. Replace each with "
                "words copied exactly from the article text"
            )

    return check


def _with_hint(quote: str, passage: str | None) -> str:
    if passage is None:
        return f'"{quote}"'
    return f'"{quote}" (the article says: "{passage}")'
