"""Matching a summary against gold annotations, and precision / recall / F1.

Every category is matched one-to-one and greedily, best pair first. A prediction matched to
a required gold item is a true positive; one matched to an optional item counts neither
way; one left unmatched is a false positive; a required gold item left unmatched is a false
negative.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from rapidfuzz import fuzz

from ..identity import SAME_ACTOR, Identity, same_actor, similarity
from ..schema import Actor, ArticleSummary, Demand, Event, Evidence, Position
from ..sentences import Sentence, split_sentences
from .gold import GoldActor, GoldArticle, GoldDemand, GoldEvent

DESCRIPTION_THRESHOLD = 70.0
CATEGORIES = ("actors", "events", "demands")
_STOPWORDS = frozenset(
    {"the", "a", "an", "of", "in", "on", "to", "and", "for", "with", "by", "at", "from"}
)
_PUNCTUATION = re.compile(r"[^\w\s]")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ied", "ies", "ed", "es", "s")
# A sentence that speaks of its speaker by pronoun ("…, he said") is attributed by the
# sentence before it.
_PRONOUN = re.compile(r"\b(?:he|she|they|it|we|his|her|their)\b", re.IGNORECASE)

P = TypeVar("P")
G = TypeVar("G")


@dataclass
class Counts:
    """True positives, false positives and false negatives of one category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        """Share of predictions that are right; None when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """Share of required gold items found; None when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall; None when nothing was expected or predicted."""
        if self.tp == 0:
            return 0.0 if self.fp or self.fn else None
        p, r = self.tp / (self.tp + self.fp), self.tp / (self.tp + self.fn)
        return 2 * p * r / (p + r)


@dataclass
class Groundedness:
    """How many evidence quotes were found in the article, by kind of match."""

    total: int = 0
    exact: int = 0
    normalized: int = 0
    fuzzy: int = 0
    items: int = 0
    grounded_items: int = 0

    def __add__(self, other: Groundedness) -> Groundedness:
        return Groundedness(
            self.total + other.total,
            self.exact + other.exact,
            self.normalized + other.normalized,
            self.fuzzy + other.fuzzy,
            self.items + other.items,
            self.grounded_items + other.grounded_items,
        )

    @property
    def located(self) -> int:
        """Quotes found at all (exactly, normalised or fuzzily)."""
        return self.exact + self.normalized + self.fuzzy

    @property
    def item_rate(self) -> float | None:
        """Share of events, positions and demands with at least one quote found."""
        return self.grounded_items / self.items if self.items else None

    @property
    def rate(self) -> float | None:
        """Share of quotes found in the article; None without quotes."""
        return self.located / self.total if self.total else None


@dataclass
class Attribution:
    """Who said what: do positions cite their own actor's words?

    A position's words are its actor's own when every sentence it cites names that actor
    (by the answer's names for it or the gold set's), or speaks of someone by pronoun right
    after a sentence that does and names no other listed actor. `shared` counts positions
    that cite a sentence which another actor's position cites too.
    """

    positions: int = 0
    own: int = 0
    shared: int = 0

    def __add__(self, other: Attribution) -> Attribution:
        return Attribution(
            self.positions + other.positions, self.own + other.own, self.shared + other.shared
        )

    @property
    def rate(self) -> float | None:
        """Share of positions that cite their own actor's words; None without positions."""
        return self.own / self.positions if self.positions else None


@dataclass
class ArticleScore:
    """The score of one article's summary (or the error it ended with)."""

    id: str
    split: str | None = None
    counts: dict[str, Counts] = field(default_factory=lambda: {c: Counts() for c in CATEGORIES})
    grounding: Groundedness = field(default_factory=Groundedness)
    attribution: Attribution = field(default_factory=Attribution)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cache_hit: bool = False
    error: str | None = None


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def mentions_word(text: str, words: Sequence[str]) -> bool:
    """Whether any content word of `words` occurs in `text`, comparing crude stems."""
    stems = {
        _stem(w)
        for phrase in words
        for w in _PUNCTUATION.sub(" ", phrase).split()
        if w.lower() not in _STOPWORDS and len(w) >= 3
    }
    tokens = [_stem(t) for t in _PUNCTUATION.sub(" ", text).split()]
    return any(t == s or (len(s) >= 4 and t.startswith(s)) for s in stems for t in tokens)


def _overlaps(evidence: Sequence[Evidence], span: tuple[int, int] | None) -> list[Evidence]:
    if span is None:
        return []
    return [
        e
        for e in evidence
        if e.start is not None and e.end is not None and e.start < span[1] and span[0] < e.end
    ]


def match(
    predictions: Sequence[P],
    golds: Sequence[G],
    score: Callable[[P, G], float | None],
    optional: Callable[[G], bool],
) -> Counts:
    """Match one-to-one, best pair first, and count the outcome."""
    pairs = [
        (value, not optional(gold), i, j)
        for i, prediction in enumerate(predictions)
        for j, gold in enumerate(golds)
        if (value := score(prediction, gold)) is not None
    ]
    pairs.sort(key=lambda pair: (pair[0], pair[1]), reverse=True)
    used_predictions: set[int] = set()
    used_golds: set[int] = set()
    counts = Counts()
    for _, required, i, j in pairs:
        if i in used_predictions or j in used_golds:
            continue
        used_predictions.add(i)
        used_golds.add(j)
        counts.tp += required
    counts.fp = len(predictions) - len(used_predictions)
    counts.fn = sum(1 for j, gold in enumerate(golds) if j not in used_golds and not optional(gold))
    return counts


class _Scorer:
    """Scores one summary against one gold article."""

    def __init__(self, summary: ArticleSummary, gold: GoldArticle) -> None:
        self.summary = summary
        self.gold = gold
        self.identities = {a.id: Identity.of(a) for a in summary.actors}

    def actors(self) -> Counts:
        def score(predicted: Identity, gold: GoldActor) -> float | None:
            value = similarity(predicted, Identity.named(gold.names))
            return value if value >= SAME_ACTOR else None

        return match(list(self.identities.values()), self.gold.actors, score, lambda g: g.optional)

    def _refers(self, actor_ids: Sequence[str | None], gold_names: Sequence[str]) -> int:
        """How many of the gold actors some predicted actor refers to."""
        found = 0
        for gold_name in gold_names:
            gold = Identity.named(self.gold.lookup(gold_name))
            if any(
                same_actor(self.identities.get(i) or Identity.named([i]), gold)
                for i in actor_ids
                if i is not None
            ):
                found += 1
        return found

    def event_score(self, event: Event, gold: GoldEvent) -> float | None:
        said = mentions_word(event.what, gold.triggers) or (
            gold.description is not None
            and fuzz.token_set_ratio(event.what.lower(), gold.description.lower())
            >= DESCRIPTION_THRESHOLD
        )
        if not said:
            said = any(
                mentions_word(e.quote, gold.triggers) for e in _overlaps(event.evidence, gold.span)
            )
        if not said:
            return None
        if not gold.participants:
            return 1.0
        shared = self._refers(event.participants, gold.participants)
        return 1.0 + shared / len(gold.participants) if shared else None

    def demand_score(self, demand: Demand, gold: GoldDemand) -> float | None:
        if gold.by and not self._refers([demand.by], gold.by):
            return None
        if gold.of and not self._refers([demand.of], gold.of):
            return None
        content = f"{demand.what} {demand.conditions or ''}"
        about = (
            (not gold.what and not gold.keywords)
            or mentions_word(content, gold.keywords)
            or (
                gold.what is not None
                and fuzz.token_set_ratio(content.lower(), gold.what.lower())
                >= DESCRIPTION_THRESHOLD
            )
            or bool(_overlaps(demand.evidence, gold.span))
        )
        return 1.0 if about else None

    def grounding(self) -> Groundedness:
        found = Groundedness()
        for _, _, evidence in self.summary.evidence():
            found.total += 1
            if evidence.match == "exact":
                found.exact += 1
            elif evidence.match == "normalized":
                found.normalized += 1
            elif evidence.match == "fuzzy":
                found.fuzzy += 1
        for group in (self.summary.events, self.summary.positions, self.summary.demands):
            for item in group:
                found.items += 1
                found.grounded_items += any(e.match not in (None, "none") for e in item.evidence)
        return found

    def attribution(self) -> Attribution:
        sentences = split_sentences(self.gold.text)
        actors = {a.id: a for a in self.summary.actors}
        cited = [self._cited(p, sentences) for p in self.summary.positions]
        found = Attribution(positions=len(cited))
        for index, (position, numbers) in enumerate(
            zip(self.summary.positions, cited, strict=True)
        ):
            actor = actors.get(position.actor)
            others = [a for a in self.summary.actors if a is not actor]
            found.own += (
                actor is not None
                and bool(numbers)
                and None not in numbers
                and all(
                    self._attributed(actor, others, sentences, n) for n in numbers if n is not None
                )
            )
            found.shared += any(
                set(numbers) & set(other) - {None}
                for j, other in enumerate(cited)
                if j != index and self.summary.positions[j].actor != position.actor
            )
        return found

    @staticmethod
    def _cited(position: Position, sentences: Sequence[Sentence]) -> list[int | None]:
        """The index of the sentence holding each quote (None for a quote not located)."""
        numbers: list[int | None] = []
        for evidence in position.evidence:
            start = evidence.start
            numbers.append(
                None
                if start is None
                else next((i for i, s in enumerate(sentences) if s.start <= start < s.end), None)
            )
        return numbers

    def _attributed(
        self, actor: Actor, others: Sequence[Actor], sentences: Sequence[Sentence], number: int
    ) -> bool:
        text = sentences[number].text
        if self._names(actor, text):
            return True
        return (
            number > 0
            and _PRONOUN.search(text) is not None
            and not any(self._names(other, text) for other in others)
            and self._names(actor, sentences[number - 1].text)
        )

    def _names(self, actor: Actor, text: str) -> bool:
        identity = Identity.of(actor)
        labels = [actor.name, *actor.aliases]
        labels += [
            name
            for gold in self.gold.actors
            if same_actor(identity, Identity.named(gold.names))
            for name in gold.names
        ]
        if actor.type == "person":
            labels.append(actor.name.split()[-1])
        return any(re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text) for label in labels)


def score_summary(summary: ArticleSummary, gold: GoldArticle) -> ArticleScore:
    """Score one summary against its gold article."""
    scorer = _Scorer(summary, gold)
    return ArticleScore(
        id=gold.id,
        split=gold.split,
        counts={
            "actors": scorer.actors(),
            "events": match(summary.events, gold.events, scorer.event_score, _is_optional),
            "demands": match(summary.demands, gold.demands, scorer.demand_score, _is_optional),
        },
        grounding=scorer.grounding(),
        attribution=scorer.attribution(),
    )


def score_failure(gold: GoldArticle, error: str) -> ArticleScore:
    """A summary that failed: every required gold item is missed."""
    return ArticleScore(
        id=gold.id,
        split=gold.split,
        counts={
            name: Counts(fn=sum(1 for item in getattr(gold, name) if not item.optional))
            for name in CATEGORIES
        },
        error=error,
    )


def _is_optional(gold: GoldEvent | GoldDemand) -> bool:
    return gold.optional


def totals(scores: Sequence[ArticleScore]) -> dict[str, Counts]:
    """Counts summed over articles (micro-averaging)."""
    summed = {name: Counts() for name in CATEGORIES}
    for score in scores:
        for name in CATEGORIES:
            summed[name] = summed[name] + score.counts[name]
    return summed
