"""Long articles: splitting on paragraph boundaries, and merging the parts' summaries."""

from summarizer import Article, Summarizer
from summarizer.merge import drop_repeats, merge_summaries
from summarizer.schema import ArticleSummary
from summarizer.split import split_text

from .fakes import FAKE_VALID_ANSWER, ScriptedBackend, fake_completion


def words(text: str) -> int:
    return len(text.split())


def test_parts_respect_the_budget_and_keep_every_word_in_order():
    paragraphs = [f"Paragraph {i} " + "word " * (10 + i) for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text, budget=40, count_tokens=words)
    assert len(parts) > 1
    assert all(words(part) <= 40 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def test_a_paragraph_longer_than_the_budget_is_cut_between_sentences_then_words():
    text = "One two three. " * 10 + "\n" + "x " * 100
    parts = split_text(text, budget=12, count_tokens=words)
    assert all(words(part) <= 12 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def part(actors, events) -> ArticleSummary:
    return ArticleSummary.model_validate(
        {
            "summary": "Part summary.",
            "key_points": ["a", "b", "c"],
            "actors": actors,
            "events": events,
            "positions": [],
            "demands": [],
        }
    )


def test_merge_deduplicates_actors_by_name_and_alias_and_remaps_references():
    first = part(
        [
            {
                "name": "Vladimir Putin",
                "aliases": ["Putin"],
                "type": "person",
                "role": None,
                "affiliation": None,
            }
        ],
        [
            {
                "what": "Visit",
                "category": "other",
                "status": "occurred",
                "when": None,
                "where": None,
                "participants": ["Vladimir Putin"],
                "evidence": ["q1"],
            }
        ],
    )
    second = part(
        [
            {
                "name": "Putin",
                "aliases": ["the Russian leader"],
                "type": "person",
                "role": "President",
                "affiliation": "Russia",
            },
            {
                "name": "Donald Trump",
                "aliases": [],
                "type": "person",
                "role": None,
                "affiliation": None,
            },
        ],
        [
            {
                "what": "Call",
                "category": "consult",
                "status": "planned",
                "when": "Tuesday",
                "where": None,
                "participants": ["Putin", "Donald Trump"],
                "evidence": ["q2"],
            }
        ],
    )
    merged = merge_summaries([first, second])
    assert [a.id for a in merged.actors] == ["vladimir_putin", "donald_trump"]
    putin = merged.actors[0]
    assert putin.role == "President" and "the Russian leader" in putin.aliases
    assert [e.what for e in merged.events] == ["Visit", "Call"]
    assert merged.events[1].participants == ["vladimir_putin", "donald_trump"]


def test_repeated_items_are_dropped_once():
    event = {
        "what": "Call",
        "category": "consult",
        "status": "planned",
        "when": "Tuesday",
        "where": None,
        "participants": [],
        "evidence": ["q"],
    }
    summary = part(
        [{"name": "A", "aliases": [], "type": "person", "role": None, "affiliation": None}],
        [event, dict(event), dict(event, what="Other")],
    )
    assert [e.what for e in drop_repeats(summary).events] == ["Call", "Other"]


def test_a_long_article_is_split_summarised_per_part_and_merged(tmp_path):
    import json

    from summarizer import Settings

    quote = "he plans to meet with Russian President Vladimir Putin on Tuesday"
    text = "\n".join([f"Paragraph {i}: Trump said {quote}." for i in range(60)])
    answer = json.dumps(FAKE_VALID_ANSWER)
    backend = ScriptedBackend(*[fake_completion(answer)] * 20)
    backend.context_window = 2600  # scripted fake: small enough to force several parts
    settings = Settings(cache="off", cache_dir=tmp_path, max_output_tokens=300)
    result = Summarizer(settings, backend=backend).summarize(Article(text=text))
    parts = len(backend.requests)
    assert parts > 1 and result.provenance.parts == parts
    seen = "\n".join(r["messages"][1]["content"] for r in backend.requests)
    assert all(f"Paragraph {i}:" in seen for i in range(60))  # nothing dropped
    assert f"part 1 of {parts}" in backend.requests[0]["messages"][1]["content"]
    assert [a.id for a in result.summary.actors] == ["donald_trump", "vladimir_putin"]
