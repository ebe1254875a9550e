"""A digest from summaries: one item per story, listing every source.

Which articles are one story (copies, and related articles: shared people, actors and
events within a few days) is `summarizer.stories`' rule. The nightly digest takes its
stories from the archive, where a story continues across days; `build_digest` groups the
summaries it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..archive.db import Archive
from ..archive.stories import memberships, shown_before
from ..schema import SummaryResult
from ..stories import StoryArticle, group
from .news import Shown, WhatsNew, merged, shown_of, whats_new


@dataclass
class Story:
    """One summarised article in a digest."""

    result: SummaryResult
    title: str
    url: str | None = None
    source: str | None = None
    article_id: int | None = None
    copy: bool = False
    """A copy of another article of the story: listed as a source, its summary not shown."""
    anchor: str = ""
    """The prefix of its ids in the email (`s3-`), set by its Digest."""


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
    """One story of a digest: its articles in this digest, the lead first.

    `shown` is what the item shows of them together. A story an earlier digest showed
    (`first_shown` is that digest's day) carries `news`, what is new since, and shows that
    alone; `first_title` and `first_url` name and link its first article.
    """

    stories: list[Story]
    shared_actors: list[str] = field(default_factory=list)
    story_id: int | None = None
    news: WhatsNew | None = None
    first_shown: dt.date | None = None
    first_url: str | None = None
    first_title: str | None = None
    shown: Shown = field(default_factory=Shown, init=False)

    @property
    def originals(self) -> list[Story]:
        """Its articles that are not copies (all of them, if all are)."""
        return [story for story in self.stories if not story.copy] or self.stories

    @property
    def headline(self) -> str:
        """The lead story's title."""
        return self.stories[0].title

    @property
    def lead(self) -> Story:
        """The article whose summary the item shows."""
        return self.stories[0]

    @property
    def continues(self) -> bool:
        """Whether an earlier digest showed this story."""
        return self.news is not None


@dataclass
class Digest:
    """What one email reports: one item per story, and the failures appendix."""

    groups: list[StoryGroup]
    failures: list[Failure] = field(default_factory=list)
    date: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    title: str = "News digest"

    def __post_init__(self) -> None:
        for number, story in enumerate(self.stories):
            story.anchor = f"s{number}-"
        for group_ in self.groups:
            group_.shown = shown_of((s.result, s.anchor) for s in group_.originals)

    @property
    def stories(self) -> list[Story]:
        """Every article, in the order of the email."""
        return [story for group in self.groups for story in group.stories]

    @property
    def count(self) -> int:
        """How many stories (items) the digest holds."""
        return len(self.groups)

    @property
    def articles(self) -> int:
        """How many articles its stories hold, copies included."""
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
    date = date or dt.datetime.now(dt.UTC).date()
    return Digest(
        groups=group_stories(stories, day=date),
        failures=list(failures),
        date=date,
        title=title,
    )


def continued_digest(
    archive: Archive,
    stories: Sequence[Story],
    *,
    failures: Sequence[Failure] = (),
    date: dt.date | None = None,
    title: str = "News digest",
) -> Digest:
    """A Digest of archived articles in their archive stories (`archive.stories.place`).

    A story an earlier digest showed carries what is new since (`StoryGroup.news`), the
    day it was first shown and its first article's link.
    """
    member = memberships(archive, [s.article_id for s in stories if s.article_id is not None])
    by_story: dict[int | None, list[Story]] = {}
    for story in stories:
        found = member.get(story.article_id) if story.article_id is not None else None
        story.copy = found is not None and found.copy_of is not None
        by_story.setdefault(found.story_id if found else None, []).append(story)
    groups = [
        StoryGroup(sorted(members, key=lambda s: s.copy), story_id=story_id)
        for story_id, members in by_story.items()
        if story_id is not None
    ]
    groups += [StoryGroup([story]) for story in by_story.get(None, [])]
    digest = Digest(
        groups=ordered(groups),
        failures=list(failures),
        date=date or dt.datetime.now(dt.UTC).date(),
        title=title,
    )
    earlier = shown_before(archive, [g.story_id for g in groups if g.story_id is not None])
    for group_ in digest.groups:
        before = earlier.get(group_.story_id) if group_.story_id is not None else None
        if before is not None:
            shown = merged(Shown.model_validate_json(record) for record in before.shown)
            group_.news = whats_new(group_.shown, shown)
            group_.first_shown, group_.first_url = before.first_shown, before.first_url
            group_.first_title = before.first_title
    return digest


def group_stories(stories: Sequence[Story], *, day: dt.date | None = None) -> list[StoryGroup]:
    """One group per story (copies and related articles, `summarizer.stories`), largest first.

    An article without a publication date counts as published on `day` (default: today).
    """
    day = day or dt.datetime.now(dt.UTC).date()
    items = [
        StoryArticle.of(index, story.result, day=story.result.article.published or day)
        for index, story in enumerate(stories)
    ]
    groups = []
    for found in group(items):
        members = [stories[index] for index in found.article_ids]
        for index in found.copy_of:
            stories[index].copy = True
        groups.append(StoryGroup(members, shared_actors=found.shared_actors))
    return ordered(groups)


def ordered(groups: Iterable[StoryGroup]) -> list[StoryGroup]:
    """Stories with more articles first; equal ones keep their order."""
    return sorted(groups, key=lambda group: -len(group.stories))


def _first_words(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
