"""Splitting an article too long for the model's context on paragraph boundaries."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from operator import attrgetter

from .sentences import split_sentences


def split_text(text: str, budget: int, count_tokens: Callable[[str], int]) -> list[str]:
    """Consecutive parts of at most `budget` tokens each, cut between paragraphs.

    A paragraph longer than the budget is cut between sentences, and a sentence longer
    than that between words: nothing is dropped.
    """
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for piece in _pieces(text, budget, count_tokens):
        size = count_tokens(piece)
        if current and used + size > budget:
            parts.append("\n\n".join(current))
            current, used = [], 0
        current.append(piece)
        used += size
    if current:
        parts.append("\n\n".join(current))
    return parts


def _pieces(text: str, budget: int, count_tokens: Callable[[str], int]) -> list[str]:
    pieces: list[str] = []
    for _, group in groupby(split_sentences(text), key=attrgetter("paragraph")):
        sentences = list(group)
        paragraph = text[sentences[0].start : sentences[-1].end]
        if count_tokens(paragraph) <= budget:
            pieces.append(paragraph)
            continue
        for sentence in sentences:
            if count_tokens(sentence.text) <= budget:
                pieces.append(sentence.text)
            else:
                pieces.extend(_by_words(sentence.text, budget, count_tokens))
    return pieces


def _by_words(sentence: str, budget: int, count_tokens: Callable[[str], int]) -> list[str]:
    pieces: list[str] = []
    words = sentence.split()
    while words:
        # Halve until it fits: a few token counts, not one per word.
        take = len(words)
        while take > 1 and count_tokens(" ".join(words[:take])) > budget:
            take //= 2
        pieces.append(" ".join(words[:take]))
        words = words[take:]
    return pieces
