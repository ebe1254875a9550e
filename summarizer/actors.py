"""Corrections to the actors a small model lists, made by code from the article and summary.

- A small model sometimes names a participant it never listed ("Zelenskyy"): the summary
  then holds an actor of type `other` with no role. News style introduces a person once
  with a title before the full name ("Ukrainian President Volodymyr Zelenskyy"); that
  sentence says the actor is a person, gives the full name and the role.
- It names a person with the title ("Estrian Defence Minister Karol Vesely") and fills the
  role with something else; the title in the name is the article's word for the role.
- It also lists places as actors ("Kursk", as a state) although told not to. An actor
  that no event, position or demand involves, and whose name is where an event happened
  ("Kursk region"), is a place.
"""

from __future__ import annotations

import re

from .schema import ArticleSummary

# Words that make the capitalised words before a name a title. Lower case too: "Kremlin
# spokesman Dmitry Peskov".
_TITLE_WORDS = frozenset(
    [
        "president",
        "vice",
        "prime",
        "minister",
        "chancellor",
        "secretary",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "leader",
        "chief",
        "general",
        "senator",
        "governor",
        "mayor",
        "king",
        "queen",
        "prince",
        "ambassador",
        "envoy",
        "commissioner",
        "director",
        "chairman",
        "chairwoman",
        "chair",
        "deputy",
        "commander",
        "colonel",
        "pope",
        "premier",
        "judge",
        "official",
        "adviser",
        "advisor",
        "ceo",
        "founder",
        "head",
        "foreign",
        "defence",
        "defense",
        "interior",
    ]
)
_DETERMINERS = frozenset({"the", "a", "an"})
_WORD = r"[A-Za-z][\w’'.-]*"
_MAX_TITLE_WORDS = 6
# Up to a title and three given names, ending where the name begins.
_WORDS_BEFORE = re.compile(rf"(?:{_WORD}\s+){{1,{_MAX_TITLE_WORDS + 3}}}\Z")
_WINDOW_CHARS = 400


def describe_unlisted_people(summary: ArticleSummary, text: str) -> None:
    """Give each undescribed actor the full name, role and type the article introduces."""
    for actor in summary.actors:
        if actor.type != "other" or actor.role is not None or actor.affiliation is not None:
            continue
        introduction = _introduction(actor.name, text)
        if introduction is None:
            continue
        role, full_name = introduction
        actor.rename(full_name)
        actor.role, actor.type = role, "person"


def split_titled_names(summary: ArticleSummary) -> None:
    """Name a person by what follows the title in the name, and make the title the role.

    "Estrian Defence Minister Karol Vesely" becomes "Karol Vesely", role "Estrian Defence
    Minister"; the titled form stays an alias.
    """
    for actor in summary.actors:
        if actor.type != "person":
            continue
        words = actor.name.split()
        titles = [index for index, word in enumerate(words) if word.lower() in _TITLE_WORDS]
        if not titles:
            continue
        title, given = words[: titles[-1] + 1], words[titles[-1] + 1 :]
        if not given or not all(word[0].isupper() for word in given):
            continue
        while title and title[0].lower() in _DETERMINERS:
            title.pop(0)
        actor.rename(" ".join(given))
        actor.role = " ".join(title)


def drop_places(summary: ArticleSummary) -> None:
    """Remove the actors that take part in nothing and are named as an event's place."""
    places = {_place(event.where) for event in summary.events if event.where}
    involved = {p for event in summary.events for p in event.participants}
    involved |= {position.actor for position in summary.positions}
    involved |= {demand.by for demand in summary.demands}
    involved |= {demand.of for demand in summary.demands if demand.of is not None}
    summary.actors = [
        actor
        for actor in summary.actors
        # The name only: an alias such as "Moscow" for Russia's government is also a place.
        if actor.id in involved or _place(actor.name) not in places
    ]


def _place(text: str) -> str:
    """A place as written, without "in the", "town of" or "region": "in the Kursk region"."""
    text = re.sub(
        r"^(?:(?:in|at|near|outside|the)\s+)*(?:(?:town|city|village|region|province)\s+of\s+)?",
        "",
        text.strip(),
        flags=re.I,
    )
    return re.sub(r"\s+(?:region|province|district|oblast|city)$", "", text, flags=re.I).casefold()


def _introduction(name: str, text: str) -> tuple[str, str] | None:
    """(role, full name) from the first "Title Given Name" before the name in the text."""
    # Find the name, then read the words just before it: one pattern for "words, then the
    # name" made the regex engine try every position of the article (10 ms a name).
    searched_from = 0
    for occurrence in re.finditer(rf"(?<=\s){re.escape(name)}\b", text):
        start = max(searched_from, occurrence.start() - _WINDOW_CHARS)
        match = _WORDS_BEFORE.search(text, start, occurrence.start())
        if match is None:
            continue
        searched_from = occurrence.end()
        words = match.group(0).split()
        given: list[str] = []
        while words and words[-1][0].isupper() and words[-1].lower() not in _TITLE_WORDS:
            given.insert(0, words.pop())
        title: list[str] = []
        while words and len(title) < _MAX_TITLE_WORDS:
            word = words[-1]
            if not (word[0].isupper() or word.lower() in _TITLE_WORDS):
                break
            title.insert(0, words.pop())
        while title and title[0].lower() in _DETERMINERS:
            title.pop(0)  # a sentence's first word: "The Kremlin spokesman Dmitry Peskov"
        if any(word.lower() in _TITLE_WORDS for word in title):
            return " ".join(title), " ".join([*given, name])
    return None
