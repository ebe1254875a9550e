"""What a digest shows of a story, and what is new in it since an earlier digest showed it.

A story's articles are read together: their actors (one per actor, by `identity`), their
events (one per happening, by `stories.similar_wording`) and each actor's stances. A digest
records that (`Shown`) for every story it reports; the next digest compares a continuing
story with everything shown of it before and reports only what differs: events not shown,
actors not shown, and positions of an actor whose stance on a topic is not one shown.

Whether a stance differs is judged by wording: a rewording of a shown stance counts as the
same, a stance worded differently as changed. A reversal in few words ("will not strike"
for "will strike") reads as the same stance and is missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from ..identity import Identity, same_actor
from ..schema import Actor, SummaryResult
from ..stories import similar_wording

# rapidfuzz token_sort_ratio (0-100) at or above which two stances of an actor are one.
SAME_STANCE = 70


class ShownActor(BaseModel):
    """An actor as a digest named it."""

    name: str = Field(description="The actor's name.")
    aliases: list[str] = Field(default_factory=list, description="Other names it went by.")
    type: str | None = Field(default=None, description="Its type, as the summary gave it.")
    role: str | None = Field(default=None, description="Its role or title, if given.")

    def identity(self) -> Identity:
        """The actor's identity, for `identity.same_actor`."""
        titled = (f"{self.role} {self.name}",) if self.role and self.type == "person" else ()
        return Identity((self.name, *self.aliases, *titled), self.type)


class ShownEvent(BaseModel):
    """An event as a digest described it."""

    what: str = Field(description="What happened or is planned.")
    status: str = Field(description="occurred, ongoing, planned or claimed.")
    when: str | None = Field(default=None, description="Its ISO date, else the article's words.")
    anchor: str | None = Field(
        default=None, exclude=True, description="Its id in the email (not stored)."
    )


class ShownPosition(BaseModel):
    """An actor's stance on a topic as a digest gave it."""

    actor: ShownActor = Field(description="Who holds it.")
    topic: str = Field(description="What it is about.")
    stance: str = Field(description="The stance, in one sentence.")


class Shown(BaseModel):
    """What a digest showed of one story (stored in `digest_stories.shown`)."""

    actors: list[ShownActor] = Field(default_factory=list, description="Its actors, one each.")
    events: list[ShownEvent] = Field(default_factory=list, description="Its events, one each.")
    positions: list[ShownPosition] = Field(
        default_factory=list, description="Its actors' stances, one per actor and topic."
    )


class ChangedPosition(BaseModel):
    """A position that is new, or that differs from the one shown before (`before`)."""

    now: ShownPosition
    before: ShownPosition | None = None


class WhatsNew(BaseModel):
    """What a story's new articles add to everything shown of it before."""

    events: list[ShownEvent] = Field(default_factory=list)
    positions: list[ChangedPosition] = Field(default_factory=list)
    actors: list[ShownActor] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing is new."""
        return not (self.events or self.positions or self.actors)


def shown_of(results: Iterable[tuple[SummaryResult, str]]) -> Shown:
    """What a story's articles say, read together (the first article's wording first).

    Each result comes with the prefix of its ids in the email: an event keeps its id there.
    """
    shown = Shown()
    for result, prefix in results:
        summary = result.summary
        actors = {actor.id: actor for actor in summary.actors if actor.type != "media"}
        for actor in actors.values():
            _add_actor(shown.actors, _actor(actor))
        for number, event in enumerate(summary.events):
            when = event.date.isoformat() if event.date else event.when
            if not any(similar_wording(event.what, seen.what) for seen in shown.events):
                anchor = f"{prefix}event-{number}"
                shown.events.append(
                    ShownEvent(what=event.what, status=event.status, when=when, anchor=anchor)
                )
        for position in summary.positions:
            if position.actor in actors:
                holder = _actor(actors[position.actor])
                item = ShownPosition(actor=holder, topic=position.topic, stance=position.stance)
                if _matching_position(item, shown.positions, stance=True) is None:
                    shown.positions.append(item)
    return shown


def merged(earlier: Iterable[Shown]) -> Shown:
    """Everything shown of a story over several digests, oldest first."""
    everything = Shown()
    for shown in earlier:
        for actor in shown.actors:
            _add_actor(everything.actors, actor)
        everything.events.extend(
            event
            for event in shown.events
            if not any(similar_wording(event.what, seen.what) for seen in everything.events)
        )
        everything.positions.extend(shown.positions)
    return everything


def whats_new(now: Shown, before: Shown) -> WhatsNew:
    """What `now` shows that `before` did not: new events and actors, changed positions.

    A position whose stance was not shown is new; it is a change (with `before`) when the
    same actor's latest shown position on a similarly worded topic said something else.
    """
    news = WhatsNew()
    news.events = [
        event
        for event in now.events
        if not any(similar_wording(event.what, seen.what) for seen in before.events)
    ]
    news.actors = [
        actor
        for actor in now.actors
        if not any(same_actor(actor.identity(), seen.identity()) for seen in before.actors)
    ]
    for position in now.positions:
        if _matching_position(position, before.positions, stance=True) is not None:
            continue
        previous = _matching_position(position, before.positions, stance=False)
        news.positions.append(ChangedPosition(now=position, before=previous))
    return news


def _actor(actor: Actor) -> ShownActor:
    return ShownActor(
        name=actor.name, aliases=list(actor.aliases), type=actor.type, role=actor.role
    )


def _add_actor(actors: list[ShownActor], actor: ShownActor) -> None:
    for seen in actors:
        if same_actor(actor.identity(), seen.identity()):
            seen.aliases = list(dict.fromkeys([*seen.aliases, actor.name, *actor.aliases]))
            seen.aliases = [alias for alias in seen.aliases if alias != seen.name]
            return
    actors.append(actor.model_copy(deep=True))


def _matching_position(
    position: ShownPosition, positions: list[ShownPosition], *, stance: bool
) -> ShownPosition | None:
    """The latest of `positions` held by the same actor with this stance (or on this topic).

    With `stance`, one whose stance is worded alike; without, one on a similarly worded topic.
    """
    mine = [p for p in positions if same_actor(p.actor.identity(), position.actor.identity())]
    if stance:
        found = [p for p in mine if _alike(p.stance, position.stance)]
    else:
        found = [p for p in mine if similar_wording(p.topic, position.topic)]
    return found[-1] if found else None


def _alike(a: str, b: str) -> bool:
    return fuzz.token_sort_ratio(_words(a), _words(b)) >= SAME_STANCE


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))
