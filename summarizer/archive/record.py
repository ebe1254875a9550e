"""Recording a summary: its article, provenance, cost, actors (stable ids) and items.

A summary is recorded in one transaction: the article row (found by its text's hash, or
added), the summary row with its tokens and cost, its actors resolved to archive ids, and
its positions, events and demands indexed for timelines and full-text search.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from ..articles import content_hash
from ..pricing import Price, price_of
from ..schema import ArticleSummary, Evidence, SummaryResult
from .actors import ActorIndex, now
from .db import Archive

Origin = Literal["cli", "api", "digest"]


def open_archive(path: Path | None = None, busy_timeout: float | None = None) -> Archive:
    """Open and migrate the archive (default: the user's), indexing what a migration moved in.

    Summaries moved from an old digest database get their actors, items and cost here.
    """
    archive = Archive.open(path) if busy_timeout is None else Archive.open(path, busy_timeout)
    if archive.migrated_from < 2 <= archive.version:
        backfill(archive)
    return archive


def record(
    archive: Archive,
    result: SummaryResult,
    *,
    origin: Origin,
    strategy: str | None = None,
    input_name: str | None = None,
    article_id: int | None = None,
    prices: Mapping[str, Price] | None = None,
) -> int:
    """Record one summary and return its id.

    Args:
        archive: The archive to write to.
        result: The summary.
        origin: Who asked for it: `cli`, `api` or `digest`.
        strategy: The settings' strategy (`one-call`, `staged`).
        input_name: What the CLI was given (a file path, `-`), kept with a new article.
        article_id: The article's row, when the caller has one (the digest); otherwise it
            is found by the text's hash or added.
        prices: The price table (default: `pricing.price_table()`, read from the config).

    """
    created = result.provenance.created.astimezone(dt.UTC).isoformat(timespec="seconds")
    day = _day(result)
    try:
        with archive.transaction():
            if article_id is None:
                article_id = _article(archive, result, origin, input_name)
            summary_id = _insert_summary(
                archive, result, article_id, origin, strategy, created, day, prices
            )
            archive.execute(
                "UPDATE articles SET summary_id = ?, summarised_at = ?, status = CASE "
                "WHEN status IN ('new', 'failed') OR origin != 'digest' THEN 'summarised' "
                "ELSE status END WHERE id = ?",
                (summary_id, created, article_id),
            )
            _index(
                archive,
                summary_id,
                result.summary,
                day,
                _resolve_actors(archive, summary_id, result.summary),
            )
    except BaseException:
        ActorIndex.of(archive).forget()  # it may hold actors the rollback removed
        raise
    return summary_id


def _day(result: SummaryResult) -> str:
    published = result.article.published
    return (published or result.provenance.created.astimezone(dt.UTC).date()).isoformat()


def _article(
    archive: Archive, result: SummaryResult, origin: Origin, input_name: str | None
) -> int:
    info = result.article
    text = info.text or ""
    digest = content_hash(text) if text else f"input:{result.provenance.input_hash}"
    found = archive.value("SELECT id FROM articles WHERE content_hash = ?", (digest,))
    if found is not None:
        return int(found)
    article_id = archive.execute(
        "INSERT INTO articles (url, content_hash, title, source, published, text, first_seen, "
        "origin, input, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'summarised')",
        (
            info.url,
            digest,
            info.title,
            info.source,
            info.published.isoformat() if info.published else None,
            text,
            now(),
            origin,
            input_name,
        ),
    )
    if info.url:
        archive.execute(
            "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
            (info.url, article_id),
        )
    return article_id


def costs(
    result: SummaryResult, prices: Mapping[str, Price] | None = None
) -> tuple[float | None, float | None]:
    """(dollars spent, dollars the cache saved); both None when the model has no known price.

    A cache hit spent nothing and saved what its recorded tokens cost; a summary only partly
    answered by the cache is counted as spent in full.
    """
    provenance = result.provenance
    price = price_of(provenance.model, prices)
    if price is None:
        return None, None
    cost = price.cost(provenance.usage)
    return (0.0, cost) if provenance.cache_hit else (cost, 0.0)


def _insert_summary(
    archive: Archive,
    result: SummaryResult,
    article_id: int,
    origin: Origin,
    strategy: str | None,
    created: str,
    day: str,
    prices: Mapping[str, Price] | None,
) -> int:
    p = result.provenance
    cost, saved = costs(result, prices)
    stored = result.model_copy(update={"article": result.article.model_copy(update={"text": None})})
    return archive.execute(
        "INSERT INTO summaries (article_id, created, day, origin, backend, model, strategy, "
        "prompt_hash, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, calls, "
        "reasks, parts, cache_hit, cost_usd, saved_usd, seconds, result) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            article_id,
            created,
            day,
            origin,
            p.backend,
            p.model,
            strategy,
            p.prompt_hash,
            p.usage.prompt_tokens,
            p.usage.completion_tokens,
            p.usage.cached_tokens,
            p.usage.reasoning_tokens,
            p.attempts,
            p.reasks,
            p.parts,
            int(p.cache_hit),
            cost,
            saved,
            p.seconds,
            stored.model_dump_json(),
        ),
    )


def _resolve_actors(archive: Archive, summary_id: int, summary: ArticleSummary) -> dict[str, int]:
    """Each of the summary's actors resolved to an archive id, noted in summary_actors."""
    index = ActorIndex.of(archive)
    ids: dict[str, int] = {}
    for actor in summary.actors:
        ids[actor.id] = index.resolve(actor)
        archive.execute(
            "INSERT OR IGNORE INTO summary_actors (summary_id, local_id, actor_id, name, type, "
            "role) VALUES (?, ?, ?, ?, ?, ?)",
            (summary_id, actor.id, ids[actor.id], actor.name, actor.type, actor.role),
        )
    return ids


def _quote(evidence: list[Evidence]) -> str | None:
    return evidence[0].quote if evidence else None


def _index(
    archive: Archive, summary_id: int, summary: ArticleSummary, day: str, ids: Mapping[str, int]
) -> None:
    """The summary's positions, events, demands and searchable text."""
    names = {actor.id: actor.name for actor in summary.actors}
    search: list[tuple[str, str, int]] = [(summary.summary, "summary", summary_id)]
    search += [(point, "key_point", summary_id) for point in summary.key_points]
    for position in summary.positions:
        archive.execute(
            "INSERT INTO positions (summary_id, actor_id, actor, topic, stance, quote, "
            "grounded, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                summary_id,
                ids.get(position.actor),
                names.get(position.actor, position.actor),
                position.topic,
                position.stance,
                _quote(position.evidence),
                position.grounded,
                day,
            ),
        )
        text = f"{names.get(position.actor, position.actor)} on {position.topic}: {position.stance}"
        search.append(
            (" ".join([text, *(e.quote for e in position.evidence)]), "position", summary_id)
        )
    for event in summary.events:
        event_id = archive.execute(
            "INSERT INTO events (summary_id, what, category, status, day, dated, place, quote, "
            "grounded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                summary_id,
                event.what,
                event.category,
                event.status,
                event.date.isoformat() if event.date else day,
                int(event.date is not None),
                event.where,
                _quote(event.evidence),
                event.grounded,
            ),
        )
        archive.executemany(
            "INSERT OR IGNORE INTO event_actors (event_id, actor_id) VALUES (?, ?)",
            [(event_id, ids[p]) for p in event.participants if p in ids],
        )
        search.append(
            (" ".join([event.what, *(e.quote for e in event.evidence)]), "event", summary_id)
        )
    for demand in summary.demands:
        archive.execute(
            "INSERT INTO demands (summary_id, by_actor_id, of_actor_id, by_actor, of_actor, what, "
            "conditions, quote, grounded, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                summary_id,
                ids.get(demand.by),
                ids.get(demand.of) if demand.of else None,
                names.get(demand.by, demand.by),
                names.get(demand.of, demand.of) if demand.of else None,
                demand.what,
                demand.conditions,
                _quote(demand.evidence),
                demand.grounded,
                day,
            ),
        )
        search.append(
            (" ".join([demand.what, *(e.quote for e in demand.evidence)]), "demand", summary_id)
        )
    archive.executemany(
        "INSERT INTO summary_search (text, kind, summary_id) VALUES (?, ?, ?)", search
    )


def load_result(archive: Archive, summary_id: int) -> SummaryResult:
    """A recorded summary, its article text put back."""
    row = archive.row(
        "SELECT s.result, a.text FROM summaries s JOIN articles a ON a.id = s.article_id "
        "WHERE s.id = ?",
        (summary_id,),
    )
    if row is None:
        raise KeyError(summary_id)
    result = SummaryResult.model_validate_json(row["result"])
    result.article.text = row["text"]
    return result


def reindex(archive: Archive, summary_id: int) -> None:
    """Rebuild a summary's items from its stored result, with its actors' current ids.

    A summary with no actors resolved yet (moved in by a migration) gets them resolved.
    """
    result = load_result(archive, summary_id)
    with archive.transaction():
        for table in ("positions", "demands", "summary_search"):
            archive.execute(f"DELETE FROM {table} WHERE summary_id = ?", (summary_id,))
        archive.execute(
            "DELETE FROM event_actors WHERE event_id IN "
            "(SELECT id FROM events WHERE summary_id = ?)",
            (summary_id,),
        )
        archive.execute("DELETE FROM events WHERE summary_id = ?", (summary_id,))
        ids = {
            row["local_id"]: row["actor_id"]
            for row in archive.rows(
                "SELECT local_id, actor_id FROM summary_actors WHERE summary_id = ?", (summary_id,)
            )
        }
        if not ids:
            ids = _resolve_actors(archive, summary_id, result.summary)
        day = archive.value("SELECT day FROM summaries WHERE id = ?", (summary_id,))
        _index(archive, summary_id, result.summary, day, ids)


def backfill(archive: Archive) -> None:
    """Index and price the summaries a migration moved in (all there are, just after it)."""
    for row in archive.rows("SELECT id FROM summaries ORDER BY id"):
        reindex(archive, row["id"])
        cost, saved = costs(load_result(archive, row["id"]))
        archive.execute(
            "UPDATE summaries SET cost_usd = ?, saved_usd = ? WHERE id = ?",
            (cost, saved, row["id"]),
        )
