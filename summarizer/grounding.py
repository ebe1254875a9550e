"""Locating evidence quotes in the article text: offsets and match kind, computed by code."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from .schema import ArticleSummary, Evidence, MatchKind

FUZZY_THRESHOLD = 85.0
_QUOTE_MARKS = str.maketrans(
    {
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
)


@dataclass(frozen=True)
class Span:
    """Where a quote sits in the text, and how it was found."""

    start: int
    end: int
    match: MatchKind


class SourceText:
    """The article text with a normalised copy that maps back to original offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        characters: list[str] = []
        self._origin: list[int] = []
        previous_space = True
        for index, char in enumerate(text.translate(_QUOTE_MARKS)):
            if char.isspace():
                if previous_space:
                    continue
                char = " "
            previous_space = char == " "
            characters.append(char.lower())
            self._origin.append(index)
        self.normalized = "".join(characters)

    def locate(self, quote: str) -> Span | None:
        """Find a quote exactly, then normalised (spacing, quotes, dashes, case), then fuzzily."""
        quote = quote.strip().strip("\"'“”‘’").strip()
        if not quote:
            return None
        start = self.text.find(quote)
        if start >= 0:
            return Span(start, start + len(quote), "exact")
        needle = _normalize(quote)
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
        return self._span(alignment.dest_start, alignment.dest_end, "fuzzy")

    def _span(self, start: int, end: int, kind: MatchKind) -> Span:
        return Span(self._origin[start], self._origin[end - 1] + 1, kind)

    def mentions(self, label: str) -> bool:
        """Whether a name occurs in the text as a whole word, ignoring case and punctuation."""
        needle = _normalize(label)
        return (
            bool(needle)
            and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", self.normalized) is not None
        )


def _normalize(text: str) -> str:
    return " ".join(text.translate(_QUOTE_MARKS).split()).lower()


def ground(summary: ArticleSummary, text: str) -> None:
    """Set offsets and match kind on every evidence item of the summary, in place."""
    source = SourceText(text)
    for _, _, evidence in summary.evidence():
        locate_evidence(source, evidence)


def locate_evidence(source: SourceText, evidence: Evidence) -> None:
    """Set one evidence item's offsets; a quote not found gets match `none`."""
    span = source.locate(evidence.quote)
    if span is None:
        evidence.start = evidence.end = None
        evidence.match = "none"
    else:
        evidence.start, evidence.end, evidence.match = span.start, span.end, span.match


def quote_check(
    text: str, attempts_so_far: Callable[[], int], max_reasks: int
) -> Callable[[ArticleSummary], None]:
    """A check that sends quotes not found in the article back to the model.

    On the last allowed attempt it lets the answer through: its unfound quotes are then
    kept and flagged with match `none` rather than losing the whole summary.
    """
    source = SourceText(text)

    def check(summary: ArticleSummary) -> None:
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
            quoted = "; ".join(f'"{quote}"' for quote in missing[:6])
            raise ValueError(
                f"these evidence quotes are not in the article: {quoted}. Copy each quote "
                "exactly from the article text, or choose another sentence that is there"
            )

    return check
