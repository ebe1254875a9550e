"""The follow-up question for demands (opt-in), asked when an answer lists none; scripted fakes."""

import asyncio
import copy
import json
import logging

from summarizer import Article, Settings
from summarizer.schema import ArticleSummary, Demand

from .fakes import FAKE_VALID_ANSWER, FAKE_VALID_COMPLETION, ScriptedBackend, fake_completion
from .test_llm import ARTICLE, summarizer_with

QUOTE = "he plans to meet with Russian President Vladimir Putin on Tuesday"
# The test_llm article, and a word of demand: only such an article is asked.
DEMANDING = Article(text=f"{ARTICLE.text} He urged Putin to accept a ceasefire.")


def fake_answer_without_demands() -> dict:
    """Scripted fake: a valid summary whose `demands` is empty."""
    assert FAKE_VALID_ANSWER["demands"] == []
    return FAKE_VALID_COMPLETION


def fake_demands(*quotes: str, by: str = "Trump", of: str | None = "Putin") -> dict:
    """Scripted fake: the answer to the follow-up question, one demand per quote."""
    demands = [
        {"by": by, "of": of, "what": "Meet on Tuesday.", "conditions": None, "evidence": [quote]}
        for quote in quotes
    ]
    return fake_completion(json.dumps({"demands": demands}))


def test_an_answer_without_demands_is_followed_by_the_question_for_them(tmp_path):
    backend = ScriptedBackend(fake_answer_without_demands(), fake_demands(QUOTE))
    result = summarizer_with(backend, tmp_path, demands_follow_up=True).summarize(DEMANDING)
    first, follow_up = backend.requests
    # The first request's messages, word for word, then the question: a local model
    # reuses its cached state of them.
    assert follow_up["messages"][:2] == first["messages"][:2]
    assert follow_up["messages"][2]["role"] == "user"
    assert "List the demands" in follow_up["messages"][2]["content"]
    schema = follow_up["response_format"]["json_schema"]["schema"]
    assert list(schema["properties"]) == ["demands"]
    (demand,) = result.summary.demands
    # Named by surname in the follow-up; resolved to the actors of the first answer.
    assert (demand.by, demand.of) == ("donald_trump", "vladimir_putin")
    assert demand.grounded and demand.evidence[0].match == "exact"
    assert result.provenance.attempts == 2
    assert result.provenance.usage.prompt_tokens == 200


def test_an_answer_with_demands_is_not_asked_again(tmp_path):
    answer = copy.deepcopy(FAKE_VALID_ANSWER)
    answer["demands"] = json.loads(fake_demands(QUOTE)["choices"][0]["message"]["content"])[
        "demands"
    ]
    backend = ScriptedBackend(fake_completion(json.dumps(answer)))
    result = summarizer_with(backend, tmp_path, demands_follow_up=True).summarize(DEMANDING)
    assert len(backend.requests) == 1 and len(result.summary.demands) == 1


def test_the_follow_up_is_off_by_default(tmp_path):
    backend = ScriptedBackend(fake_answer_without_demands())
    result = summarizer_with(backend, tmp_path).summarize(DEMANDING)
    assert len(backend.requests) == 1 and result.summary.demands == []


def test_an_article_without_a_word_of_demand_is_not_asked(tmp_path):
    # Asked of an article that reports no demand, the model invents one
    # (docs/experiments/2026-11-26-demands-follow-up.md).
    backend = ScriptedBackend(fake_answer_without_demands())
    result = summarizer_with(backend, tmp_path, demands_follow_up=True).summarize(ARTICLE)
    assert len(backend.requests) == 1 and result.summary.demands == []


def test_the_follow_up_is_turned_on_from_the_environment(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_DEMANDS_FOLLOW_UP", "1")
    assert Settings().demands_follow_up is True


def test_a_follow_up_with_an_invented_quote_is_reasked_like_any_answer(tmp_path):
    backend = ScriptedBackend(
        fake_answer_without_demands(),
        fake_demands("Trump demanded a parade"),
        fake_demands(QUOTE),
    )
    result = summarizer_with(backend, tmp_path, demands_follow_up=True).summarize(DEMANDING)
    assert "Trump demanded a parade" in backend.requests[2]["messages"][-1]["content"]
    assert result.summary.demands[0].evidence[0].quote == QUOTE
    assert result.provenance.attempts == 3


def test_a_failed_follow_up_keeps_the_summary_and_says_so(tmp_path, caplog):
    backend = ScriptedBackend(fake_answer_without_demands(), *[fake_completion("not json")] * 2)
    with caplog.at_level(logging.WARNING, logger="summarizer"):
        result = summarizer_with(backend, tmp_path, max_reasks=1, demands_follow_up=True).summarize(
            DEMANDING
        )
    assert result.summary.events and result.summary.demands == []
    assert "follow-up question for demands went unanswered" in caplog.text
    assert len(backend.requests) == 3


def test_the_async_path_asks_the_follow_up_too(tmp_path):
    backend = ScriptedBackend(fake_answer_without_demands(), fake_demands(QUOTE, of=None))
    result = asyncio.run(
        summarizer_with(backend, tmp_path, demands_follow_up=True).asummarize(DEMANDING)
    )
    assert len(backend.requests) == 2
    assert [(d.by, d.of) for d in result.summary.demands] == [("donald_trump", None)]


def test_added_demands_naming_an_unlisted_actor_list_it():
    answer = copy.deepcopy(FAKE_VALID_ANSWER)
    answer["demands"] = []
    summary = ArticleSummary.model_validate(answer)
    demand = Demand(by="Kyiv", of="Putin", what="Stop.", evidence=[QUOTE])
    summary.add_demands([demand])
    assert (demand.by, demand.of) == ("kyiv", "vladimir_putin")
    assert summary.actor("kyiv").type == "other"
