"""Gold annotations: our own JSONL format and the WikiEvents dev set, as one model.

Our format, one article per line (see docs/eval.md and gold/README.md)::

    {"id": "...", "split": "tuning" | "held-out",
     "text": "..." | "text_file": "relative/path.txt", "title": ..., "published": ...,
     "actors": [{"name", "aliases", "optional"}],
     "events": [{"description", "triggers", "participants", "optional"}],
     "demands": [{"by", "of", "what", "keywords", "optional"}]}

An item marked `optional` may be matched (the prediction is then not a false positive) but is
not counted as missed when absent: it is in the article, yet not required of a summary.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from ..articles import read_file
from ..errors import InputError


def _as_list(value: Any) -> Any:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


Names = Annotated[list[str], BeforeValidator(_as_list)]
# Which part of a gold set an article is in (gold/README.md): a rule or prompt is shaped on
# the tuning part only, so that the held-out part measures it without flattering it.
Split = Literal["tuning", "held-out"]
SPLITS: tuple[Split, ...] = ("tuning", "held-out")


class GoldActor(BaseModel):
    """An actor the summary should list: its name and the other names that count as it."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    optional: bool = False

    @property
    def names(self) -> list[str]:
        """The name and every alias."""
        return [self.name, *self.aliases]


class GoldEvent(BaseModel):
    """An event: trigger words (stems) or a description, and the actors taking part."""

    description: str | None = None
    triggers: list[str] = Field(default_factory=list)
    participants: Names = Field(default_factory=list)
    span: tuple[int, int] | None = Field(
        default=None, description="Character range of the sentence stating the event."
    )
    optional: bool = False


class GoldDemand(BaseModel):
    """A demand: who makes it (any of `by`), of whom (any of `of`, if given), and its content."""

    by: Names = Field(default_factory=list)
    of: Names = Field(default_factory=list)
    what: str | None = None
    keywords: list[str] = Field(default_factory=list)
    span: tuple[int, int] | None = None
    optional: bool = False


class GoldArticle(BaseModel):
    """One article with what a good summary of it contains."""

    id: str
    text: str
    split: Split | None = Field(
        default=None,
        description="tuning: rules or prompts were shaped on it; held-out: none was.",
    )
    title: str | None = None
    published: dt.date | None = None
    actors: list[GoldActor] = Field(default_factory=list)
    events: list[GoldEvent] = Field(default_factory=list)
    demands: list[GoldDemand] = Field(default_factory=list)
    # Names of actors that are resolved through participants (e.g. WikiEvents clusters).
    entities: list[GoldActor] = Field(default_factory=list)

    def lookup(self, name: str) -> list[str]:
        """Every name of the actor or entity called `name` (just `name` if unknown)."""
        for actor in (*self.actors, *self.entities):
            if name in actor.names:
                return actor.names
        return [name]


def load_gold(path: Path) -> list[GoldArticle]:
    """Load a gold set: a WikiEvents folder (or its gold_view.jsonl), or our JSONL file."""
    if path.is_dir():
        if not (path / "gold_view.jsonl").is_file():
            raise InputError(f"{path} is a folder without gold_view.jsonl (a WikiEvents set)")
        return load_wikievents(path)
    if path.name == "gold_view.jsonl":
        return load_wikievents(path.parent)
    return load_jsonl(path)


def load_jsonl(path: Path) -> list[GoldArticle]:
    """Our own gold format: one JSON article per line; text inline or in `text_file`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(f"cannot read gold set {path}: {error.strerror}") from None
    articles = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "text_file" in record:
                # Read as an article file: front matter gives what the record leaves out.
                article = read_file(path.parent / record.pop("text_file"))
                record = {
                    "text": article.text,
                    "title": article.title,
                    "published": article.published,
                } | record
            articles.append(GoldArticle.model_validate(record))
        except (json.JSONDecodeError, ValidationError, InputError, OSError) as error:
            first = str(error).splitlines()[0]
            raise InputError(f"{path}:{number}: invalid gold article: {first}") from None
    return articles


# How WikiEvents roles map onto our schema (documented in docs/eval.md).
# Roles whose fillers act or speak: an entity in one of them is a gold actor when named.
ACTOR_ROLES = frozenset(
    {
        "Attacker",
        "Killer",
        "Injurer",
        "Perpetrator",
        "Damager",
        "Destroyer",
        "Communicator",
        "Recipient",
        "Participant",
        "Demonstrator",
        "Jailer",
        "Investigator",
        "JudgeCourt",
        "Prosecutor",
        "Regulator",
        "Impeder",
        "Giver",
        "Transporter",
        "Manufacturer",
    }
)
# Roles whose fillers undergo the event: event participants, but not required actors.
PATIENT_ROLES = frozenset(
    {"Victim", "Target", "Detainee", "Defendant", "Employee", "Patient", "Observer"}
)
# Place maps to `where`; instruments, artifacts, vehicles, money and topics are not scored.
DEMAND_TYPES = ("Contact.RequestCommand", "Contact.ThreatenCoerce")
_PRONOUNS = frozenset(
    {
        "he",
        "she",
        "it",
        "they",
        "them",
        "him",
        "her",
        "his",
        "its",
        "their",
        "we",
        "us",
        "our",
        "i",
        "you",
        "who",
        "which",
        "that",
        "this",
        "these",
        "those",
        "there",
        "here",
        "one",
        "some",
        "others",
    }
)


def _named(aliases: Iterable[str]) -> list[str]:
    """Mentions that can name an actor: not pronouns, not bare numbers."""
    return [
        alias
        for alias in dict.fromkeys(aliases)
        if alias.lower() not in _PRONOUNS and not alias.replace(",", "").isdigit()
    ]


def _proper(aliases: Iterable[str], text: str) -> list[str]:
    """Mentions that look like names: capitalised somewhere other than a sentence start."""
    return [
        alias
        for alias in _named(aliases)
        if any(char.isupper() for char in alias[1:])
        or (
            alias[:1].isupper()
            and re.search(rf"[\w,;:]\s+{re.escape(alias)}(?!\w)", text) is not None
        )
    ]


def load_wikievents(folder: Path) -> list[GoldArticle]:
    """The WikiEvents dev set, read in place (its text must not be copied into the repo)."""
    try:
        views = _read_jsonl(folder / "gold_view.jsonl")
        originals = {doc["doc_id"]: doc for doc in _read_jsonl(folder / "dev.jsonl")}
    except (OSError, json.JSONDecodeError, KeyError) as error:
        raise InputError(f"cannot read WikiEvents set {folder}: {error}") from None
    return [_wikievents_article(view, originals.get(view["doc_id"])) for view in views]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _sentence_spans(original: dict[str, Any] | None) -> list[tuple[int, int]]:
    """Character range of each sentence in `' '.join(sentences)`, the text gold_view holds."""
    if original is None:
        return []
    spans, offset = [], 0
    for sentence in original["sentences"]:
        spans.append((offset, offset + len(sentence[1])))
        offset += len(sentence[1]) + 1
    return spans


def _wikievents_article(view: dict[str, Any], original: dict[str, Any] | None) -> GoldArticle:
    spans = _sentence_spans(original)
    text: str = view["text"]
    actors: dict[str, GoldActor] = {}
    entities: dict[str, GoldActor] = {}
    events: list[GoldEvent] = []
    demands: list[GoldDemand] = []

    def entity(argument: dict[str, Any]) -> GoldActor | None:
        names = _named([argument["text"], *argument.get("aliases", [])])
        proper = _proper(names, text)
        if not names:
            return None
        # The longest name is the most specific: argument texts are head words (`general`).
        ordered = sorted(proper, key=len, reverse=True) + [n for n in names if n not in proper]
        key = "|".join(sorted(names))
        found = entities.setdefault(key, GoldActor(name=ordered[0], aliases=ordered[1:]))
        if argument["role"] in ACTOR_ROLES and proper:
            actors.setdefault(key, found)
        return found

    for event in view["events"]:
        span = spans[event["sent_idx"]] if event.get("sent_idx", -1) < len(spans) else None
        participants: list[str] = []
        by: list[str] = []
        of: list[str] = []
        topic: list[str] = []
        for argument in event["args"]:
            role = argument["role"]
            if role == "Topic":
                topic.extend(_named([argument["text"], *argument.get("aliases", [])]))
                continue
            if role not in ACTOR_ROLES and role not in PATIENT_ROLES:
                continue
            found = entity(argument)
            if found is None:
                continue
            participants.append(found.name)
            if role == "Communicator":
                by.append(found.name)
            elif role == "Recipient":
                of.append(found.name)
        events.append(
            GoldEvent(
                description=None,
                triggers=[event["trigger"]],
                participants=list(dict.fromkeys(participants)),
                span=span,
            )
        )
        if event["type"].startswith(DEMAND_TYPES):
            demands.append(
                GoldDemand(by=by, of=of, what=None, keywords=[event["trigger"], *topic], span=span)
            )
    named = set(actors)
    # Named entities that only undergo events (victims, places): listing them is not wrong.
    optional = [
        GoldActor(name=e.name, aliases=e.aliases, optional=True)
        for key, e in entities.items()
        if key not in named and _proper(e.names, text)
    ]
    for record in view.get("entities", []):
        proper = _proper(record.get("mentions", []), text)
        if record.get("type") in ("PER", "ORG", "GPE") and proper:
            optional.append(GoldActor(name=proper[0], aliases=proper[1:], optional=True))
    return GoldArticle(
        id=view["doc_id"],
        text=view["text"],
        actors=[*actors.values(), *optional],
        events=events,
        demands=demands,
        entities=list(entities.values()),
    )
