"""Stable actor ids: a summary's actors resolved to the archive's, and the user's alias edits.

Whether two actors are one is decided by `summarizer.identity` alone: each stored actor is
the Identity of its name and aliases, and `identity.match` picks the one a new actor is.
This module keeps the aliases (a user's edits are never overwritten by matching) and an
in-memory index of them, so that resolving an actor compares it with a few stored actors,
not all of them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ..errors import InputError
from ..identity import Identity, match, name_keys, normalize_name
from ..schema import Actor
from .db import Archive

_INDEX = "actors.index"


def now() -> str:
    """The current UTC time as the archive stores it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class _Stored:
    name: str
    type: str | None
    aliases: list[str] = field(default_factory=list)
    _identity: Identity | None = None

    def identity(self) -> Identity:
        if self._identity is None:  # built once per change of its names
            self._identity = Identity((self.name, *self.aliases), self.type)
        return self._identity

    def add_alias(self, alias: str) -> None:
        self.aliases.append(alias)
        self._identity = None


class ActorIndex:
    """The archive's actors and aliases in memory, kept in step with what it writes.

    Another connection's commit (a `summarizer archive merge` in another process) is seen
    by `PRAGMA data_version`, and the index is then reloaded.
    """

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.actors: dict[int, _Stored] = {}
        self.owner: dict[str, int] = {}  # alias -> actor id
        self.splits: dict[str, set[int]] = defaultdict(set)
        self.keys: dict[str, set[int]] = defaultdict(set)
        self._version = 0
        self._load()

    @classmethod
    def of(cls, archive: Archive) -> ActorIndex:
        """The archive's index, loaded on first use and reloaded after another's commit."""
        index = archive.memo.get(_INDEX)
        if not isinstance(index, ActorIndex) or index._version != _data_version(archive):
            index = cls(archive)
            archive.memo[_INDEX] = index
        return index

    def _load(self) -> None:
        self._version = _data_version(self.archive)
        for row in self.archive.rows(
            "SELECT id, name, type FROM actors WHERE merged_into IS NULL ORDER BY id"
        ):
            self.actors[row["id"]] = _Stored(row["name"], row["type"])
        for row in self.archive.rows("SELECT alias, actor_id FROM actor_aliases ORDER BY rowid"):
            self._note_alias(row["alias"], row["actor_id"])
        for row in self.archive.rows("SELECT alias, actor_id FROM actor_splits"):
            self.splits[row["alias"]].add(row["actor_id"])
        for actor_id, stored in self.actors.items():
            self._key(actor_id, stored)

    def _note_alias(self, alias: str, actor_id: int) -> None:
        self.owner[alias] = actor_id
        stored = self.actors.get(actor_id)
        if stored is not None and alias != normalize_name(stored.name):
            stored.add_alias(alias)

    def _key(self, actor_id: int, stored: _Stored) -> None:
        for key in name_keys(stored.identity(), stored=True):
            self.keys[key].add(actor_id)

    def resolve(self, actor: Actor) -> int:
        """The archive id of a summary's actor: a stored actor it is, else a new one.

        Inside the caller's transaction. Its names not yet anyone's alias become aliases of
        the actor it resolved to, unless the user split that name away from it.
        """
        identity = Identity.of(actor)
        name = normalize_name(actor.name)
        barred = self.splits.get(name, set())
        candidates = {
            actor_id: self.actors[actor_id].identity()
            for key in name_keys(identity)
            for actor_id in self.keys.get(key, ())
            if actor_id not in barred and actor_id in self.actors
        }
        found = match(identity, candidates)
        if found is None:
            found = self._create(actor.name, actor.type)
        self._add_aliases(found, [actor.name, *actor.aliases])
        return found

    def _create(self, name: str, type_: str | None) -> int:
        actor_id = self.archive.execute(
            "INSERT INTO actors (name, type, created) VALUES (?, ?, ?)", (name, type_, now())
        )
        self.actors[actor_id] = _Stored(name, type_)
        return actor_id

    def _add_aliases(self, actor_id: int, names: list[str]) -> None:
        added = False
        for written in names:
            alias = normalize_name(written)
            if not alias or alias in self.owner or actor_id in self.splits.get(alias, ()):
                continue
            self.archive.execute(
                "INSERT INTO actor_aliases (alias, actor_id, name, source, created) "
                "VALUES (?, ?, ?, 'seen', ?)",
                (alias, actor_id, written, now()),
            )
            self._note_alias(alias, actor_id)
            added = True
        if added:
            self._key(actor_id, self.actors[actor_id])

    def forget(self) -> None:
        """Drop the index: the next use reloads it (after a user's edit)."""
        self.archive.memo.pop(_INDEX, None)


def _data_version(archive: Archive) -> int:
    return int(archive.value("PRAGMA data_version") or 0)


def find_actor(archive: Archive, reference: str) -> int:
    """The actor a user names, by id, name or alias; InputError if none or several."""
    if reference.isdigit():
        row = archive.row("SELECT id, merged_into FROM actors WHERE id = ?", (int(reference),))
        if row is None:
            raise InputError(f"no actor {reference} in the archive")
        return int(row["merged_into"] or row["id"])
    alias = normalize_name(reference)
    owner = archive.value("SELECT actor_id FROM actor_aliases WHERE alias = ?", (alias,))
    if owner is not None:
        return int(owner)
    found = match(Identity.named([reference]), {k: v.identity() for k, v in _all(archive).items()})
    if found is None:
        raise InputError(
            f"no single actor named {reference!r} in the archive (see `archive actors`)"
        )
    return found


def _all(archive: Archive) -> dict[int, _Stored]:
    return ActorIndex.of(archive).actors


def merge(archive: Archive, keep: str, other: str) -> int:
    """Make `other` the same actor as `keep`: its aliases, mentions and items move over.

    The moved aliases become the user's, so matching never separates them again; `other`'s
    id stays, pointing to `keep` (`merged_into`). Returns `keep`'s id.
    """
    kept, gone = find_actor(archive, keep), find_actor(archive, other)
    if kept == gone:
        raise InputError(f"{keep!r} and {other!r} are already one actor ({kept})")
    with archive.transaction():
        archive.execute(
            "UPDATE actor_aliases SET actor_id = ?, source = 'user' WHERE actor_id = ?",
            (kept, gone),
        )
        archive.execute(
            "DELETE FROM actor_splits WHERE actor_id = ? AND alias IN "
            "(SELECT alias FROM actor_aliases WHERE actor_id = ?)",
            (kept, kept),
        )
        archive.execute("UPDATE actor_splits SET actor_id = ? WHERE actor_id = ?", (kept, gone))
        _move_mentions(archive, gone, kept)
        archive.execute("UPDATE actors SET merged_into = ? WHERE merged_into = ?", (kept, gone))
        archive.execute("UPDATE actors SET merged_into = ? WHERE id = ?", (kept, gone))
        ActorIndex.of(archive).forget()
    return kept


def split(archive: Archive, actor: str, name: str) -> int:
    """Make `name` an actor of its own, apart from `actor`, for past and future summaries.

    The summaries that named the actor `name` now point to the new actor; the alias is the
    user's, and matching never joins `name` to `actor` again. Returns the new actor's id.
    """
    from_id = find_actor(archive, actor)
    alias = normalize_name(name)
    owner = archive.value("SELECT actor_id FROM actor_aliases WHERE alias = ?", (alias,))
    if owner != from_id:
        raise InputError(
            f"{name!r} is not a name of actor {from_id} (see `archive actor {from_id}`)"
        )
    with archive.transaction():
        kind = archive.value("SELECT type FROM actors WHERE id = ?", (from_id,))
        if (
            normalize_name(archive.value("SELECT name FROM actors WHERE id = ?", (from_id,)))
            == alias
        ):
            raise InputError(f"{name!r} is the actor's own name; merge or rename instead")
        new_id = archive.execute(
            "INSERT INTO actors (name, type, created) VALUES (?, ?, ?)", (name, kind, now())
        )
        archive.execute(
            "UPDATE actor_aliases SET actor_id = ?, source = 'user' WHERE alias = ?",
            (new_id, alias),
        )
        archive.execute(
            "INSERT OR IGNORE INTO actor_splits (alias, actor_id, created) VALUES (?, ?, ?)",
            (alias, from_id, now()),
        )
        named = [
            (row["summary_id"], row["local_id"])
            for row in archive.rows(
                "SELECT summary_id, local_id, name FROM summary_actors WHERE actor_id = ?",
                (from_id,),
            )
            if normalize_name(row["name"]) == alias
        ]
        for summary_id, local_id in named:
            archive.execute(
                "UPDATE summary_actors SET actor_id = ? WHERE summary_id = ? AND local_id = ?",
                (new_id, summary_id, local_id),
            )
        ActorIndex.of(archive).forget()
    from .record import reindex

    for summary_id in sorted({summary_id for summary_id, _ in named}):
        reindex(archive, summary_id)
    return new_id


def _move_mentions(archive: Archive, old: int, new: int) -> None:
    """Point every mention of actor `old` to `new`."""
    for table, column in (
        ("summary_actors", "actor_id"),
        ("positions", "actor_id"),
        ("demands", "by_actor_id"),
        ("demands", "of_actor_id"),
    ):
        archive.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new, old))
    archive.execute("UPDATE OR IGNORE event_actors SET actor_id = ? WHERE actor_id = ?", (new, old))
    archive.execute("DELETE FROM event_actors WHERE actor_id = ?", (old,))
