"""Stories: syndicated copies merged, related articles grouped, a story carried across days.

Three rules, each fed by its own candidates so that no step compares every pair:

- **a copy**: one article is a copy of another (syndicated, re-published with another
  headline, boilerplate or a trimmed ending) when the estimated Jaccard similarity of their
  word shingles is at least `COPY_THRESHOLD`; candidates come from MinHashLSH. Two outlets'
  own reports of one event share facts and perhaps a quote, not runs of words: they are one
  story, but separate sources (`benchmarks/stories.py --threshold` measures both kinds).
- **related**: two articles published within `WINDOW_DAYS` of each other are one story when
  they share a named person, or two actors of any kind, or one actor and a closely worded
  event. Whether two actors are one is `identity`'s rule, or the archive's actor ids when
  both have one. A lone shared country or organisation is not enough ("Russia" is in too
  many unrelated stories), and an actor named in many of the articles (a head of state,
  more than `_COMMON_SHARE` of them) counts only with a second such actor and a closely
  worded event. Candidates come from an index of actor names and ids (`identity.name_keys`).
- **continues**: an article related to, or a copy of, an article of an earlier story joins
  that story; earlier articles are never regrouped among themselves.

The functions are pure: they take `StoryArticle`s and return `Grouped` stories; the
archive stores what they decide.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from rapidfuzz import fuzz

from .identity import Identity, name_keys, same_actor

if TYPE_CHECKING:
    from .schema import Actor, SummaryResult

    _Join = Callable[[int, int], None]
    _Root = Callable[[int], int]

# Estimated Jaccard similarity of two articles' shingles at or above which one copies the
# other; between what separate reports of one event reach and what copies keep (measured by
# `benchmarks/stories.py --threshold`, reported in docs/digest.md).
COPY_THRESHOLD = 0.3
SHINGLE_WORDS = 5
NUM_PERM = 128
# Articles this many days apart or closer can be one story through shared actors.
WINDOW_DAYS = 3
# rapidfuzz token_sort_ratio (0-100) of their words, function words left out, at or above
# which two event descriptions say one thing: word order and small words vary between
# restatements of one event; a shared subject and verb alone ("Marsh urges the union to
# return to talks", "Marsh invites the union to wage talks") is not one event.
SIMILAR_WORDING = 80
_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "to", "of", "on", "for", "at", "in", "into", "and", "or", "with", "by"}
    | {"from", "its", "their", "his", "her", "as", "is", "are", "be"}
)
# An actor name in many articles (a country, a head of state) links each new article to its
# latest mentions only, so a common name costs a bounded number of comparisons.
_CANDIDATES_PER_NAME = 50
# An actor named in more of the articles than this share (and in more than a few) may be in
# many stories at once: sharing it says little about which story an article is in, so it
# counts only beside an actor named less often, or with another and a closely worded event.
_COMMON_SHARE = 0.02
_FEW_MENTIONS = 3
_SEED = 1
_SCHEME = "affine32"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class StoryActor:
    """An actor of an article's summary, as the grouping compares it."""

    identity: Identity
    person: bool = False
    actor_id: int | None = None
    """The archive's stable id: two actors that both have one are one exactly when it is equal."""

    @property
    def name(self) -> str:
        """The actor's name."""
        return self.identity.names[0]

    @classmethod
    def of(cls, actor: Actor, actor_id: int | None = None) -> StoryActor:
        """An actor of a summary, with its archive id if known."""
        return cls(Identity.of(actor), actor.type == "person", actor_id)


@dataclass(frozen=True)
class StoryArticle:
    """One summarised article as the grouping sees it.

    `story_id` is set for an article already in a story (one of an earlier day); the others
    are the new articles to place.
    """

    article_id: int
    day: dt.date
    signature: bytes | None = None
    actors: tuple[StoryActor, ...] = ()
    events: tuple[str, ...] = ()
    story_id: int | None = None
    copy_of: int | None = None

    @classmethod
    def of(
        cls,
        article_id: int,
        result: SummaryResult,
        *,
        day: dt.date,
        text: str | None = None,
        actor_ids: Mapping[str, int] | None = None,
        story_id: int | None = None,
        copy_of: int | None = None,
        signature: bytes | None = None,
    ) -> StoryArticle:
        """An article from its summary; `actor_ids` maps the summary's actor ids to archive ids.

        News outlets are left out of the actors: one that reports two stories does not make
        them one. The signature is computed from `text` unless given.
        """
        ids = actor_ids or {}
        summary = result.summary
        text = text if text is not None else result.article.text
        return cls(
            article_id=article_id,
            day=day,
            signature=signature or (minhash_signature(text) if text else None),
            actors=tuple(
                StoryActor.of(actor, ids.get(actor.id))
                for actor in summary.actors
                if actor.type != "media"
            ),
            events=tuple(event.what for event in summary.events),
            story_id=story_id,
            copy_of=copy_of,
        )


@dataclass
class Grouped:
    """A story the new articles belong to: an earlier one (`story_id`), or a new one (None)."""

    story_id: int | None
    article_ids: list[int]
    copy_of: dict[int, int] = field(default_factory=dict)
    """A new article that copies another (new or earlier) -> the article it copies."""
    shared_actors: list[str] = field(default_factory=list)


def minhash_signature(text: str) -> bytes:
    """The MinHash of a text's word shingles, as the archive stores it (`NUM_PERM` × 4 bytes)."""
    words = _WORD.findall(text.casefold())
    last = max(1, len(words) - SHINGLE_WORDS + 1)
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(last)}
    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    minhash.update_batch(list(shingles))
    return minhash.hashvalues.astype("<u4").tobytes()


def copy_similarity(a: bytes, b: bytes) -> float:
    """The estimated Jaccard similarity (0-1) of two texts' shingles, from their signatures."""
    return float(_lean(a).jaccard(_lean(b)))


def similar_wording(a: str, b: str) -> bool:
    """Whether two short descriptions (events, topics) say the same thing in close words."""
    return fuzz.token_sort_ratio(_content(a), _content(b)) >= SIMILAR_WORDING


def group(articles: Sequence[StoryArticle]) -> list[Grouped]:
    """Place the new articles (those without `story_id`) into stories.

    Articles are taken in the order given, earlier ones first: a copy points at the
    first article it copies. Returns one `Grouped` per story that has new articles, in the
    order of their first new article.
    """
    parent = list(range(len(articles)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def join(i: int, j: int) -> None:
        a, b = sorted((root(i), root(j)))
        parent[b] = a  # the earlier root stays, so a story is known by its first article

    copies = _copies(articles, join)
    shared = _relations(articles, join, root)
    members: dict[int, list[int]] = defaultdict(list)
    for index in range(len(articles)):
        members[root(index)].append(index)
    grouped = []
    for indexes in members.values():
        new = [i for i in indexes if articles[i].story_id is None]
        if not new:
            continue
        earlier = [s for s in (articles[i].story_id for i in indexes) if s is not None]
        grouped.append(
            Grouped(
                story_id=min(earlier, default=None),
                article_ids=[articles[i].article_id for i in new],
                copy_of={
                    articles[i].article_id: articles[copies[i]].article_id
                    for i in new
                    if i in copies
                },
                shared_actors=sorted(set().union(*(shared[i] for i in indexes))),
            )
        )
    return sorted(grouped, key=lambda g: min(_positions(articles, g.article_ids)))


def _positions(articles: Sequence[StoryArticle], ids: Iterable[int]) -> list[int]:
    wanted = set(ids)
    return [index for index, article in enumerate(articles) if article.article_id in wanted]


def _copies(articles: Sequence[StoryArticle], join: _Join) -> dict[int, int]:
    """New article index -> index of the original it copies; each copy joins its original."""
    lsh = MinHashLSH(threshold=COPY_THRESHOLD, num_perm=NUM_PERM)
    by_id = {article.article_id: index for index, article in enumerate(articles)}
    signatures: dict[int, LeanMinHash] = {}
    copies: dict[int, int] = {}
    for index, article in enumerate(articles):
        if article.signature is None:
            continue
        signature = signatures[index] = _lean(article.signature)
        if article.story_id is None:
            originals = [
                _original(articles, candidate, copies, by_id)
                for candidate in lsh.query(signature)
                if signature.jaccard(signatures[candidate]) >= COPY_THRESHOLD
            ]
            if originals:
                copies[index] = min(originals)
                join(index, copies[index])
        lsh.insert(index, signature)
    return copies


def _original(
    articles: Sequence[StoryArticle], index: int, copies: dict[int, int], by_id: dict[int, int]
) -> int:
    """The article a copy was copied from (itself if it is no copy)."""
    if index in copies:
        return copies[index]
    earlier = articles[index].copy_of
    return by_id.get(earlier, index) if earlier is not None else index


def _relations(
    articles: Sequence[StoryArticle], join: _Join, root: _Root
) -> defaultdict[int, set[str]]:
    """Join related articles; returns each article's actors that related it to another."""
    postings: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    shared: defaultdict[int, set[str]] = defaultdict(set)
    mentions = Counter(
        key for article in articles for key in set().union(*map(_stored_keys, article.actors))
    )
    limit = max(_FEW_MENTIONS, _COMMON_SHARE * len(articles))

    def rare(actor: StoryActor) -> bool:
        return min((mentions[key] for key in _stored_keys(actor)), default=0) <= limit

    for index, article in enumerate(articles):
        candidates: defaultdict[int, set[tuple[int, int]]] = defaultdict(set)
        for mine, actor in enumerate(article.actors):
            for key in _keys(actor, stored=False):
                for other, theirs in postings[key][-_CANDIDATES_PER_NAME:]:
                    candidates[other].add((mine, theirs))
        for mine, actor in enumerate(article.actors):
            for key in _stored_keys(actor):
                postings[key].append((index, mine))
        for other, pairs in candidates.items():
            them = articles[other]
            if article.story_id is not None and them.story_id is not None:
                continue  # earlier stories are not regrouped
            if abs((article.day - them.day).days) > WINDOW_DAYS or root(other) == root(index):
                continue
            names = _shared_names(article, them, pairs, rare)
            if names:
                join(index, other)
                shared[index].update(names)
                shared[other].update(names)
    return shared


def _shared_names(
    a: StoryArticle,
    b: StoryArticle,
    pairs: set[tuple[int, int]],
    rare: Callable[[StoryActor], bool],
) -> list[str]:
    """The actors two articles share, if that makes them one story; else []."""
    matched = [(a.actors[i], b.actors[j]) for i, j in pairs if _same(a.actors[i], b.actors[j])]
    if not matched:
        return []
    # The fuller of the two names: "Tomas Reyes", not "Reyes".
    names = sorted({max(x.name, y.name, key=len) for x, y in matched})
    telling = [(x, y) for x, y in matched if rare(x) and rare(y)]
    if len({x.name for x, _ in telling}) >= 2 or any(x.person and y.person for x, y in telling):
        return names
    # One actor, or only actors named everywhere (two of them), and the same event.
    if (telling or len(names) >= 2) and any(
        similar_wording(x, y) for x in a.events for y in b.events
    ):
        return names
    return []


def _same(x: StoryActor, y: StoryActor) -> bool:
    if x.actor_id is not None and y.actor_id is not None:
        return x.actor_id == y.actor_id
    return same_actor(x.identity, y.identity)


def _stored_keys(actor: StoryActor) -> set[str]:
    return _keys(actor, stored=True)


def _keys(actor: StoryActor, *, stored: bool) -> set[str]:
    """Index keys of an actor: its archive id and `identity.name_keys` (stored or looked up)."""
    keys = name_keys(actor.identity, stored=stored)
    return keys | {f"#{actor.actor_id}"} if actor.actor_id is not None else keys


def _lean(signature: bytes) -> LeanMinHash:
    values = np.frombuffer(signature, dtype="<u4")
    return LeanMinHash(seed=_SEED, hashvalues=values, scheme=_SCHEME)


def _content(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text.casefold()) if w not in _FUNCTION_WORDS)
