"""What is new in a story since a digest showed it: events, actors, positions (hand-made data)."""

from __future__ import annotations

from summarizer.digest.news import Shown, ShownActor, ShownEvent, ShownPosition, merged, whats_new

MARSH = ShownActor(name="Elena Marsh", type="person", role="Mayor")
REYES = ShownActor(name="Tomas Reyes", type="person", role="Union president")
UNION = ShownActor(name="Transit Workers Union", type="organisation")


def event(what: str) -> ShownEvent:
    return ShownEvent(what=what, status="occurred")


def position(actor: ShownActor, topic: str, stance: str) -> ShownPosition:
    return ShownPosition(actor=actor, topic=topic, stance=stance)


MONDAY = Shown(
    actors=[MARSH, REYES, UNION],
    events=[event("Transit workers union calls a strike for Friday")],
    positions=[
        position(MARSH, "the wage demand", "The six percent raise is unaffordable."),
        position(REYES, "the contract", "Drivers are out of patience after eleven months."),
    ],
)


def test_nothing_is_new_when_the_same_things_are_said_again_in_other_words():
    again = Shown(
        # The mayor by her title and surname, the union by its full name.
        actors=[
            ShownActor(name="Mayor Marsh", type="person"),
            ShownActor(name="Harbor City Transit Workers Union", aliases=["Transit Workers Union"]),
        ],
        events=[event("Transit workers union to strike on Friday")],
        positions=[position(MARSH, "wage demand", "A six percent raise is unaffordable.")],
    )

    news = whats_new(again, MONDAY)

    assert news.empty


def test_new_events_actors_and_positions_and_a_changed_stance_with_the_one_before():
    tuesday = Shown(
        actors=[MARSH, ShownActor(name="Business groups", type="organisation")],
        events=[
            event("Marsh invites the union to wage talks on Wednesday"),
            event("Transit workers union calls a strike for Friday"),
        ],
        positions=[
            position(MARSH, "the wage demand", "The city can offer four percent and no more."),
            position(REYES, "the city's offer", "The offer is a step but not enough."),
        ],
    )

    news = whats_new(tuesday, MONDAY)

    assert [e.what for e in news.events] == ["Marsh invites the union to wage talks on Wednesday"]
    assert [a.name for a in news.actors] == ["Business groups"]
    changed, new = news.positions
    assert changed.now.actor.name == "Elena Marsh"
    assert changed.before is not None and changed.before.stance.startswith("The six percent")
    # Reyes on another topic: a new position, not a change of the one on his contract.
    assert new.now.topic == "the city's offer" and new.before is None


def test_a_stance_is_compared_with_the_latest_one_shown():
    wednesday = Shown(
        positions=[
            position(MARSH, "the wage demand", "The city can offer four percent and no more.")
        ]
    )
    everything = merged([MONDAY, wednesday])

    friday = Shown(
        positions=[position(MARSH, "the wage demand", "The city will pay five percent.")]
    )
    [changed] = whats_new(friday, everything).positions

    assert changed.before is not None and "four percent" in changed.before.stance
    assert whats_new(wednesday, everything).empty
