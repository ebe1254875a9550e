"""One rule for "is this the same actor?", used by references, merges, the digest and scoring."""

import itertools

import pytest

from summarizer.eval.gold import load_gold
from summarizer.identity import SAME_ACTOR, Identity, name_similarity, resolve, same_actor
from summarizer.schema import Actor

from .conftest import ROOT


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Putin", "Vladimir Putin", True),
        ("The Kremlin", "Kremlin", True),
        ("Russia's", "Russia", True),
        ("Volodymyr Zelensky", "Volodymyr Zelenskyy", True),
        ("Elena Marsh", "Mayor Elena Marsh", True),
        ("Competition Authority", "Competition Authority of Halvard", True),
        ("Russian forces", "forces", False),
        ("City Council", "Harbor City Council", False),  # only generic words in common
        ("Trump", "Trump administration", False),  # not its head word
        ("United Nations", "United Nations Security Council", False),
        ("Alden", "Farmers in Alden", False),
        ("Austria", "Australia", False),
        ("Hanna Voss", "Hanna Ross", False),  # one letter apart, two people
        ("the federation", "Russian Federation", False),  # a generic head noun
        ("Donald Trump", "Vladimir Putin", False),
    ],
)
def test_names_are_the_same_actor_by_equality_a_contained_head_or_spelling(a, b, same):
    assert (name_similarity(a, b) >= SAME_ACTOR) is same
    assert same_actor(Identity.named([a]), Identity.named([b])) is same


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        (("Mayor Elena Marsh", "state"), ("Elena Marsh", "person"), True),  # type mislabelled
        (
            ("Harbor City Transit Workers Union", "organisation"),
            ("Transit Workers Union", "state"),
            True,
        ),
        (("Harbor City Transit Workers Union", "organisation"), ("Union", "organisation"), False),
        (("Elena Marsh", "person"), ("Elena Marshall", "state"), False),
    ],
)
def test_actors_across_stories_are_one_when_a_name_contains_the_other(left, right, same):
    x, y = (Actor(name=name, type=kind) for name, kind in (left, right))
    assert same_actor(Identity.of(x), Identity.of(y)) is same


def test_spelling_variants_of_actors_known_to_differ_in_type_are_not_one():
    person = Identity(("Volodymyr Zelenskyy",), "person")
    assert same_actor(person, Identity(("Volodymyr Zelensky",), "person"))
    assert same_actor(person, Identity(("Volodymyr Zelensky",), "other"))
    assert not same_actor(person, Identity(("Volodymyr Zelensky",), "state"))
    # Equal names are one whatever the types: a small model mislabels them.
    assert same_actor(Identity(("Ukraine",), "state"), Identity(("Ukraine",), "armed_group"))


def test_a_shared_surname_does_not_join_two_people_with_different_full_names():
    jonas = Identity(("Jonas Lind", "Lind"), "person")
    assert not same_actor(jonas, Identity(("Mara Lind",), "person"))
    assert same_actor(jonas, Identity(("Lind",), "person"))
    assert same_actor(jonas, Identity(("Mara Lind", "Lind"), "person"))  # an equal name


def test_a_person_is_also_known_by_the_role_before_the_name():
    putin = Actor(name="Vladimir Putin", type="person", role="Russian President")
    assert same_actor(Identity.of(putin), Identity.named(["President Putin"]))
    kremlin = Actor(name="Kremlin", type="state")
    peskov = Actor(name="Dmitry Peskov", type="person", role="Kremlin spokesperson")
    assert not same_actor(Identity.of(kremlin), Identity.of(peskov))


def test_a_reference_resolves_to_the_one_actor_it_names_an_equal_name_first():
    actors = [
        Identity(("Donald Trump",), "person"),
        Identity(("Melania Trump",), "person"),
        Identity(("Lara Trump", "Trump"), "person"),
    ]
    assert resolve("Trump", actors) == 2  # her alias is the reference itself
    assert resolve("Donald Trump", actors) == 0
    assert resolve("Trump", actors[:2]) is None  # two of them have that surname
    assert resolve("Peskov", actors) is None and resolve("  ", actors) is None


def test_no_two_actors_of_a_gold_article_are_the_same_and_each_alias_is_its_actor():
    # The gold set's annotators listed distinct actors separately, with their other names
    # as aliases: a rule that merged two of them, or split one, would be wrong there.
    for article in load_gold(ROOT / "gold" / "gold.jsonl"):
        identities = [Identity.named(actor.names) for actor in article.actors]
        for x, y in itertools.combinations(identities, 2):
            assert not same_actor(x, y), (article.id, x.names, y.names)
        for actor in article.actors:
            assert resolve(actor.name, identities) == article.actors.index(actor)
