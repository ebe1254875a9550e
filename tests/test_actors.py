from summarizer.actors import describe_unlisted_people, drop_places, split_titled_names
from summarizer.schema import ArticleSummary

from .test_schema import answer

TEXT = (
    "On Saturday, Ukrainian President Volodymyr Zelenskyy accused Putin of prolonging the war. "
    "The Kremlin spokesman Dmitry Peskov said a call was planned. Zelenskyy spoke again on "
    "Sunday, as Russian forces advanced."
)


def summary_with_participants(*names: str) -> ArticleSummary:
    data = answer()
    data["events"][0]["participants"] = ["Donald Trump", *names]
    return ArticleSummary.model_validate(data)


def test_an_unlisted_participant_introduced_with_a_title_becomes_that_person():
    summary = summary_with_participants("Zelenskyy", "Peskov")
    describe_unlisted_people(summary, TEXT)
    zelenskyy, peskov = summary.actor("zelenskyy"), summary.actor("peskov")
    assert (zelenskyy.name, zelenskyy.type, zelenskyy.role) == (
        "Volodymyr Zelenskyy",
        "person",
        "Ukrainian President",
    )
    assert zelenskyy.aliases == ["Zelenskyy"]
    assert (peskov.name, peskov.role) == ("Dmitry Peskov", "Kremlin spokesman")


def test_a_group_or_a_name_without_a_title_stays_as_the_model_left_it():
    summary = summary_with_participants("Russian forces", "Sunday")
    describe_unlisted_people(summary, TEXT)
    forces = summary.actor("russian_forces")
    assert (forces.name, forces.type, forces.role) == ("Russian forces", "other", None)
    assert summary.actor("sunday").type == "other"


def test_actors_the_model_described_are_left_alone():
    summary = summary_with_participants()
    describe_unlisted_people(summary, TEXT + " Russian President Vladimir Putin spoke.")
    assert summary.actors[1].role is None  # the model's answer, though the text gives one
    assert summary.actors[1].type == "person"


def listed_place_summary(where: str, place_name: str, place_aliases: list[str]) -> ArticleSummary:
    data = answer()
    data["actors"].append(
        {"name": place_name, "aliases": place_aliases, "type": "state", "role": None,
         "affiliation": "Russia"}
    )  # fmt: skip
    data["events"][0]["where"] = where
    return ArticleSummary.model_validate(data)


def test_an_actor_that_does_nothing_and_is_where_an_event_happened_is_dropped():
    summary = listed_place_summary("in the Kursk region", "Kursk", ["Kursk region"])
    drop_places(summary)
    assert [actor.name for actor in summary.actors] == ["Donald Trump", "Vladimir Putin"]
    summary = listed_place_summary("near the town of Dunmere", "Dunmere", [])
    drop_places(summary)
    assert [actor.name for actor in summary.actors] == ["Donald Trump", "Vladimir Putin"]


def test_a_place_that_takes_part_or_is_only_an_alias_stays():
    # Russia's government called "Moscow" while an event happens in Moscow: not a place.
    summary = listed_place_summary("Moscow", "Russia", ["Moscow"])
    drop_places(summary)
    assert "Russia" in [actor.name for actor in summary.actors]
    data = answer()
    data["events"][0]["where"] = "Donald Trump"  # a participant is kept, whatever its name
    summary = ArticleSummary.model_validate(data)
    drop_places(summary)
    assert len(summary.actors) == 2


def test_a_person_named_with_a_title_is_named_after_it_and_the_title_is_the_role():
    data = answer()
    data["actors"][1].update(
        name="Estrian Defence Minister Karol Vesely", aliases=["Karol Vesely"], role="President"
    )
    data["events"][0]["participants"] = ["Donald Trump", "Estrian Defence Minister Karol Vesely"]
    summary = ArticleSummary.model_validate(data)
    split_titled_names(summary)
    vesely = summary.actors[1]
    assert (vesely.name, vesely.role) == ("Karol Vesely", "Estrian Defence Minister")
    assert vesely.aliases == ["Estrian Defence Minister Karol Vesely"]


def test_a_name_whose_title_is_not_followed_by_a_name_is_left_alone():
    data = answer()
    data["actors"].append({"name": "Secretary of State Marco Rubio", "type": "person"})
    data["actors"].append({"name": "Prime Minister", "type": "person"})
    summary = ArticleSummary.model_validate(data)
    split_titled_names(summary)
    names = [actor.name for actor in summary.actors]
    assert names[2:] == ["Secretary of State Marco Rubio", "Prime Minister"]
