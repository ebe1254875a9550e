"""The structured summary the model fills, and the envelope that records how it was made.

Field descriptions are the model's specification: they are sent to the model in the JSON
schema and rendered into the system prompt. Bounds (maxLength, maxItems) are not cosmetic: a
grammar-constrained local model honours them, so they bound the generation itself.
Fields marked SkipJsonSchema are computed by code after the answer and never asked of
the model.

It is one module, longer than most, because it is one specification: the answer models,
their bounds and the validators that resolve references between them generate the single
JSON schema sent to the model, and the envelope around them is what every output format
and store reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from .identity import Identity, normalize_name
from .identity import resolve as resolve_reference
from .sentences import split_sentences

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _bound(**bounds: JsonValue) -> Any:
    """Bounds sent in the JSON schema only.

    A grammar-constrained model cannot exceed them, so they bound the generation; they are
    not enforced on validation, so a hosted model running a few characters over, or the
    merge of a long article's parts, is not rejected.
    """
    return Field(json_schema_extra=bounds)


# Non-empty strings, bounded (for the model) by length.
Slug = Annotated[Text, _bound(maxLength=40)]
Label = Annotated[Text, _bound(maxLength=60)]
Name = Annotated[Text, _bound(maxLength=80)]
Line = Annotated[Text, _bound(maxLength=160)]


def _whole_sentences(limit: int) -> AfterValidator:
    """Cut a text that stops mid-sentence at its length bound back to its last full stop.

    A grammar-constrained model does not plan for the bound: it writes until the grammar
    closes the string ("… looking forward to his call with Putin, while").
    """

    def cut(text: str) -> str:
        if len(text) < limit - 10 or text.endswith((".", "!", "?", '"', "”", "’", ")")):
            return text
        sentences = split_sentences(text)
        return text[: sentences[-2].end] if len(sentences) > 1 else text + "…"

    return AfterValidator(cut)


Sentence = Annotated[Text, _bound(maxLength=200), _whole_sentences(200)]
Paragraph = Annotated[Text, _bound(maxLength=400), _whole_sentences(400)]
# The model refers to actors by name (small models mangle invented ids); validation turns
# each reference into the actor's id, so the stored summary refers by id.
ActorRef = Annotated[
    Name, Field(description="An actor's name exactly as written in `actors[].name`.")
]

ActorType = Literal[
    "person", "state", "organisation", "armed_group", "international_body", "media", "other"
]
# How each actor type reads in the Markdown, HTML and terminal views.
ACTOR_TYPE_LABELS: dict[str, str] = {
    "person": "person",
    "state": "state / government",
    "organisation": "organisation",
    "armed_group": "military / armed group",
    "international_body": "international body",
    "media": "media",
    "other": "other",
}
EventCategory = Literal[
    "consult",
    "agree",
    "demand",
    "reject",
    "threaten",
    "accuse",
    "fight",
    "mobilize",
    "aid",
    "sanction",
    "retreat",
    "statement",
    "other",
]
EventStatus = Literal["occurred", "ongoing", "planned", "claimed"]
MatchKind = Literal["exact", "normalized", "fuzzy", "none"]
# Whether an item's cited sentences name its actors (or, without actors, its key words).
Support = Literal["strong", "weak"]
# How every view flags an item whose citations may not say it (`support == "weak"`).
WEAK_SUPPORT_NOTE = "weak support: the cited sentences do not name all its actors"

QUOTE_MAX_CHARS = 150


def _require_every_field(schema: dict[str, Any]) -> None:
    # Every key is required in what the model writes, so a constrained model cannot stop
    # early by leaving out `positions` or `demands`; null and [] stay available.
    schema["required"] = list(schema.get("properties", {}))


# What small models write instead of null despite being told (`"conditions": "None"`).
_PLACEHOLDERS = frozenset({"none", "null", "unknown", "n/a", "not stated", "not specified", "-"})


class _Answer(BaseModel):
    """Base of the models the LLM fills."""

    model_config = ConfigDict(json_schema_extra=_require_every_field)

    @model_validator(mode="before")
    @classmethod
    def _placeholders_are_null(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            key: None
            if isinstance(value, str)
            and value.strip().casefold() in _PLACEHOLDERS
            and key in cls.model_fields
            and cls.model_fields[key].default is None
            else value
            for key, value in data.items()
        }


class Evidence(BaseModel):
    """A verbatim quote from the article; the offsets are located by code, not by the model."""

    quote: Text
    start: int | None = Field(default=None, description="Character offset where the quote starts.")
    end: int | None = Field(default=None, description="Character offset just past the quote.")
    match: MatchKind | None = Field(
        default=None, description="How the quote was found in the article text."
    )


def _quote_from_string(value: Any) -> Any:
    return {"quote": value} if isinstance(value, str) else value


# The model writes each quote as a bare string (fewer output tokens); it becomes an Evidence.
Quote = Annotated[
    Evidence,
    BeforeValidator(_quote_from_string),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": QUOTE_MAX_CHARS}),
]
EvidenceList = Annotated[
    list[Quote],
    _bound(maxItems=2),
    Field(
        min_length=1,
        description=(
            "One or two short quotes copied exactly from the article that show this item."
        ),
    ),
]


class Actor(_Answer):
    """A person, state, organisation or group that acts or speaks in the article."""

    id: SkipJsonSchema[str] = Field(
        default="", description="Slug of the name, unique in the summary; assigned by code."
    )
    name: Annotated[
        Name,
        Field(
            description=(
                "Canonical name as the article best identifies it: a person's full name without "
                "title (`Vladimir Putin`, not `the Russian leader`), official name for a body."
            ),
        ),
    ]
    aliases: list[Label] = Field(
        default_factory=list,
        json_schema_extra={"maxItems": 3},
        description="Other names the article uses for this actor (`Putin`, `the Kremlin`).",
    )
    type: ActorType = Field(
        description=(
            "person; state (a country or its government); organisation; armed_group "
            "(military or armed group); international_body; media; other."
        )
    )
    role: Name | None = Field(
        default=None,
        description="Role or title as the article gives it (`Russian President`), else null.",
    )
    affiliation: Label | None = Field(
        default=None, description="Country or organisation the actor belongs to, else null."
    )
    mentioned: SkipJsonSchema[bool | None] = Field(
        default=None,
        description="Whether the name or an alias occurs in the article; checked by code.",
    )

    def rename(self, name: str) -> None:
        """Call the actor `name`; the name it had stays an alias, as the article uses it."""
        self.aliases.append(self.name)
        self.name = name
        self._drop_repeated_aliases()

    def _drop_repeated_aliases(self) -> None:
        """Keep the first of the aliases that are one name to identity.py, none the actor's own.

        "The Kremlin's" repeats "Kremlin": the same key that matches actors across answers.
        """
        seen = {normalize_name(self.name)}
        kept = []
        for alias in self.aliases:
            key = normalize_name(alias)
            if key not in seen:
                seen.add(key)
                kept.append(alias)
        self.aliases = kept

    @model_validator(mode="after")
    def _name_without_role(self) -> Actor:
        # A person "Russian President Vladimir Putin" with role "President" (or "Russian
        # President"): the name is what follows the role.
        found = None
        if self.role and self.type == "person":
            found = re.search(rf"(?:^|\s){re.escape(self.role)}\s+(\S.*)$", self.name, re.I)
        if found:
            self.rename(found[1])
        else:
            self._drop_repeated_aliases()
        return self


class Position(_Answer):
    """A stance an actor takes on a topic."""

    actor: ActorRef
    topic: Annotated[Label, Field(description="What the stance is about.")]
    stance: Annotated[Sentence, Field(description="The actor's stance, in one sentence.")]
    evidence: EvidenceList
    grounded: SkipJsonSchema[bool | None] = Field(
        default=None, description="Whether any evidence quote was found in the article; by code."
    )
    support: SkipJsonSchema[Support | None] = Field(
        default=None,
        description=(
            "Staged strategy: `weak` when the cited sentences do not name the item's actors "
            "(or, without actors, any of its key words); checked by code."
        ),
    )


class Demand(_Answer):
    """Something an actor demands, requests or insists on."""

    by: ActorRef = Field(description="Name of the actor who asks or insists, not the one asked.")
    of: ActorRef | None = Field(
        default=None, description="Name of the actor asked to act, or null if none."
    )
    what: Annotated[Sentence, Field(description="What is demanded.")]
    conditions: Line | None = Field(
        default=None, description="Conditions attached to the demand if stated, else null."
    )
    evidence: EvidenceList
    grounded: SkipJsonSchema[bool | None] = Field(
        default=None, description="Whether any evidence quote was found in the article; by code."
    )
    support: SkipJsonSchema[Support | None] = Field(
        default=None,
        description=(
            "Staged strategy: `weak` when the cited sentences do not name the item's actors "
            "(or, without actors, any of its key words); checked by code."
        ),
    )


class Event(_Answer):
    """Something that happened, is happening, or is planned."""

    what: Annotated[
        Line,
        Field(
            description=(
                "What happened or is planned, in a few words led by its verb and who did it "
                "(`rebels attacked the camp`, `Trump and Putin to hold a call`)."
            )
        ),
    ]
    category: EventCategory = Field(
        description=(
            "consult: meet, talk, call; agree; demand: request or urge; reject; threaten; "
            "accuse; fight: attack or combat; mobilize: deploy or build up forces; aid; "
            "sanction; retreat: withdraw; statement: announce or comment; other."
        )
    )
    status: EventStatus = Field(
        description="occurred, ongoing, planned (scheduled or intended) or claimed (unverified)."
    )
    when: Slug | None = Field(
        default=None,
        description="The time exactly as the article writes it (`on Tuesday`), else null.",
    )
    date: SkipJsonSchema[dt.date | None] = Field(
        default=None,
        description=(
            "ISO date resolved by code from `when` and the article's publication date; "
            "null when that does not determine one day."
        ),
    )
    where: Label | None = Field(default=None, description="Place, else null.")
    participants: list[ActorRef] = Field(
        default_factory=list,
        json_schema_extra={"maxItems": 5},
        description="Actors who did it and actors it was done to, as written in `actors[].name`.",
    )
    evidence: EvidenceList
    grounded: SkipJsonSchema[bool | None] = Field(
        default=None, description="Whether any evidence quote was found in the article; by code."
    )
    support: SkipJsonSchema[Support | None] = Field(
        default=None,
        description=(
            "Staged strategy: `weak` when the cited sentences do not name the item's actors "
            "(or, without actors, any of its key words); checked by code."
        ),
    )


# Set by the pipeline around a model call: checks that need the article (are the quotes in
# it?) and raise ValueError so Instructor re-asks. Instructor's own `context` is not used
# for this because it also renders the messages as Jinja templates.
AnswerCheck = Callable[["ArticleSummary | DemandsAnswer"], None]
answer_check: ContextVar[AnswerCheck | None] = ContextVar("answer_check", default=None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _demands_field() -> Any:
    """The `demands` list, the same in the summary and in the follow-up answer for demands."""
    return Field(
        default_factory=list,
        json_schema_extra={"maxItems": 4},
        description=(
            "Requests, calls, ultimatums and conditions one actor sets for another: who asks "
            "whom to do what; [] if nobody asks anything."
        ),
    )


class ArticleSummary(_Answer):
    """A structured, source-grounded summary of one news article."""

    summary: Annotated[
        Paragraph,
        Field(description="What the article reports, in one or two sentences."),
    ]
    key_points: list[Line] = Field(
        min_length=3,
        json_schema_extra={"maxItems": 5},
        description=(
            "3 to 5 short, different key points in the article's order, the first from its opening."
        ),
    )
    actors: list[Actor] = Field(
        min_length=1,
        json_schema_extra={"maxItems": 8},
        description=(
            "The people, states, armed groups and organisations that act or speak, most "
            "important first; not the news outlets that report the story."
        ),
    )
    events: list[Event] = Field(
        min_length=1,
        json_schema_extra={"maxItems": 6},
        description=(
            "Distinct happenings, most important first; one entry per happening even when "
            "the article mentions it several times."
        ),
    )
    positions: list[Position] = Field(
        default_factory=list, json_schema_extra={"maxItems": 4}, description="Stances actors take."
    )
    demands: list[Demand] = _demands_field()

    @model_validator(mode="after")
    def _references_resolve(self) -> ArticleSummary:
        self._assign_ids()
        ids = [actor.id for actor in self.actors]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"actor ids must be unique; repeated: {', '.join(duplicates)}")
        resolve = self._resolver()
        for position in self.positions:
            position.actor = resolve(position.actor)
        self._resolve_demands(self.demands, resolve)
        for event in self.events:
            event.participants = list(dict.fromkeys(resolve(p) for p in event.participants))
        _check_answer(self)
        return self

    def add_demands(self, demands: Iterable[Demand]) -> None:
        """Append demands whose `by` and `of` are actor names, resolving them to ids."""
        demands = list(demands)
        self._resolve_demands(demands, self._resolver())
        self.demands.extend(demands)

    @staticmethod
    def _resolve_demands(demands: Iterable[Demand], resolve: Callable[[str], str]) -> None:
        for demand in demands:
            demand.by = resolve(demand.by)
            if demand.of is not None:
                demand.of = resolve(demand.of)

    def _resolver(self) -> Callable[[str], str]:
        """A function from an actor reference (id, name, alias, surname) to the actor's id.

        A reference that names exactly one actor by the rule of `identity` (`Trump` for
        `Donald Trump`) is accepted rather than sent back to the model.
        """
        identities = [Identity.of(actor) for actor in self.actors]

        def resolve(reference: str) -> str:
            ids = {actor.id for actor in self.actors}
            for candidate in (reference, _slug(reference)):
                if candidate in ids:
                    return candidate
            index = resolve_reference(reference, identities)
            if index is not None:
                return self.actors[index].id
            # A small model names a participant it did not list ("Russian forces"):
            # listing it beats failing the whole answer, and it is still checked
            # against the article text like every actor.
            self.actors.append(Actor(name=reference, type="other"))
            self._assign_ids()
            identities.append(Identity.of(self.actors[-1]))
            return self.actors[-1].id

        return resolve

    def _assign_ids(self) -> None:
        """Give each actor without an id the slug of its name, made unique."""
        taken = {actor.id for actor in self.actors if actor.id}
        for actor in self.actors:
            if actor.id:
                continue
            base = _slug(actor.name) or "actor"
            candidate, number = base, 2
            while candidate in taken:
                candidate, number = f"{base}_{number}", number + 1
            actor.id = candidate
            taken.add(candidate)

    def actor(self, actor_id: str) -> Actor:
        """Return the actor with this id."""
        return next(actor for actor in self.actors if actor.id == actor_id)

    def evidence(self) -> list[tuple[str, int, Evidence]]:
        """Every evidence item as (item kind, item index, evidence), in document order of items."""
        return _evidence(
            ("event", self.events), ("position", self.positions), ("demand", self.demands)
        )


def _evidence(
    *groups: tuple[str, Sequence[Event | Position | Demand]],
) -> list[tuple[str, int, Evidence]]:
    items: list[tuple[str, int, Evidence]] = []
    for kind, group in groups:
        for index, item in enumerate(group):
            items.extend((kind, index, evidence) for evidence in item.evidence)
    return items


def _check_answer(answer: ArticleSummary | DemandsAnswer) -> None:
    check = answer_check.get()
    if check is not None:
        check(answer)


class DemandsAnswer(_Answer):
    """The answer to the follow-up question for demands, asked when a summary lists none."""

    demands: list[Demand] = _demands_field()

    @model_validator(mode="after")
    def _quotes_checked(self) -> DemandsAnswer:
        _check_answer(self)
        return self

    def evidence(self) -> list[tuple[str, int, Evidence]]:
        """Every evidence item as (item kind, item index, evidence)."""
        return _evidence(("demand", self.demands))


class Usage(BaseModel):
    """Tokens a summary cost, summed over every attempt."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = Field(
        default=0, description="Of the prompt tokens, those the provider read from its cache."
    )
    reasoning_tokens: int = Field(
        default=0, description="Of the completion tokens, those a reasoning model spent thinking."
    )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )


class Provenance(BaseModel):
    """How a summary was made: enough to reproduce it or to judge it."""

    model: str
    backend: str
    prompt_hash: str = Field(
        description="SHA-256 of the prompt templates and answer schema, first 16 hex digits."
    )
    input_hash: str = Field(description="SHA-256 of the article text, first 16 hex digits.")
    usage: Usage = Field(default_factory=Usage)
    attempts: int = Field(description="Model calls made, re-asks included (cache hits count).")
    reasks: int = Field(
        default=0, description="Of those calls, the ones that asked again after an invalid answer."
    )
    cache_hit: bool = Field(description="True when every call was answered by the cache.")
    parts: int = Field(default=1, description="Parts a long article was split into.")
    seconds: float = Field(description="Wall time of the summarisation.")
    created: dt.datetime


class ArticleInfo(BaseModel):
    """What is known about the article besides its text."""

    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: dt.date | None = None
    text: str | None = Field(
        default=None, description="The text that was summarised; evidence offsets index it."
    )


class Grounding(BaseModel):
    """How much of a summary the article bears out, measured by code after the answer."""

    quotes: int = Field(default=0, description="Evidence quotes the model gave.")
    exact: float = Field(default=0.0, description="Share of quotes found verbatim.")
    normalized: float = Field(
        default=0.0, description="Share found after normalising spacing, quotes, dashes, case."
    )
    fuzzy: float = Field(default=0.0, description="Share found only by fuzzy matching.")
    none: float = Field(default=0.0, description="Share not found in the article.")
    items: int = Field(default=0, description="Events, positions and demands the model gave.")
    ungrounded_items: int = Field(
        default=0, description="Items none of whose quotes was found (kept flagged, or dropped)."
    )
    dropped_items: int = Field(default=0, description="Ungrounded items dropped by option.")
    actors: int = Field(default=0, description="Actors listed.")
    unmentioned_actors: list[str] = Field(
        default_factory=list, description="Ids of actors whose names are not in the text."
    )


class SummaryResult(BaseModel):
    """The envelope: the summary, the article it is about, and its provenance."""

    article: ArticleInfo
    summary: ArticleSummary
    provenance: Provenance
    grounding: Grounding | None = Field(
        default=None, description="Groundedness of the summary in the article text."
    )


def field_guide(model: type[BaseModel]) -> list[tuple[str, str]]:
    """(path, description) for every field the model is asked to write, nested lists as `x[].y`."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
        options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
        return resolve(options[0]) if len(options) == 1 and "$ref" in options[0] else node

    def walk(node: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
        guide: list[tuple[str, str]] = []
        for name, prop in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            description = prop.get("description") or resolve(prop).get("description", "")
            items = resolve(prop.get("items", {})) if prop.get("type") == "array" else None
            if items and items.get("type") == "object":
                guide.append((f"{path}[]", description))
                guide.extend(walk(items, f"{path}[]."))
            else:
                guide.append((path, description))
        return guide

    return walk(schema, "")
