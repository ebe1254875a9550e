"""The seed article, replayed from a fixture recorded with the embedded model."""

import pytest

from summarizer import Summarizer, SummaryResult

from .conftest import RECORDING

_results: dict[str, SummaryResult] = {}


@pytest.fixture
def seed_result(seed_article) -> SummaryResult:
    # One summarisation shared by the tests below (in record mode it is one model run).
    if "seed" not in _results:
        _results["seed"] = Summarizer().summarize(seed_article)
    return _results["seed"]


def test_seed_names_trump_and_putin_as_people(seed_result):
    people = {a.name for a in seed_result.summary.actors if a.type == "person"}
    assert {"Donald Trump", "Vladimir Putin"} <= people, people


def test_seed_has_the_planned_trump_putin_call(seed_result):
    summary = seed_result.summary
    names = {a.id: a.name for a in summary.actors}
    planned = [
        e
        for e in summary.events
        if e.status == "planned"
        and {"Donald Trump", "Vladimir Putin"} <= {names[p] for p in e.participants}
    ]
    assert planned, [(e.what, e.status) for e in summary.events]


def test_seed_result_envelope(seed_result):
    p = seed_result.provenance
    assert p.model.startswith("local:") and p.backend == "local"
    assert p.cache_hit or RECORDING
    assert p.attempts >= 1
    assert p.usage.completion_tokens > 0
    assert len(p.input_hash) == 16 and len(p.prompt_hash) == 16
    assert seed_result.article.published.isoformat() == "2025-03-17"


def test_seed_evidence_offsets_slice_back_to_the_article(seed_result):
    text = seed_result.article.text
    located = [e for _, _, e in seed_result.summary.evidence() if e.match != "none"]
    assert located
    for evidence in located:
        assert 0 <= evidence.start < evidence.end <= len(text)
        if evidence.match == "exact":
            assert text[evidence.start : evidence.end] == evidence.quote


def test_seed_relative_dates_resolve_against_publication(seed_result):
    # Published Monday 17 March 2025: the planned "on Tuesday" is the next day.
    tuesday = [
        e
        for e in seed_result.summary.events
        if e.when and "tuesday" in e.when.lower() and e.status == "planned"
    ]
    assert tuesday, [(e.what, e.when) for e in seed_result.summary.events]
    assert {e.date.isoformat() for e in tuesday if e.date} == {"2025-03-18"}
