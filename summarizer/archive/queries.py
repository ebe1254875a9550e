"""Looking back: the archive's actors, an actor's timeline, text search, summaries, the ledger.

Each query is one or a few indexed SQL statements, fast on a large archive
(benchmarks/archive.py times them); each returns Pydantic models, ready for JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from .actors import find_actor
from .db import Archive

LedgerBy = Literal["article", "day", "digest"]


class ActorCount(BaseModel):
    """An actor and how often the archive's summaries name it."""

    id: int = Field(description="The actor's stable archive id.")
    name: str
    type: str | None = None
    wikidata_id: str | None = None
    summaries: int = Field(description="Summaries that list the actor.")
    first_day: str | None = Field(default=None, description="Earliest article day naming it.")
    last_day: str | None = Field(default=None, description="Latest article day naming it.")


class TimelineItem(BaseModel):
    """One thing an actor said or did, on a day."""

    day: str = Field(description="The article's day (an event's own date when it has one).")
    kind: Literal["position", "event", "demand"]
    text: str = Field(description="`topic: stance`, the event, or the demand.")
    quote: str | None = None
    summary_id: int
    title: str | None = Field(default=None, description="The article's title.")


class ActorTimeline(BaseModel):
    """An actor, its names, and what it said and did, day by day (oldest first)."""

    actor: ActorCount
    aliases: list[str] = Field(description="Its names as first written, the user's included.")
    items: list[TimelineItem]


class SearchHit(BaseModel):
    """A passage of a summary that matches a full-text search."""

    summary_id: int
    article_id: int
    day: str
    title: str | None
    kind: str = Field(description="summary, key_point, position, event or demand.")
    snippet: str = Field(description="The matching text, the matched words in [brackets].")


class SummaryRow(BaseModel):
    """A recorded summary, briefly."""

    id: int
    article_id: int
    day: str
    created: str
    origin: str
    model: str
    title: str | None
    source: str | None = Field(description="The article's URL, or what the CLI was given.")
    summary: str


class LedgerRow(BaseModel):
    """Tokens and dollars of the summaries of one article, day or digest."""

    key: str = Field(description="The article id, the day (YYYY-MM-DD) or the digest id.")
    label: str | None = Field(default=None, description="The article's or digest's title.")
    summaries: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    calls: int = Field(description="Model requests, re-asks and cache hits included.")
    reasks: int = Field(description="Requests that asked again after an invalid answer.")
    cache_hits: int = Field(description="Summaries answered wholly by the response cache.")
    cost_usd: float = Field(description="Estimated dollars spent (priced summaries only).")
    unpriced: int = Field(description="Summaries by a model without a known price.")
    saved_usd: float = Field(description="What the cache saved, at the models' prices.")


def top_actors(archive: Archive, *, limit: int = 50, name: str | None = None) -> list[ActorCount]:
    """The actors most often named, with counts; `name` keeps those with an alias containing it."""
    where, parameters = "", []
    if name:
        where = "WHERE actor_id IN (SELECT actor_id FROM actor_aliases WHERE alias LIKE ?)"
        parameters.append(f"%{_normal(name)}%")
    # Counted on summary_actors' index alone, then the days of the few actors kept: reading
    # every summary row for its day would cost more than all the rest.
    top = archive.rows(
        "SELECT sa.actor_id, count(*) AS summaries FROM summary_actors sa "
        f"JOIN actors a ON a.id = sa.actor_id AND a.merged_into IS NULL {where} "
        "GROUP BY sa.actor_id ORDER BY summaries DESC, sa.actor_id LIMIT ?",
        (*parameters, limit),
    )
    return [_actor_count(archive, row["actor_id"]) for row in top]


def _actor_count(archive: Archive, actor_id: int) -> ActorCount:
    row = archive.row(
        "SELECT a.id, a.name, a.type, a.wikidata_id, count(sa.summary_id) AS summaries, "
        "min(s.day) AS first_day, max(s.day) AS last_day FROM actors a "
        "LEFT JOIN summary_actors sa ON sa.actor_id = a.id "
        "LEFT JOIN summaries s ON s.id = sa.summary_id WHERE a.id = ? GROUP BY a.id",
        (actor_id,),
    )
    assert row is not None  # an id the archive gave
    return ActorCount(**dict(row))


def actor_timeline(archive: Archive, reference: str) -> ActorTimeline:
    """An actor (by id, name or alias) and its positions, events and demands by day."""
    actor_id = find_actor(archive, reference)
    aliases = [
        r["name"]
        for r in archive.rows(
            "SELECT name FROM actor_aliases WHERE actor_id = ? ORDER BY rowid",
            (actor_id,),
        )
    ]
    items = archive.rows(
        "SELECT p.day, 'position' AS kind, p.topic || ': ' || p.stance AS text, p.quote, "
        "p.summary_id, a.title FROM positions p JOIN summaries s ON s.id = p.summary_id "
        "JOIN articles a ON a.id = s.article_id WHERE p.actor_id = :actor "
        "UNION ALL SELECT e.day, 'event', e.what, e.quote, e.summary_id, a.title "
        "FROM event_actors ea JOIN events e ON e.id = ea.event_id "
        "JOIN summaries s ON s.id = e.summary_id JOIN articles a ON a.id = s.article_id "
        "WHERE ea.actor_id = :actor "
        "UNION ALL SELECT d.day, 'demand', d.what, d.quote, d.summary_id, a.title "
        "FROM demands d JOIN summaries s ON s.id = d.summary_id "
        "JOIN articles a ON a.id = s.article_id WHERE d.by_actor_id = :actor "
        "ORDER BY 1, 5, 2",
        {"actor": actor_id},
    )
    return ActorTimeline(
        actor=_actor_count(archive, actor_id),
        aliases=aliases,
        items=[TimelineItem(**dict(item)) for item in items],
    )


def search(archive: Archive, text: str, *, limit: int = 20) -> list[SearchHit]:
    """Summaries' passages matching `text` (words, all of them, in any order), best first."""
    words = re.findall(r"\w+", text)
    if not words:
        return []
    query = " ".join(f'"{word}"' for word in words)  # quoted: no FTS5 syntax from the user
    rows = archive.rows(
        "SELECT f.summary_id, s.article_id, s.day, a.title, f.kind, "
        "snippet(summary_search, 0, '[', ']', '…', 16) AS snippet "
        "FROM summary_search f JOIN summaries s ON s.id = f.summary_id "
        "JOIN articles a ON a.id = s.article_id "
        "WHERE summary_search MATCH ? ORDER BY f.rank LIMIT ?",
        (query, limit),
    )
    return [SearchHit(**dict(row)) for row in rows]


def summaries(archive: Archive, *, day: dt.date | None = None, limit: int = 50) -> list[SummaryRow]:
    """The latest summaries, or those of articles of one day."""
    where, parameters = ("WHERE s.day = ?", [day.isoformat()]) if day else ("", [])
    rows = archive.rows(
        "SELECT s.id, s.article_id, s.day, s.created, s.origin, s.model, a.title, "
        "coalesce(a.url, a.input) AS source, json_extract(s.result, '$.summary.summary') "
        f"AS summary FROM summaries s JOIN articles a ON a.id = s.article_id {where} "
        "ORDER BY s.id DESC LIMIT ?",
        (*parameters, limit),
    )
    return [SummaryRow(**dict(row)) for row in rows]


_LEDGER = {
    "article": ("ledger_by_article", "article_id", "title", "article_id DESC"),
    "day": ("ledger_by_day", "day", "NULL", "day DESC"),
    "digest": ("ledger_by_digest", "digest_id", "subject", "digest_id DESC"),
}


def costs(archive: Archive, by: LedgerBy = "day", *, limit: int = 100) -> list[LedgerRow]:
    """The ledger per article, day or digest, latest first (the `ledger_by_*` views)."""
    view, key, label, order = _LEDGER[by]
    rows = archive.rows(
        f"SELECT CAST({key} AS TEXT) AS key, {label} AS label, summaries, prompt_tokens, "
        "completion_tokens, cached_tokens, reasoning_tokens, calls, coalesce(reasks, 0) AS "
        "reasks, cache_hits, coalesce(cost_usd, 0) AS cost_usd, unpriced, coalesce(saved_usd, "
        f"0) AS saved_usd FROM {view} ORDER BY {order} LIMIT ?",
        (limit,),
    )
    return [LedgerRow(**dict(row)) for row in rows]


def _normal(name: str) -> str:
    from ..identity import normalize_name

    return normalize_name(name)
