"""Stories in the archive: articles placed into stories, and the queries that read them back.

`place` puts every summarised article that is in no story yet into one, in one batch, as
`summarizer.stories` decides: it reads the new articles and those of the stories of the
days around theirs (`stories.WINDOW_DAYS`), their actors by archive id and their events,
and stores each article's story, the article it copies, and its MinHash signature. The
digest places its articles before it builds an email; `summarizer archive stories` places
what the CLI and the API recorded since.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..identity import Identity
from ..stories import WINDOW_DAYS, Grouped, StoryActor, StoryArticle, group, minhash_signature
from .actors import now
from .db import Archive, Row


@dataclass
class Placed:
    """A story that got articles: `new` when this placement created it."""

    story_id: int
    article_ids: list[int]
    copy_of: dict[int, int]
    new: bool


@dataclass
class StoryArticleRow:
    """An article of a story, as `story` lists it."""

    article_id: int
    day: str
    title: str | None
    source: str | None
    url: str | None
    copy_of: int | None


@dataclass
class StoryRow:
    """A story, as `stories` lists it."""

    id: int
    title: str
    first_day: str
    last_day: str
    articles: int
    copies: int


@dataclass
class StoryDetail(StoryRow):
    """A story with its articles, actors, events and the digests that showed it."""

    members: list[StoryArticleRow] = field(default_factory=list)
    actors: list[tuple[int, str, int]] = field(default_factory=list)
    """(actor id, name, articles naming it), most named first."""
    events: list[tuple[str, str]] = field(default_factory=list)
    """(day, what), by day."""
    digests: list[tuple[int, str]] = field(default_factory=list)
    """(digest id, created) of every digest that showed it."""


def place(archive: Archive, article_ids: Sequence[int] | None = None) -> list[Placed]:
    """Place summarised articles that are in no story yet (all, or those of `article_ids`).

    Returns the stories that got articles, in the order of their first new article.
    """
    new = _unplaced(archive, article_ids)
    if not new:
        return []
    days = [dt.date.fromisoformat(row["day"]) for row in new]
    window = (
        (min(days) - dt.timedelta(days=WINDOW_DAYS)).isoformat(),
        (max(days) + dt.timedelta(days=WINDOW_DAYS)).isoformat(),
    )
    earlier = archive.rows(
        "SELECT sa.article_id, sa.story_id, sa.copy_of, sa.day, a.summary_id, m.signature "
        "FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
        "LEFT JOIN article_minhash m ON m.article_id = sa.article_id "
        "WHERE sa.day BETWEEN ? AND ? ORDER BY sa.day, sa.article_id",
        window,
    )
    signatures = {row["id"]: minhash_signature(row["text"]) for row in new}
    summaries = [row["summary_id"] for row in (*earlier, *new)]
    actors, events = _actors(archive, summaries), _events(archive, summaries)
    items = [
        StoryArticle(
            article_id=row["article_id"],
            day=dt.date.fromisoformat(row["day"]),
            signature=row["signature"],
            actors=actors[row["summary_id"]],
            events=events[row["summary_id"]],
            story_id=row["story_id"],
            copy_of=row["copy_of"],
        )
        for row in earlier
    ] + [
        StoryArticle(
            article_id=row["id"],
            day=dt.date.fromisoformat(row["day"]),
            signature=signatures[row["id"]],
            actors=actors[row["summary_id"]],
            events=events[row["summary_id"]],
        )
        for row in new
    ]
    by_id = {row["id"]: row for row in new}
    with archive.transaction():
        return [_store(archive, found, by_id, signatures) for found in group(items)]


def _unplaced(archive: Archive, article_ids: Sequence[int] | None) -> list[Row]:
    only = "" if article_ids is None else "AND a.id IN (SELECT value FROM json_each(?)) "
    return archive.rows(
        "SELECT a.id, a.title, a.text, a.summary_id, s.day FROM articles a "
        "JOIN summaries s ON s.id = a.summary_id "
        "LEFT JOIN story_articles sa ON sa.article_id = a.id "
        f"WHERE sa.article_id IS NULL {only}ORDER BY s.day, a.id",
        () if article_ids is None else (json.dumps(list(article_ids)),),
    )


def _actors(archive: Archive, summaries: Iterable[int]) -> defaultdict[int, tuple[StoryActor, ...]]:
    found: defaultdict[int, list[StoryActor]] = defaultdict(list)
    rows = archive.rows(
        "SELECT summary_id, actor_id, name, type, role FROM summary_actors "
        "WHERE summary_id IN (SELECT value FROM json_each(?)) AND coalesce(type, '') != 'media' "
        "ORDER BY summary_id, rowid",
        (json.dumps(list(summaries)),),
    )
    for row in rows:
        person = row["type"] == "person"
        titled = (f"{row['role']} {row['name']}",) if person and row["role"] else ()
        identity = Identity((row["name"], *titled), row["type"])
        found[row["summary_id"]].append(StoryActor(identity, person, row["actor_id"]))
    return defaultdict(tuple, {key: tuple(value) for key, value in found.items()})


def _events(archive: Archive, summaries: Iterable[int]) -> defaultdict[int, tuple[str, ...]]:
    found: defaultdict[int, list[str]] = defaultdict(list)
    rows = archive.rows(
        "SELECT summary_id, what FROM events WHERE summary_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY summary_id, id",
        (json.dumps(list(summaries)),),
    )
    for row in rows:
        found[row["summary_id"]].append(row["what"])
    return defaultdict(tuple, {key: tuple(value) for key, value in found.items()})


def _store(
    archive: Archive, found: Grouped, new: dict[int, Row], signatures: dict[int, bytes]
) -> Placed:
    days = [new[article_id]["day"] for article_id in found.article_ids]
    story_id = found.story_id
    if story_id is None:
        first = new[found.article_ids[0]]
        story_id = archive.execute(
            "INSERT INTO stories (title, first_day, last_day, created) VALUES (?, ?, ?, ?)",
            (first["title"] or f"Story of article {first['id']}", min(days), max(days), now()),
        )
    else:
        archive.execute(
            "UPDATE stories SET first_day = min(first_day, ?), last_day = max(last_day, ?) "
            "WHERE id = ?",
            (min(days), max(days), story_id),
        )
    archive.executemany(
        "INSERT INTO story_articles (article_id, story_id, copy_of, day) VALUES (?, ?, ?, ?)",
        [
            (article_id, story_id, found.copy_of.get(article_id), new[article_id]["day"])
            for article_id in found.article_ids
        ],
    )
    archive.executemany(
        "INSERT OR REPLACE INTO article_minhash (article_id, signature) VALUES (?, ?)",
        [(article_id, signatures[article_id]) for article_id in found.article_ids],
    )
    return Placed(story_id, found.article_ids, found.copy_of, new=found.story_id is None)


def stories(archive: Archive, day: dt.date | None = None) -> list[StoryRow]:
    """Every story (or those with an article on `day`), latest first."""
    if day is None:
        return _story_rows(archive, "", ())
    where = "WHERE s.id IN (SELECT story_id FROM story_articles WHERE day = ?)"
    return _story_rows(archive, where, (day.isoformat(),))


def _story_rows(archive: Archive, where: str, parameters: tuple[object, ...]) -> list[StoryRow]:
    rows = archive.rows(
        "SELECT s.id, s.title, s.first_day, s.last_day, count(sa.article_id) AS articles, "
        "count(sa.copy_of) AS copies FROM stories s "
        f"JOIN story_articles sa ON sa.story_id = s.id {where} "
        "GROUP BY s.id ORDER BY s.last_day DESC, s.id DESC",
        parameters,
    )
    return [StoryRow(**dict(row)) for row in rows]


def story(archive: Archive, story_id: int) -> StoryDetail | None:
    """One story with its articles, actors, events and digests; None if there is none."""
    found = _story_rows(archive, "WHERE s.id = ?", (story_id,))
    if not found:
        return None
    detail = StoryDetail(**vars(found[0]))
    detail.members = [
        StoryArticleRow(**dict(row))
        for row in archive.rows(
            "SELECT sa.article_id, sa.day, a.title, a.source, a.url, sa.copy_of "
            "FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
            "WHERE sa.story_id = ? ORDER BY sa.day, sa.article_id",
            (story_id,),
        )
    ]
    detail.actors = [
        (row["id"], row["name"], row["articles"])
        for row in archive.rows(
            "SELECT ac.id, ac.name, count(DISTINCT a.id) AS articles FROM story_articles sa "
            "JOIN articles a ON a.id = sa.article_id "
            "JOIN summary_actors x ON x.summary_id = a.summary_id "
            "JOIN actors ac ON ac.id = x.actor_id "
            "WHERE sa.story_id = ? AND sa.copy_of IS NULL AND coalesce(x.type, '') != 'media' "
            "GROUP BY ac.id ORDER BY articles DESC, ac.name",
            (story_id,),
        )
    ]
    detail.events = [
        (row["day"], row["what"])
        for row in archive.rows(
            "SELECT e.day, e.what FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
            "JOIN events e ON e.summary_id = a.summary_id "
            "WHERE sa.story_id = ? AND sa.copy_of IS NULL ORDER BY e.day, e.id",
            (story_id,),
        )
    ]
    detail.digests = [
        (row["id"], row["created"])
        for row in archive.rows(
            "SELECT d.id, d.created FROM digest_stories ds JOIN digests d ON d.id = ds.digest_id "
            "WHERE ds.story_id = ? ORDER BY d.id",
            (story_id,),
        )
    ]
    return detail


@dataclass
class Membership:
    """The story an article is in, and the article it copies, if any."""

    story_id: int
    copy_of: int | None


def memberships(archive: Archive, article_ids: Iterable[int]) -> dict[int, Membership]:
    """The story of each of these articles that is in one."""
    rows = archive.rows(
        "SELECT article_id, story_id, copy_of FROM story_articles "
        "WHERE article_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(article_ids)),),
    )
    return {row["article_id"]: Membership(row["story_id"], row["copy_of"]) for row in rows}


@dataclass
class Earlier:
    """What earlier digests showed of a story: when first, its first article, and what."""

    first_shown: dt.date
    first_url: str | None
    first_title: str | None
    shown: list[str]
    """Each digest's record (`digest_stories.shown`, JSON), oldest first."""


def shown_before(archive: Archive, story_ids: Iterable[int]) -> dict[int, Earlier]:
    """For each of these stories an earlier digest showed, what it showed."""
    ids = json.dumps(list(story_ids))
    rows = archive.rows(
        "WITH firsts AS (SELECT sa.story_id, a.url, a.title, row_number() OVER ("
        "PARTITION BY sa.story_id ORDER BY sa.day, sa.article_id) AS n "
        "FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
        "WHERE a.digest_id IS NOT NULL AND sa.story_id IN (SELECT value FROM json_each(?))) "
        "SELECT ds.story_id, ds.shown, d.created, f.url, f.title "
        "FROM digest_stories ds JOIN digests d ON d.id = ds.digest_id "
        "LEFT JOIN firsts f ON f.story_id = ds.story_id AND f.n = 1 "
        "WHERE ds.story_id IN (SELECT value FROM json_each(?)) ORDER BY ds.digest_id",
        (ids, ids),
    )
    earlier: dict[int, Earlier] = {}
    for row in rows:
        if row["story_id"] not in earlier:
            day = dt.date.fromisoformat(row["created"][:10])
            earlier[row["story_id"]] = Earlier(day, row["url"], row["title"], [])
        earlier[row["story_id"]].shown.append(row["shown"])
    return earlier


def record_shown(archive: Archive, digest_id: int, shown: Mapping[int, str]) -> None:
    """Record what a digest showed of each story (story id -> JSON)."""
    archive.executemany(
        "INSERT INTO digest_stories (digest_id, story_id, shown) VALUES (?, ?, ?)",
        [(digest_id, story_id, record) for story_id, record in shown.items()],
    )
