"""A digest from summaries: stories about the same actors and events grouped together.

Two stories belong together when they share a named person, or two actors of any kind, or
one actor and a closely worded event (whether two actors are one is `identity`'s rule). A
lone shared country or organisation is not enough: "Russia" or "the city council" appears
in too many unrelated stories.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..identity import Identity, same_actor
from ..schema import Actor, SummaryResult

_EVENT_SIMILARITY = 75  # rapidfuzz token_set_ratio, 0-100


@dataclass
class Story:
    """One summarised article in a digest."""

    result: SummaryResult
    title: str
    url: str | None = None
    source: str | None = None
    article_id: int | None = None


@dataclass
class Failure:
    """An article that could not be summarised; listed in the email's appendix."""

    title: str
    error: str
    url: str | None = None
    source: str | None = None
    attempts: int = 1
    final: bool = False


@dataclass
class StoryGroup:
    """Stories about the same actors and events; the first is the lead."""

    stories: list[Story]
    shared_actors: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """The lead story's title."""
        return self.stories[0].title


@dataclass
class Digest:
    """What one email reports: grouped stories and the failures appendix."""

    groups: list[StoryGroup]
    failures: list[Failure] = field(default_factory=list)
    date: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    title: str = "News digest"

    @property
    def stories(self) -> list[Story]:
        """Every story, in the order of the email."""
        return [story for group in self.groups for story in group.stories]

    @property
    def count(self) -> int:
        """How many stories the digest holds."""
        return len(self.stories)


def story_from_result(result: SummaryResult, *, article_id: int | None = None) -> Story:
    """A Story for a SummaryResult, titled by its article (or its summary's first words)."""
    article = result.article
    title = (article.title or "").strip() or _first_words(result.summary.summary)
    return Story(
        result=result,
        title=title,
        url=article.url,
        source=article.source,
        article_id=article_id,
    )


def build_digest(
    summaries: Iterable[SummaryResult | Story],
    *,
    failures: Sequence[Failure] = (),
    date: dt.date | None = None,
    title: str = "News digest",
) -> Digest:
    """Group summaries into a Digest, ready to render as an email.

    Args:
        summaries: SummaryResults (or Stories) to report, in the order they arrived.
        failures: Articles that could not be summarised, for the appendix.
        date: The digest's date (default: today, UTC).
        title: The email's heading.

    """
    stories = [s if isinstance(s, Story) else story_from_result(s) for s in summaries]
    return Digest(
        groups=group_stories(stories),
        failures=list(failures),
        date=date or dt.datetime.now(dt.UTC).date(),
        title=title,
    )


def group_stories(stories: Sequence[Story]) -> list[StoryGroup]:
    """Connected groups of related stories, largest first, then in arrival order."""
    parent = list(range(len(stories)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    # Outlets are left out: one that reports two stories does not make them one.
    actors = [
        [(actor, Identity.of(actor)) for actor in s.result.summary.actors if actor.type != "media"]
        for s in stories
    ]
    shared: dict[int, set[str]] = {}
    for i in range(len(stories)):
        for j in range(i + 1, len(stories)):
            common = _related(stories[i], stories[j], actors[i], actors[j])
            if common:
                shared.setdefault(i, set()).update(common)
                shared.setdefault(j, set()).update(common)
                parent[root(j)] = root(i)
    members: dict[int, list[int]] = {}
    for index in range(len(stories)):
        members.setdefault(root(index), []).append(index)
    groups = [
        StoryGroup(
            stories=[stories[i] for i in indexes],
            shared_actors=sorted(set().union(*(shared.get(i, set()) for i in indexes))),
        )
        for indexes in members.values()
    ]
    # Stable: equal sizes keep the order of their first story.
    return sorted(groups, key=lambda group: -len(group.stories))


def _related(
    a: Story,
    b: Story,
    a_actors: list[tuple[Actor, Identity]],
    b_actors: list[tuple[Actor, Identity]],
) -> list[str]:
    """The names of the actors two stories share, if that makes them one story; else []."""
    pairs = [(x, y) for x, xi in a_actors for y, yi in b_actors if same_actor(xi, yi)]
    if not pairs:
        return []
    names = sorted({x.name for x, _ in pairs})
    if len(names) >= 2 or any(x.type == "person" for x, _ in pairs):
        return names
    if _similar_events(a, b):
        return names
    return []


def _similar_events(a: Story, b: Story) -> bool:
    from rapidfuzz import fuzz

    return any(
        fuzz.token_set_ratio(_normal(x.what), _normal(y.what)) >= _EVENT_SIMILARITY
        for x in a.result.summary.events
        for y in b.result.summary.events
    )


def _normal(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    text = re.sub(r"^(the|a|an)\s+", "", text.strip())
    return " ".join(text.split())


def _first_words(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
