"""The staged strategy: code finds what code finds well, the model answers small questions.

One answer holding the whole summary is more than a small model does well (issue 19). Here:

1. The article is split into sentences once (`summarizer.sentences`) and shown numbered.
2. Actors and speakers come from code (`summarizer.nlp`): the model names actors only from
   the list of candidates (the JSON schema enumerates their names), and each speaker's
   stance is asked of that speaker's own sentences, so a position quotes its own actor.
3. The model cites sentence numbers (one or two an item, bounded in the schema) and code
   turns them into the article's own words with exact offsets.
4. A support check: an item whose cited sentences do not name its actors (or, without
   actors, any of its key words) is asked once more for its sentences only, a few output
   tokens; if the new citation is no better, it is kept and marked `support: "weak"`.

Every question starts with the same system message and numbered article, so a local model
reads the article once and reuses its cached state for the later questions. The answers
fill the same ArticleSummary as the one-call strategy, with the same grounding and views.
Longer than most modules: the steps share the numbered article, the cited-sentence schemas
and the support check, and each step is a few short functions.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema, create_model

from . import prompts
from .articles import Article
from .errors import SummarizationFailed
from .merge import drop_repeats
from .nlp import Analysis, Candidate, analyse
from .schema import (
    Actor,
    ArticleSummary,
    Demand,
    Event,
    EventCategory,
    EventStatus,
    Evidence,
    Position,
    SummaryResult,
    Support,
)
from .sentences import split_sentences

if TYPE_CHECKING:
    from .llm import CallLog
    from .pipeline import Summarizer

log = logging.getLogger("summarizer")

MAX_EVENTS = 5
SENTENCES_PER_EVENT = 2
MAX_DEMANDS = 3
MAX_DEMAND_SENTENCES = 6
SUMMARY_CHARS = 250
WHAT_CHARS = 90
MAX_SPEAKERS = 5
SENTENCES_PER_SPEAKER = 2
MAX_REPAIRS = 3
# Room kept free in the context beyond prompt and answers.
_CONTEXT_MARGIN = 600
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "will",
        "would",
        "to",
        "its",
        "their",
        "his",
        "her",
        "this",
        "that",
        "these",
        "those",
        "it",
        "they",
        "he",
        "she",
        "not",
        "no",
        "but",
        "over",
        "into",
        "about",
        "after",
        "before",
        "than",
        "then",
        "also",
        "more",
        "most",
        "said",
        "says",
    ]
)
_DEMAND_WORDS = re.compile(
    r"\b(?:demand(?:s|ed)?|call(?:s|ed)? (?:on|for)|urg(?:e|es|ed)|persuade"
    r"|press(?:es|ed)? \w+ (?:to|for)"
    r"|ask(?:s|ed)? (?:\w+ ){0,3}(?:to|for)|insist(?:s|ed)?|appeal(?:s|ed)? (?:to|for)"
    r"|want(?:s|ed)? \w+ to|ultimatum|condition)",
    re.IGNORECASE,
)


def _text(limit: int) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": limit}),
    ]


@dataclass(frozen=True)
class Answers:
    """The answer models of one article: names and sentence numbers enumerated."""

    events: type[BaseModel]
    stances: type[BaseModel] | None
    demands: type[BaseModel]
    cite: type[BaseModel]


def _cited(first: int, last: int) -> Any:
    """One or two sentence numbers from `first` to `last`, enumerated and bounded."""
    number = Annotated[
        int,
        Field(ge=first, le=last),
        WithJsonSchema(
            {
                "type": "integer",
                "minimum": first,
                "maximum": last,
                "enum": list(range(first, last + 1)),
            }
        ),
    ]
    return Annotated[
        list[number],
        Field(min_length=1, max_length=2, description="The cited sentences' numbers."),
    ]


def sections(count: int) -> tuple[tuple[int, int], ...]:
    """The article's sentences (numbered from 1) cut into at most MAX_EVENTS even parts."""
    parts = max(1, min(MAX_EVENTS, count // SENTENCES_PER_EVENT))
    bounds = [round(index * count / parts) for index in range(parts + 1)]
    return tuple((bounds[i] + 1, bounds[i + 1]) for i in range(parts))


@functools.cache
def answer_models(names: tuple[str, ...], sentences: int, speakers: tuple[str, ...]) -> Answers:
    """The answer models for an article with these candidates, sentences and speakers.

    The schema enumerates the candidates' names and the sentence numbers (with integer
    bounds too, for servers that read those), so a grammar-constrained model cannot name
    an actor not listed or cite a sentence that does not exist.
    """
    cited = _cited(1, sentences)
    name = Annotated[str, WithJsonSchema({"type": "string", "enum": list(names)})]

    def event(first: int, last: int) -> type[BaseModel]:
        # The sentences first: chosen before the description, they are what it describes.
        return create_model(
            f"StagedEvent{first}to{last}",
            sentences=(_cited(first, last), ...),
            what=(_text(WHAT_CHARS), ...),
            category=(EventCategory, ...),
            status=(EventStatus, ...),
            when=(_text(30) | None, ...),
            actors=(Annotated[list[name], Field(max_length=3)], ...),
        )

    # One event per part of the article, each citing its own part: asked for a list, the
    # model walks from the first sentence and stops before the article's middle. The
    # summary comes after the events, so that it sums them up rather than copying the
    # opening.
    parts: dict[str, Any] = {
        f"part_{index}": (event(first, last), Field(..., alias=f"sentences {first}-{last}"))
        for index, (first, last) in enumerate(sections(sentences))
    }
    events = create_model("StagedEvents", **parts, summary=(_text(SUMMARY_CHARS), ...))
    demand = create_model(
        "StagedDemand",
        by=(name, ...),
        of=(name | None, ...),
        what=(_text(100), ...),
        sentences=(cited, ...),
    )
    demands = create_model(
        "StagedDemands",
        demands=(Annotated[list[demand], Field(max_length=MAX_DEMANDS)], ...),
    )
    stance = create_model("StagedStance", topic=(_text(30), ...), stance=(_text(90), ...))
    stances = None
    if speakers:
        # One property per speaker, named by the speaker: the grammar writes each name
        # before its stance, so the model cannot lose count or give one stance to two.
        fields: dict[str, Any] = {
            f"speaker_{index}": (stance, Field(..., alias=speaker))
            for index, speaker in enumerate(speakers)
        }
        stances = create_model("StagedStances", **fields)
    cite = create_model("StagedCitation", sentences=(cited, ...))
    return Answers(events=events, stances=stances, demands=demands, cite=cite)


@functools.cache
def prompt_hash() -> str:
    """The staged prompt's version: its templates and the shape of its answers."""
    digest = hashlib.sha256(b"staged")
    for path in sorted((prompts.template_dir() / "staged").glob("*.j2")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # The bounds that shape the questions for a given article, which one sample cannot show.
    bounds = (MAX_EVENTS, SENTENCES_PER_EVENT, MAX_SPEAKERS, SENTENCES_PER_SPEAKER, MAX_REPAIRS)
    digest.update(json.dumps([*bounds, MAX_DEMANDS, MAX_DEMAND_SENTENCES]).encode())
    models = answer_models(("A",), 1, ("A",))
    for model in (models.events, models.stances, models.demands, models.cite):
        if model is not None:
            digest.update(json.dumps(model.model_json_schema()).encode())
    return digest.hexdigest()[:16]


@functools.cache
def system_prompt() -> str:
    """The staged system message, the same for every article and question."""
    return prompts.render("staged/system.j2")


class StagedRun:
    """One article through the staged questions."""

    def __init__(self, summarizer: Summarizer, article: Article, call_log: CallLog) -> None:
        self.summarizer = summarizer
        self.article = article
        self.call_log = call_log
        self.sentences = split_sentences(article.text)
        self.analysis = analyse(article.text, self.sentences)
        speakers = _speakers(self.analysis)
        self.speakers = speakers
        self.models = answer_models(
            tuple(c.name for c in self.analysis.candidates),
            len(self.sentences),
            tuple(speakers),
        )
        boundary = hashlib.sha256(article.text.encode()).hexdigest()[:12]
        self._context = {
            "title": article.title,
            "published": article.published.isoformat() if article.published else None,
            "source": article.source,
            "boundary": boundary,
            "sentences": [" ".join(s.text.split()) for s in self.sentences],
            "actors": [c.describe() for c in self.analysis.candidates],
        }

    def fits(self) -> bool:
        """Whether the numbered article and a question fit the model's context."""
        backend = self.summarizer.client.backend
        needed = backend.count_tokens(system_prompt() + self.messages("")[1]["content"])
        return needed + _CONTEXT_MARGIN <= backend.context_window

    def messages(self, question: str) -> list[dict[str, str]]:
        """The system message, then the numbered article ending with the question."""
        user = prompts.render("staged/user.j2", question=question, **self._context)
        return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": user}]

    def ask(self, question: str, model: type[BaseModel]) -> Any:
        """One small structured answer (Instructor re-asks this question only if invalid)."""
        return self.summarizer.client.extract(self.messages(question), model, self.call_log)

    def summary(self) -> ArticleSummary:
        """Ask every question and assemble the summary."""
        overview = self.ask(
            prompts.render("staged/events.j2", parts=sections(len(self.sentences))),
            self.models.events,
        )
        events = [
            self._event(getattr(overview, f"part_{index}"))
            for index in range(len(sections(len(self.sentences))))
        ]
        positions = self._positions()
        demands = self._demands()
        self._repair([*events, *demands])
        actors = self._actors(events, positions, demands)
        return ArticleSummary(
            summary=_whole_sentences(overview.summary, SUMMARY_CHARS),
            key_points=self._key_points(events, positions, overview.summary),
            actors=actors,
            events=events,
            positions=positions,
            demands=demands,
        )

    def _evidence(self, numbers: Sequence[int]) -> list[Evidence]:
        """The cited sentences as exact quotes with their offsets."""
        chosen = [
            self.sentences[n - 1] for n in dict.fromkeys(numbers) if 1 <= n <= len(self.sentences)
        ]
        return [Evidence(quote=s.text, start=s.start, end=s.end, match="exact") for s in chosen]

    def _event(self, item: Any) -> Event:
        return Event(
            what=_whole_words(item.what, WHAT_CHARS),
            category=item.category,
            status=item.status,
            when=item.when,
            participants=list(dict.fromkeys(item.actors)),
            evidence=self._evidence(item.sentences),
        )

    def _positions(self) -> list[Position]:
        if self.models.stances is None:
            return []
        stances = self.ask(
            prompts.render(
                "staged/stances.j2",
                speakers=[
                    (speaker, [(n, " ".join(self.sentences[n - 1].text.split())) for n in numbers])
                    for speaker, numbers in self.speakers.items()
                ],
            ),
            self.models.stances,
        )
        positions = []
        for index, (speaker, numbers) in enumerate(self.speakers.items()):
            answer = getattr(stances, f"speaker_{index}")
            position = Position(
                actor=speaker,
                topic=answer.topic,
                stance=answer.stance,
                evidence=self._evidence(numbers),
            )
            # The sentences are the speaker's by the code's attribution.
            position.support = "strong"
            positions.append(position)
        return positions

    def _demands(self) -> list[Demand]:
        """The demands code finds; else asked of an article with a word of demand.

        A verb of asking ("urged", "persuade", "called on") gives the asker, the one asked
        and what is asked by its grammar, in the article's own words: no question needed.
        Without one, the model is shown the sentences that use a word of demand.
        """
        if self.analysis.demands:
            demands = []
            for frame in self.analysis.demands[:MAX_DEMANDS]:
                demand = Demand(
                    by=frame.by,
                    of=frame.of,
                    what=frame.what,
                    evidence=self._evidence([frame.sentence]),
                )
                demand.support = "strong"  # by the sentence's grammar
                demands.append(demand)
            return demands
        cues = [
            (number, " ".join(sentence.text.split()))
            for number, sentence in enumerate(self.sentences, 1)
            if _DEMAND_WORDS.search(sentence.text)
        ][:MAX_DEMAND_SENTENCES]
        if not cues:
            return []
        try:
            answer = self.ask(
                prompts.render("staged/demands.j2", sentences=cues), self.models.demands
            )
        except SummarizationFailed as error:
            log.warning("the question for demands went unanswered: %s", error)
            return []
        return [
            Demand(
                by=item.by,
                of=item.of if item.of != item.by else None,
                what=item.what,
                evidence=self._evidence(item.sentences),
            )
            for item in answer.demands
        ]

    def _repair(self, items: Sequence[Event | Demand]) -> None:
        """Ask again, for its sentences only, about each item its citation does not support."""
        repairs = 0
        for item in items:
            if item.support is None:
                item.support = self.support(item)
            if item.support == "strong" or repairs >= MAX_REPAIRS:
                continue
            repairs += 1
            claim = item.what
            actors = _actors_of(item)
            try:
                answer = self.ask(
                    prompts.render("staged/cite.j2", claim=claim, actors=actors), self.models.cite
                )
            except SummarizationFailed as error:
                log.warning("the question for an item's sentences went unanswered: %s", error)
                continue
            evidence = self._evidence(answer.sentences)
            if self.support(item, evidence) == "strong":
                item.evidence, item.support = evidence, "strong"

    def support(self, item: Event | Demand, evidence: list[Evidence] | None = None) -> Support:
        """`strong` when the cited sentences name every actor of the item, else `weak`.

        An item without actors is strong when a cited sentence shares a key word with it.
        """
        cited = " ".join(e.quote for e in (evidence or item.evidence))
        actors = _actors_of(item)
        if actors:
            named = all(self._named(actor, cited) for actor in actors)
            return "strong" if named else "weak"
        return "strong" if _key_words(item.what) & _key_words(cited) else "weak"

    def _named(self, actor: str, text: str) -> bool:
        candidate = self.analysis.candidate(actor)
        labels = candidate.labels() if candidate else [actor]
        if candidate is not None and candidate.type == "person":
            labels.append(candidate.name.split()[-1])
        return any(re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text) for label in labels)

    def _actors(
        self, events: list[Event], positions: list[Position], demands: list[Demand]
    ) -> list[Actor]:
        """The candidates the answers involve, and every speaker; most involved first."""
        counts: dict[str, int] = {}
        for name in [
            *(p for e in events for p in e.participants),
            *(p.actor for p in positions),
            *(d.by for d in demands),
            *(d.of for d in demands if d.of),
            *(a.speaker for a in self.analysis.attributions),
        ]:
            counts[name] = counts.get(name, 0) + 1
        order = {c.name: i for i, c in enumerate(self.analysis.candidates)}
        names = sorted(counts, key=lambda n: (-counts[n], order.get(n, len(order))))
        actors = []
        for name in names:
            candidate = self.analysis.candidate(name)
            if candidate is None:
                continue
            actors.append(_actor(candidate))
        return actors

    def _key_points(
        self, events: list[Event], positions: list[Position], summary: str
    ) -> list[str]:
        """Events and stances in the article's order, three to five of them."""
        dated: list[tuple[int, str]] = []
        for event in events:
            dated.append((_first(event.evidence), event.what))
        for position in positions:
            candidate = self.analysis.candidate(position.actor)
            name = (
                candidate.name.split()[-1]
                if candidate and candidate.type == "person"
                else position.actor
            )
            dated.append((_first(position.evidence), f"{name} {position.stance}"))
        points = list(dict.fromkeys(text for _, text in sorted(dated, key=lambda d: d[0])))[:5]
        for sentence in _summary_sentences(summary):
            if len(points) >= 3:
                break
            points.append(sentence)
        while len(points) < 3:  # a summary of one sentence and almost nothing else
            points.append(points[-1] if points else summary)
        return points


def _whole_sentences(text: str, limit: int) -> str:
    """The text cut back to its last full sentence when the length bound cut it short."""
    if len(text) < limit - 10 or text.endswith((".", "!", "?", '"', "”", "’", ")")):
        return text
    sentences = split_sentences(text)
    return text[: sentences[-2].end] if len(sentences) > 1 else text.rstrip(" ,;") + "…"


def _whole_words(text: str, limit: int) -> str:
    """A text the length bound cut mid-word ("… have begun discussin") cut to whole words."""
    if len(text) < limit or text.endswith((".", "!", "?", '"', "”", "’", ")")):
        return text
    return text.rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _summary_sentences(summary: str) -> list[str]:
    return [s.text for s in split_sentences(summary)]


def _first(evidence: list[Evidence]) -> int:
    return min((e.start for e in evidence if e.start is not None), default=0)


def _actors_of(item: Event | Demand) -> list[str]:
    if isinstance(item, Event):
        return list(item.participants)
    return [item.by, *([item.of] if item.of else [])]


def _key_words(text: str) -> set[str]:
    """Content words cut to five letters, so that `talks` meets `talk` and `talked`."""
    words = re.findall(r"[a-z0-9]+", text.casefold())
    return {word[:5] for word in words if word not in _STOP_WORDS and len(word) > 2}


def _speakers(analysis: Analysis) -> dict[str, list[int]]:
    """The most quoted speakers (at most MAX_SPEAKERS), in the article's order.

    Each comes with its first SENTENCES_PER_SPEAKER sentences.
    """
    sentences: dict[str, list[int]] = {}
    for attribution in analysis.attributions:
        numbers = sentences.setdefault(attribution.speaker, [])
        if attribution.sentence not in numbers:
            numbers.append(attribution.sentence)
    order = list(sentences)
    chosen = sorted(order, key=lambda s: (-len(sentences[s]), order.index(s)))[:MAX_SPEAKERS]
    return {s: sentences[s][:SENTENCES_PER_SPEAKER] for s in order if s in chosen}


def _actor(candidate: Candidate) -> Actor:
    return Actor(
        name=candidate.name,
        aliases=list(candidate.aliases),
        type=candidate.type,
        role=candidate.title if candidate.type == "person" else None,
        affiliation=candidate.affiliation,
    )


def summarize(summarizer: Summarizer, article: Article) -> SummaryResult | None:
    """The staged summary of one article, or None where the strategy does not apply.

    None when the numbered article does not fit the model's context, or names no actor:
    the caller then uses the one-call strategy (which splits a long article).
    """
    from .llm import CallLog

    started = time.perf_counter()
    call_log = CallLog()
    run = StagedRun(summarizer, article, call_log)
    if not run.analysis.candidates:
        log.info("no actor named in the article for the staged strategy: asking in one call")
        return None
    if not run.fits():
        log.info("article too long for the staged strategy: asking in one call")
        return None
    summary = drop_repeats(run.summary())
    return summarizer.result(article, summary, call_log, started, prompt_hash())
