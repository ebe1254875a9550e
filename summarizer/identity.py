"""Whether two actors are the same: one rule for references, merges, the digest and scoring.

Two names are the same actor when, after normalising (case, punctuation, a possessive, a
leading "the"):

- they are equal (`The Kremlin`, `Kremlin`);
- the words of one are all in the other, they include its head word (the last word, or the
  last before "of", "in", "for", "at") and one distinctive word (not a generic word such as
  "forces" or "council"): `Putin` and `Vladimir Putin`, `Elena Marsh` and `Mayor Elena
  Marsh`, `Competition Authority` and `Competition Authority of Halvard`, but not `Trump` and
  `Trump administration`, `United Nations` and `United Nations Security Council`, nor
  `forces` and `Russian forces`;
- or they are spelling variants (`Zelensky`, `Zelenskyy`; not `Hanna Voss`, `Hanna Ross`),
  unless the two actors are known to be of different types ("other" and an unknown type
  are compatible with any).

The types are not compared for the first two: a small model mislabels them. Two actors are
the same when any name of one is the same as any of the other's: its name, its aliases, and
a person's role followed by the name ("Mayor Elena Marsh"); but a one-word name does not
join two actors whose names of two words or more differ.

The archive (summarizer/archive/actors.py) keeps stable actor ids: each stored actor is an
Identity of its name and every alias in its alias table, and `match` picks the stored actor
a summary's actor is, by these same rules; `name_keys` narrows the stored actors to those
that can match before any is compared. A user's alias edit decides before these rules do.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from rapidfuzz import fuzz

if TYPE_CHECKING:
    from .schema import Actor

# Names at least this similar (0-100) are the same actor: rapidfuzz's ratio for spelling
# variants, fixed scores for an equal name and a contained one.
SAME_ACTOR = 92.0
_EQUAL = 100.0
_CONTAINED = 95.0
# Words too common to identify an actor on their own ("Russian forces" is not "forces").
GENERIC_WORDS = frozenset(
    {
        "the",
        "of",
        "and",
        "a",
        "an",
        "forces",
        "force",
        "government",
        "president",
        "minister",
        "ministry",
        "council",
        "union",
        "group",
        "people",
        "party",
        "officials",
        "official",
        "police",
        "army",
        "military",
        "state",
        "states",
        "city",
        "province",
        "region",
        "court",
        "spokesperson",
        "leader",
        "troops",
        # The head nouns of organisations' names ("the federation" is no one in particular).
        "federation",
        "association",
        "authority",
        "commission",
        "committee",
        "agency",
        "board",
        "office",
        "league",
        "company",
        "department",
        "administration",
        "coalition",
        "alliance",
        "organisation",
        "organization",
        "institute",
        "service",
        "bureau",
    }
)
# Words after which a name's head has been said: "Ministry of Defence", "Farmers in Alden".
_AFTER_HEAD = frozenset({"of", "in", "for", "at"})
_UNKNOWN_TYPES = frozenset({None, "other"})
_PUNCTUATION = re.compile(r"[^\w\s]")
# Letters of a word that key it in `name_keys`: spelling variants (`Zelensky`, `Zelenskyy`)
# differ after them.
_KEY_LETTERS = 4
K = TypeVar("K", bound=Hashable)


def normalize_name(name: str) -> str:
    """Lower case, no punctuation or possessive, no leading "the": `The Kremlin's` -> `kremlin`."""
    text = name.casefold().replace("’", "'")
    text = _PUNCTUATION.sub(" ", re.sub(r"'s\b", "", text))
    words = text.split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Identity:
    """What an actor is known by: its names (the first is its name) and its type, if known."""

    names: tuple[str, ...]
    type: str | None = None
    _normalized: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        normalized = (normalize_name(name) for name in self.names)
        object.__setattr__(self, "_normalized", tuple(dict.fromkeys(n for n in normalized if n)))

    @classmethod
    def of(cls, actor: Actor) -> Identity:
        """An actor of a summary: its name, aliases and, for a person, the titled name.

        News style puts a person's title before the name ("Russian President Vladimir
        Putin"), so "President Putin" is the same person, contained in the titled name.
        """
        titled = (f"{actor.role} {actor.name}",) if actor.role and actor.type == "person" else ()
        return cls((actor.name, *actor.aliases, *titled), actor.type)

    @classmethod
    def named(cls, names: Iterable[str]) -> Identity:
        """The identity of names alone (a gold annotation, a reference), of unknown type."""
        return cls(tuple(names))


def name_similarity(a: str, b: str, *, fuzzy: bool = True) -> float:
    """0-100: equal, contained (see the module's rules), else edit similarity if `fuzzy`."""
    return _similarity(normalize_name(a), normalize_name(b), fuzzy=fuzzy)


def similarity(x: Identity, y: Identity) -> float:
    """The best similarity between any name of one actor and any of the other's.

    When both are named in two words or more and those names differ ("Mara Lind", "Jonas
    Lind"), a one-word name ("Lind") that is in the other's no longer makes them one; an
    equal name still does.
    """
    fuzzy = x.type in _UNKNOWN_TYPES or y.type in _UNKNOWN_TYPES or x.type == y.type
    strict = _full_names_differ(x, y, fuzzy=fuzzy)
    return max(
        (
            _similarity(a, b, fuzzy=fuzzy)
            for a in x._normalized
            for b in y._normalized
            if not strict or a == b or (" " in a and " " in b)
        ),
        default=0.0,
    )


def same_actor(x: Identity, y: Identity) -> bool:
    """Whether two actors are one: any of their names is the same (see the module's rules)."""
    return similarity(x, y) >= SAME_ACTOR


def resolve(reference: str, actors: Sequence[Identity]) -> int | None:
    """The index of the one actor a reference names, or None when none or several do.

    A name or alias equal to the reference wins over a contained name or a spelling
    variant: `Trump` is the actor whose alias is `Trump`, not the other with that surname.
    """
    key = normalize_name(reference)
    if not key:
        return None
    for level in (_EQUAL, SAME_ACTOR):
        found = {
            index
            for index, actor in enumerate(actors)
            if any(_similarity(key, name, fuzzy=True) >= level for name in actor._normalized)
        }
        if found:
            return found.pop() if len(found) == 1 else None
    return None


def match(identity: Identity, known: Mapping[K, Identity]) -> K | None:
    """The key of the known actor that `identity` is, or None when none is.

    The most similar known actor at SAME_ACTOR or above; when several are equally similar,
    the one matched by the earliest of `identity`'s names (its name before its aliases);
    None if that still leaves several.
    """
    scores = {key: similarity(identity, other) for key, other in known.items()}
    best = max(scores.values(), default=0.0)
    if best < SAME_ACTOR:
        return None
    tied = [key for key, score in scores.items() if score == best]
    if len(tied) == 1:
        return tied[0]
    for name in identity._normalized:
        found = [
            key
            for key in tied
            if any(_similarity(name, other, fuzzy=True) >= best for other in known[key]._normalized)
        ]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def name_keys(identity: Identity, *, stored: bool = False) -> set[str]:
    """Keys under which to find the stored actors `identity` may be the same as.

    A stored name is keyed by its key words (its head word; its distinctive words when the
    head is a generic word, as in "Harbor City Council") and by their first letters and
    lengths; a name is looked up by every word it has, and by its key words' first letters
    and lengths one shorter to one longer. Two names the rules call the same share a key: a
    contained name holds the other's head word and one of its distinctive words, equal
    names have the same words, and spelling variants almost always begin their key words
    alike, with lengths at most one apart.
    """
    keys: set[str] = set()
    spread = (0,) if stored else (-1, 0, 1)
    for name in identity._normalized:
        words = name.split()
        head = _head(words)
        key_words = [head] if _distinctive(head) else [w for w in words if _distinctive(w)]
        keys.update(key_words if stored else words)
        keys.update(f"{w[:_KEY_LETTERS]}~{len(w) + step}" for w in key_words for step in spread)
    return keys


def _full_names_differ(x: Identity, y: Identity, *, fuzzy: bool) -> bool:
    names = (x._normalized[:1], y._normalized[:1])
    if not all(names) or not all(len(name[0].split()) > 1 for name in names):
        return False
    return _similarity(names[0][0], names[1][0], fuzzy=fuzzy) < SAME_ACTOR


def _similarity(a: str, b: str, *, fuzzy: bool) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return _EQUAL
    if _contained(a, b):
        return _CONTAINED
    return float(fuzz.ratio(a, b)) if fuzzy else 0.0


def _contained(a: str, b: str) -> bool:
    small, large = sorted((a.split(), b.split()), key=len)
    return (
        set(small) <= set(large)
        and _head(large) in small
        and any(_distinctive(word) for word in small)
    )


def _distinctive(word: str) -> bool:
    """Whether a word can identify an actor: not a generic word, and not too short."""
    return len(word) >= 3 and word not in GENERIC_WORDS


def _head(words: list[str]) -> str:
    for index, word in enumerate(words[1:], 1):
        if word in _AFTER_HEAD:
            return words[index - 1]
    return words[-1]
