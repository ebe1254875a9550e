import json

import pytest
from pydantic import ValidationError

from summarizer.schema import ArticleSummary, field_guide


def answer(**changes: object) -> dict:
    base = {
        "summary": "Trump and Putin will talk about a ceasefire.",
        "key_points": ["A call is planned.", "Fighting goes on.", "Europe offers troops."],
        "actors": [
            {
                "id": "donald_trump",
                "name": "Donald Trump",
                "aliases": ["Trump"],
                "type": "person",
                "role": "President",
                "affiliation": "United States",
            },
            {
                "id": "vladimir_putin",
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
                "participants": ["donald_trump", "vladimir_putin"],
                "evidence": ["he plans to meet with Russian President Vladimir Putin"],
            }
        ],
        "positions": [],
        "demands": [
            {
                "by": "donald_trump",
                "of": "vladimir_putin",
                "what": "Support a ceasefire",
                "conditions": None,
                "evidence": ["support a 30-day ceasefire"],
            }
        ],
    }
    base.update(changes)
    return base


def test_valid_answer_parses_and_quotes_become_evidence():
    summary = ArticleSummary.model_validate(answer())
    assert summary.events[0].evidence[0].quote.startswith("he plans")
    assert summary.events[0].evidence[0].match is None


def test_reference_by_name_or_alias_is_repaired_to_the_id():
    data = answer()
    data["events"][0]["participants"] = ["Trump", "putin"]
    data["demands"][0]["by"] = "Donald Trump"
    summary = ArticleSummary.model_validate(data)
    assert summary.events[0].participants == ["donald_trump", "vladimir_putin"]
    assert summary.demands[0].by == "donald_trump"


def test_unresolvable_reference_is_rejected_with_its_name():
    data = answer()
    data["demands"][0]["of"] = "emmanuel_macron"
    with pytest.raises(ValidationError, match="emmanuel_macron"):
        ArticleSummary.model_validate(data)


def test_duplicate_ids_are_rejected():
    data = answer()
    data["actors"][1]["id"] = "donald_trump"
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


def test_model_schema_bounds_every_list_and_string_and_hides_computed_fields():
    schema = ArticleSummary.model_json_schema()
    text = json.dumps(schema)
    assert '"date"' not in text  # resolved by code, never asked of the model
    assert '"start"' not in text
    assert schema["properties"]["events"]["maxItems"] == 6
    event = schema["$defs"]["Event"]
    assert set(event["required"]) == set(event["properties"])
    assert event["properties"]["evidence"]["items"]["maxLength"] == 150


def test_field_guide_covers_nested_fields_with_descriptions():
    guide = dict(field_guide(ArticleSummary))
    assert "events[].status" in guide and "planned" in guide["events[].status"]
    assert all(description for description in guide.values())
