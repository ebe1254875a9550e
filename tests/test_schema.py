import json

import pytest
from pydantic import ValidationError

from summarizer.schema import ArticleSummary, field_guide


def answer(**changes: object) -> dict:
    """An answer shaped as the model writes it: actors referred to by name."""
    base = {
        "summary": "Trump and Putin will talk about a ceasefire.",
        "key_points": ["A call is planned.", "Fighting goes on.", "Europe offers troops."],
        "actors": [
            {
                "name": "Donald Trump",
                "aliases": ["Trump"],
                "type": "person",
                "role": "President",
                "affiliation": "United States",
            },
            {
                "name": "Vladimir Putin",
                "aliases": ["Putin"],
                "type": "person",
                "role": None,
                "affiliation": "Russia",
            },
        ],
        "events": [
            {
                "what": "Call between the leaders",
                "category": "consult",
                "status": "planned",
                "when": "on Tuesday",
                "where": None,
                "participants": ["Donald Trump", "Vladimir Putin"],
                "evidence": ["he plans to meet with Russian President Vladimir Putin"],
            }
        ],
        "positions": [],
        "demands": [
            {
                "by": "Donald Trump",
                "of": "Vladimir Putin",
                "what": "Support a ceasefire",
                "conditions": None,
                "evidence": ["support a 30-day ceasefire"],
            }
        ],
    }
    base.update(changes)
    return base


def test_valid_answer_gets_ids_and_references_become_ids():
    summary = ArticleSummary.model_validate(answer())
    assert [a.id for a in summary.actors] == ["donald_trump", "vladimir_putin"]
    assert summary.events[0].participants == ["donald_trump", "vladimir_putin"]
    assert (summary.demands[0].by, summary.demands[0].of) == ("donald_trump", "vladimir_putin")
    assert summary.events[0].evidence[0].quote.startswith("he plans")
    assert summary.events[0].evidence[0].match is None


def test_saved_summary_round_trips_with_its_ids():
    summary = ArticleSummary.model_validate(answer())
    again = ArticleSummary.model_validate_json(summary.model_dump_json())
    assert again.model_dump() == summary.model_dump()


def test_reference_by_alias_resolves_to_the_actor():
    data = answer()
    data["events"][0]["participants"] = ["Trump", "putin"]
    assert ArticleSummary.model_validate(data).events[0].participants == [
        "donald_trump",
        "vladimir_putin",
    ]


def test_reference_by_a_persons_surname_resolves_without_the_alias():
    # The embedded model writes "Trump" in participants without listing it as an alias.
    data = answer()
    for actor in data["actors"]:
        actor["aliases"] = []
    data["events"][0]["participants"] = ["Trump", "Putin"]
    summary = ArticleSummary.model_validate(data)
    assert summary.events[0].participants == ["donald_trump", "vladimir_putin"]
    assert len(summary.actors) == 2


def test_a_surname_two_people_share_is_not_guessed():
    data = answer()
    data["actors"].append({"name": "Melania Trump", "aliases": [], "type": "person"})
    data["actors"][0]["aliases"] = []
    data["events"][0]["participants"] = ["Trump"]
    summary = ArticleSummary.model_validate(data)
    assert summary.actor(summary.events[0].participants[0]).name == "Trump"  # listed anew


def test_same_name_twice_gets_distinct_ids():
    data = answer()
    data["actors"].append(dict(data["actors"][0], aliases=[]))
    ids = [a.id for a in ArticleSummary.model_validate(data).actors]
    assert ids == ["donald_trump", "vladimir_putin", "donald_trump_2"]


def test_participant_missing_from_actors_is_listed_as_an_actor():
    data = answer()
    data["demands"][0]["of"] = "Emmanuel Macron"
    summary = ArticleSummary.model_validate(data)
    assert summary.demands[0].of == "emmanuel_macron"
    added = summary.actor("emmanuel_macron")
    assert (added.name, added.type) == ("Emmanuel Macron", "other")


def test_duplicate_given_ids_are_rejected():
    data = answer()
    data["actors"][0]["id"] = data["actors"][1]["id"] = "x"
    with pytest.raises(ValidationError, match="unique"):
        ArticleSummary.model_validate(data)


@pytest.mark.parametrize("field", ["summary"])
def test_empty_strings_are_rejected(field):
    with pytest.raises(ValidationError):
        ArticleSummary.model_validate(answer(**{field: "   "}))


def test_empty_evidence_and_empty_quotes_are_rejected():
    data = answer()
    data["events"][0]["evidence"] = []
    with pytest.raises(ValidationError):
        ArticleSummary.model_validate(data)
    data["events"][0]["evidence"] = [""]
    with pytest.raises(ValidationError):
        ArticleSummary.model_validate(data)


def test_model_schema_bounds_lists_and_strings_and_hides_computed_fields():
    schema = ArticleSummary.model_json_schema()
    text = json.dumps(schema)
    for computed in ('"date"', '"start"', '"id"'):
        assert computed not in text  # computed by code, never asked of the model
    assert schema["properties"]["events"]["maxItems"] == 6
    event = schema["$defs"]["Event"]
    assert set(event["required"]) == set(event["properties"])
    assert event["properties"]["evidence"]["items"]["maxLength"] == 150


def test_field_guide_covers_nested_fields_with_descriptions():
    guide = dict(field_guide(ArticleSummary))
    assert "events[].status" in guide and "planned" in guide["events[].status"]
    assert all(description for description in guide.values())


def test_placeholder_words_in_optional_fields_become_null():
    # The embedded model wrote `"conditions": "None"` in the seed's recorded answer.
    data = answer()
    data["demands"][0]["conditions"] = "None"
    data["events"][0]["where"] = "unknown"
    data["actors"][0]["role"] = "N/A"
    summary = ArticleSummary.model_validate(data)
    assert summary.demands[0].conditions is None
    assert summary.events[0].where is None and summary.actors[0].role is None
    data["summary"] = "None"  # a required text is left alone
    assert ArticleSummary.model_validate(data).summary == "None"


def test_a_name_that_starts_with_the_role_loses_it_and_keeps_it_as_an_alias():
    data = answer()
    data["actors"][1] |= {
        "name": "Russian President Vladimir Putin",
        "role": "Russian President",
        "aliases": ["Putin", "putin", "Vladimir Putin"],
    }
    summary = ArticleSummary.model_validate(data)
    putin = summary.actors[1]
    assert (putin.id, putin.name) == ("vladimir_putin", "Vladimir Putin")
    # repeats and the name itself are not aliases
    assert putin.aliases == ["Putin", "Russian President Vladimir Putin"]
    assert summary.events[0].participants == ["donald_trump", "vladimir_putin"]


def test_aliases_that_identity_reads_as_one_name_are_kept_once():
    data = answer()
    kremlin = {"name": "Kremlin", "type": "organisation", "role": None, "affiliation": None}
    kremlin["aliases"] = ["the Kremlin", "The Kremlin's", "Moscow", "the Kremlin"]
    data["actors"].append(kremlin)
    assert ArticleSummary.model_validate(data).actors[2].aliases == ["Moscow"]


@pytest.mark.parametrize(
    ("name", "role", "type_", "kept"),
    [
        (
            "Russian Foreign Minister Alexander Grushko",
            "Foreign Minister",
            "person",
            "Alexander Grushko",
        ),
        ("Russian President Vladimir Putin", "President", "person", "Vladimir Putin"),
        ("President", "President", "person", "President"),  # nothing follows: left alone
        (
            "Secretary General of NATO",
            "Secretary",
            "international_body",
            "Secretary General of NATO",
        ),
    ],
)
def test_a_persons_role_inside_the_name_is_cut_with_what_precedes_it(name, role, type_, kept):
    data = answer()
    data["actors"][1] |= {"name": name, "role": role, "type": type_, "aliases": []}
    actor = ArticleSummary.model_validate(data).actors[1]
    assert actor.name == kept
    assert actor.aliases == ([] if kept == name else [name])


def test_a_summary_cut_off_at_its_length_bound_ends_at_its_last_full_sentence():
    cut_off = "Fighting goes on in Kursk. " * 13 + "Trump looks forward to the call, while he"
    assert len(cut_off) > 390  # the schema's bound is 400: the grammar closed it here
    summary = ArticleSummary.model_validate(answer(summary=cut_off)).summary
    assert summary == ("Fighting goes on in Kursk. " * 13).strip()
    short = "Trump and Putin will talk about a ceasefire"  # no full stop, far from the bound
    assert ArticleSummary.model_validate(answer(summary=short)).summary == short
