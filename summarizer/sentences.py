"""An article split into sentences once, each sentence a span of the original text.

Everything that needs sentences takes them from here: the nearest sentence shown with a
re-ask, the cut of a long article into parts, the cut of a model's text back to its last
full sentence, and sentences numbered for the model to cite.

A blank line ends a paragraph, and so does a line break after a line that ends a
sentence or a list item, or before a line that starts with something other than a letter:
article files and extractors put one paragraph on a line. A line break before a lower-case word, or
after a line without a closing mark before any letter, is text wrapped at a fixed width, and
the sentence goes on; a headline without a full stop then joins the paragraph after it.
Within a paragraph the sentence ends are found by sentencex (Wikimedia's rule-based
segmenter), which knows abbreviations such as "Mr.", "U.S." and "Jan." and quotes that end
a sentence. It was chosen over spaCy,
pysbd and syntok by benchmarks/sentences.py (accuracy on hand-labelled news sentences and
time per article); its version is pinned because sentence numbers end up in requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sentencex import get_sentence_boundaries

_LINE_BREAK = re.compile(r"\n\s*")
# What a line that ends a paragraph ends with; a line ending otherwise is wrapped when the
# next starts with a letter ("asked\nEurope for more").
_LINE_ENDS = frozenset('.!?…:;"”’)»')
_ITEM = re.compile(r"[-*•–]\s")  # a list item ends at its line break
_LANGUAGE = "en"


@dataclass(frozen=True)
class Sentence:
    """One sentence: `text` is `article[start:end]`, without the whitespace around it."""

    start: int
    end: int
    text: str
    paragraph: int  # counted from 0 over the paragraphs that hold a sentence


def split_sentences(text: str) -> list[Sentence]:
    """The text's sentences in order, with offsets into it; blank text has none."""
    sentences: list[Sentence] = []
    number = 0
    for start, end in _paragraphs(text):
        paragraph = text[start:end]
        found = False
        for boundary in get_sentence_boundaries(_LANGUAGE, paragraph):
            span = _trimmed(paragraph, boundary["start_index"], boundary["end_index"])
            if span is not None:
                first, last = start + span[0], start + span[1]
                sentences.append(Sentence(first, last, text[first:last], number))
                found = True
        number += found
    return sentences


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    start = line_start = 0
    for line_break in _LINE_BREAK.finditer(text):
        line = text[line_start : line_break.start()]
        following = text[line_break.end() : line_break.end() + 1]
        wrapped = following.islower() or (
            following.isalpha() and line.rstrip()[-1:] not in _LINE_ENDS and not _ITEM.match(line)
        )
        if line_break.group().count("\n") > 1 or not wrapped:
            yield start, line_break.start()
            start = line_break.end()
        line_start = line_break.end()
    yield start, len(text)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
