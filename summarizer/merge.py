"""Merging the summaries of a long article's parts into one summary."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from itertools import chain, zip_longest
from typing import TypeVar

from .identity import Identity, normalize_name, same_actor
from .schema import Actor, ArticleSummary

T = TypeVar("T")


def _label(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def merge_summaries(parts: list[ArticleSummary]) -> ArticleSummary:
    """One summary: the same actor in several parts listed once, everything else concatenated."""
    if len(parts) == 1:
        return parts[0]
    actors: list[Actor] = []
    identities: list[Identity] = []
    taken_ids: set[str] = set()
    renames: list[dict[str, str]] = []
    for part in parts:
        rename: dict[str, str] = {}
        for actor in part.actors:
            identity = Identity.of(actor)
            index = next((i for i, k in enumerate(identities) if same_actor(k, identity)), None)
            if index is None:
                known = actor.model_copy(deep=True)
                known.id = _unique(actor.id, taken_ids)
                actors.append(known)
                identities.append(identity)
            else:
                known = actors[index]
                had = {normalize_name(name) for name in (known.name, *known.aliases)}
                new = [n for n in (actor.name, *actor.aliases) if normalize_name(n) not in had]
                known.aliases.extend(new)
                known.role = known.role or actor.role
                known.affiliation = known.affiliation or actor.affiliation
                identities[index] = Identity.of(known)
            taken_ids.add(known.id)
            rename[actor.id] = known.id
        renames.append(rename)

    def remapped(part_index: int, actor_id: str) -> str:
        return renames[part_index].get(actor_id, actor_id)

    positions, demands, events = [], [], []
    for index, part in enumerate(parts):
        for position in part.positions:
            positions.append(
                position.model_copy(update={"actor": remapped(index, position.actor)}, deep=True)
            )
        for demand in part.demands:
            demands.append(
                demand.model_copy(
                    update={
                        "by": remapped(index, demand.by),
                        "of": remapped(index, demand.of) if demand.of else None,
                    },
                    deep=True,
                )
            )
        for event in part.events:
            events.append(
                event.model_copy(
                    update={
                        "participants": list(
                            dict.fromkeys(remapped(index, p) for p in event.participants)
                        )
                    },
                    deep=True,
                )
            )
    key_points = [p for p in chain.from_iterable(zip_longest(*(p.key_points for p in parts))) if p]
    return ArticleSummary(
        summary=" ".join(part.summary for part in parts),
        key_points=list(dict.fromkeys(key_points))[:7],
        actors=actors,
        events=events,
        positions=positions,
        demands=demands,
    )


def _unique(actor_id: str, taken: set[str]) -> str:
    candidate, number = actor_id, 2
    while candidate in taken:
        candidate, number = f"{actor_id}_{number}", number + 1
    return candidate


def drop_repeats(summary: ArticleSummary) -> ArticleSummary:
    """Remove items a model listed twice (small models loop); the first occurrence stays."""

    def unique(items: list[T], key: Callable[[T], Hashable]) -> list[T]:
        seen: set[Hashable] = set()
        kept: list[T] = []
        for item in items:
            signature = key(item)
            if signature not in seen:
                seen.add(signature)
                kept.append(item)
        return kept

    summary.events = unique(summary.events, lambda e: (_label(e.what), e.status, e.when))
    summary.positions = unique(summary.positions, lambda p: (p.actor, _label(p.stance)))
    summary.demands = unique(summary.demands, lambda d: (d.by, d.of, _label(d.what)))
    summary.key_points = unique(summary.key_points, _label)
    return summary
