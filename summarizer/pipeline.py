"""From an article to a SummaryResult: prompts, model call, merge, dates, grounding.

Longer than most modules because it is the one-call path whole, with its blocking and its
asyncio forms side by side so that they cannot drift apart; the model client
(`summarizer.llm`), the staged strategy and the archive live in their own modules.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from . import dates, prompts
from .actors import describe_unlisted_people, drop_places, split_titled_names
from .articles import Article, as_article
from .config import Settings, load_settings
from .errors import InputError, SummarizationFailed, SummarizerError
from .grounding import ground, quote_check
from .heap import older_objects_set_aside
from .merge import drop_repeats, merge_summaries
from .schema import (
    AnswerCheck,
    ArticleSummary,
    DemandsAnswer,
    Provenance,
    SummaryResult,
    answer_check,
    field_guide,
)
from .split import split_text

if TYPE_CHECKING:
    from .archive.record import Origin
    from .deadline import Budget
    from .llm import Backend, CallLog, ModelClient

log = logging.getLogger("summarizer")
Outcome = SummaryResult | SummarizerError

# Room kept free in the context beyond prompt and answer, for the chat template's tokens.
_CONTEXT_MARGIN = 64


@functools.cache
def system_prompt() -> str:
    """The fixed system message; identical for every article, so its KV cache is reused."""
    return prompts.render("summarize.system.j2", fields=field_guide(ArticleSummary))


@functools.cache
def prompt_hash(response_model: type[BaseModel] = ArticleSummary) -> str:
    """The prompt's version, recorded with every result: 16 hex digits of SHA-256.

    It covers the templates and the response models' JSON schemas (the summary's and the
    follow-up's for demands): the field descriptions are part of the system prompt, and the
    schema is sent with the request.
    """
    digest = hashlib.sha256(prompts.templates_hash().encode())
    for model in (response_model, DemandsAnswer):
        digest.update(json.dumps(model.model_json_schema()).encode())
    return digest.hexdigest()[:16]


def user_prompt(article: Article, text: str, part: int = 0, parts: int = 1) -> str:
    """The user message holding the article, fenced by a boundary the text cannot forge."""
    boundary = hashlib.sha256(article.text.encode()).hexdigest()[:12]
    return prompts.render(
        "summarize.user.j2",
        title=article.title,
        published=article.published.isoformat() if article.published else None,
        source=article.source,
        part=part if parts > 1 else 0,
        parts=parts,
        boundary=boundary,
        text=text,
    )


class Summarizer:
    """Summarises articles with one backend, cache and settings, reused across calls."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        backend: Backend | None = None,
        origin: Origin = "api",
        **options: Any,
    ) -> None:
        """Summarise with these settings (or `options`), and this backend if given.

        Args:
            settings: The settings; without them, they are loaded with `options`.
            backend: What answers the model requests, in place of the one the settings
                name: an object with `complete`, `acomplete` and `count_tokens` (see
                `summarizer.llm.Backend`), such as a scripted fake in tests. Its answers
                still go through the response cache, the re-asks and the retries.
            origin: Who asks, as the archive records it: `api`, or `cli` for the command.
            **options: Any Settings field (model, cache, max_reasks, ...), overriding the
                environment and the config file; ignored when `settings` is given.

        """
        from .archive.hook import Recorder

        self.settings = settings or load_settings(**options)
        self._backend = backend
        self._client: ModelClient | None = None
        self.recorder = Recorder(self.settings, origin)

    @property
    def client(self) -> ModelClient:
        """The model client, built on first use (building a local backend loads the model)."""
        if self._client is None:
            from .cache import ResponseCache
            from .llm import ModelClient, build_backend

            backend = self._backend or build_backend(self.settings)
            cache = ResponseCache(self.settings.cache, self.settings.cache_dir)
            self._client = ModelClient(self.settings, backend, cache)
        return self._client

    def summarize(self, text_or_article: str | Article, *, archive: bool = True) -> SummaryResult:
        """Summarise one article; raises a SummarizerError subclass on expected failures.

        The summary is recorded in the archive unless `archive` is False or the settings
        turn the archive off.
        """
        result = self._summarize(text_or_article)
        if archive:
            self.recorder.record(result)
        return result

    async def asummarize(
        self, text_or_article: str | Article, *, archive: bool = True
    ) -> SummaryResult:
        """Summarise one article without blocking the event loop (recorded as `summarize`)."""
        result = await self._asummarize(text_or_article)
        if archive and self.recorder.enabled:
            # A write waits on the disk and on other writers: not on the event loop, where
            # it would hold up every other summary in flight.
            await asyncio.to_thread(self.recorder.record, result)
        return result

    def _summarize(self, text_or_article: str | Article) -> SummaryResult:
        from .llm import CallLog

        article = as_article(text_or_article)
        if self.settings.strategy == "staged":
            from . import staged

            staged_result = staged.summarize(self, article)
            if staged_result is not None:
                return staged_result
        started = time.perf_counter()
        call_log = CallLog()
        token = answer_check.set(self._quote_check(article, call_log))
        try:
            follow_up = self._may_ask_for_demands(article)
            parts = [
                self._extract(messages, call_log, follow_up) for messages in self._messages(article)
            ]
        finally:
            answer_check.reset(token)
        return self._finish(article, parts, call_log, started)

    async def _asummarize(self, text_or_article: str | Article) -> SummaryResult:
        from .llm import CallLog

        article = as_article(text_or_article)
        if self.settings.strategy == "staged":
            from . import staged

            staged_result = await asyncio.to_thread(staged.summarize, self, article)
            if staged_result is not None:
                return staged_result
        started = time.perf_counter()
        call_log = CallLog()
        messages_per_part = await asyncio.to_thread(self._messages, article)
        token = answer_check.set(self._quote_check(article, call_log))
        try:
            follow_up = self._may_ask_for_demands(article)
            parts = [
                await self._aextract(messages, call_log, follow_up)
                for messages in messages_per_part
            ]
        finally:
            answer_check.reset(token)
        return self._finish(article, parts, call_log, started)

    async def asummarize_many(
        self,
        articles: Iterable[str | Article],
        *,
        on_done: Callable[[int, Outcome], None] | None = None,
        budget: Budget | None = None,
        archive: bool = True,
    ) -> list[Outcome]:
        """Summarise many articles, at most `settings.concurrency` at a time.

        Returns one outcome per article, in input order: a SummaryResult, or the
        SummarizerError that article ended with; one failure does not stop the others.
        With a `budget`, an article whose time is spent before its summary starts, or runs
        out during it, ends with the budget's error; the model request in flight is
        abandoned (a local model's runs on in its thread until that one request ends).
        Each summary is recorded in the archive as it is done, unless `archive` is False.
        """
        limit = asyncio.Semaphore(self.settings.concurrency)
        await asyncio.to_thread(lambda: self.client)  # load the backend once, not per task
        # Many answers at once: Instructor's walk of our response model on every call is
        # event-loop CPU that finds nothing new (a no-op on any other Instructor release).
        from .llm import instructor_shim

        instructor_shim.install()

        async def one(index: int, article: str | Article) -> Outcome:
            async with limit:
                seconds, expired = budget(index) if budget is not None else (None, None)
                try:
                    if expired is not None and seconds is not None and seconds <= 0:
                        raise expired
                    async with asyncio.timeout(seconds):
                        outcome: Outcome = await self.asummarize(article, archive=archive)
                except TimeoutError:
                    assert expired is not None  # only a budget sets a timeout
                    outcome = expired
                except SummarizerError as error:
                    outcome = error
            if on_done is not None:
                on_done(index, outcome)
            return outcome

        try:
            with older_objects_set_aside():
                return list(await asyncio.gather(*(one(i, a) for i, a in enumerate(articles))))
        finally:
            close = getattr(self.client.backend, "aclose", None)
            if close is not None:  # release connections before this event loop ends
                await close()

    def summarize_many(
        self,
        articles: Iterable[str | Article],
        *,
        on_done: Callable[[int, Outcome], None] | None = None,
        budget: Budget | None = None,
        archive: bool = True,
    ) -> list[Outcome]:
        """Blocking form of asummarize_many."""
        many = self.asummarize_many(articles, on_done=on_done, budget=budget, archive=archive)
        return asyncio.run(many)

    def _extract(
        self, messages: list[dict[str, str]], call_log: CallLog, follow_up: bool
    ) -> ArticleSummary:
        """One part's summary; with `follow_up`, the question for demands when it lists none."""
        summary = self.client.extract(messages, ArticleSummary, call_log)
        if follow_up and not summary.demands:
            try:
                answer = self.client.extract(_demands_question(messages), DemandsAnswer, call_log)
            except SummarizationFailed as error:
                _follow_up_failed(error)
            else:
                summary.add_demands(answer.demands)
        return summary

    async def _aextract(
        self, messages: list[dict[str, str]], call_log: CallLog, follow_up: bool
    ) -> ArticleSummary:
        """The async twin of _extract."""
        summary = await self.client.aextract(messages, ArticleSummary, call_log)
        if follow_up and not summary.demands:
            question = _demands_question(messages)
            try:
                answer = await self.client.aextract(question, DemandsAnswer, call_log)
            except SummarizationFailed as error:
                _follow_up_failed(error)
            else:
                summary.add_demands(answer.demands)
        return summary

    def _may_ask_for_demands(self, article: Article) -> bool:
        """Whether an answer listing no demand is followed by the question for demands.

        A small model often leaves `demands`, the last list of its answer, empty where the
        article says plainly who demands what; asked for them alone, it finds some. Asked
        of an article that reports none, it invents one: so only an article that uses a
        word of demand is asked (docs/experiments/2026-11-26-demands-follow-up.md). An
        answer that lists demands is never asked again: shown its own answer, the model
        copies it.
        """
        return self.settings.demands_follow_up and _DEMAND_WORDS.search(article.text) is not None

    @functools.cached_property
    def _system_tokens(self) -> int:
        """The system prompt's tokens: the same for every article, so counted once."""
        return self.client.backend.count_tokens(system_prompt())

    def _quote_check(self, article: Article, call_log: CallLog) -> AnswerCheck:
        reasks = min(self.settings.grounding_reasks, self.settings.max_reasks)
        return quote_check(article.text, lambda: call_log.round_attempts, reasks)

    def _messages(self, article: Article) -> list[list[dict[str, str]]]:
        """The messages for each part: one part unless the article exceeds the context."""
        system = system_prompt()
        whole = user_prompt(article, article.text)
        backend = self.client.backend
        available = backend.context_window - self.settings.max_output_tokens - _CONTEXT_MARGIN
        # The embedded model's tokenizer counts ~2 µs a character, 18 ms for a news article:
        # skip the count when the bytes alone fit, as a token covers at least one byte.
        one_part = [[{"role": "system", "content": system}, {"role": "user", "content": whole}]]
        if self._system_tokens + len(whole.encode()) + 2 <= available:
            return one_part
        overhead = self._system_tokens + backend.count_tokens(user_prompt(article, ""))
        if overhead + backend.count_tokens(article.text) <= available:
            return one_part
        budget = available - overhead - 16  # the part header line
        if budget < 200:
            raise InputError(
                f"the context window ({backend.context_window} tokens) is too small for the "
                "prompt; raise --context-window or lower --max-output-tokens"
            )
        texts = split_text(article.text, budget, backend.count_tokens)
        log.info("article too long for one request: split into %d parts", len(texts))
        return [
            [
                {"role": "system", "content": system},
                {"role": "user", "content": user_prompt(article, text, index, len(texts))},
            ]
            for index, text in enumerate(texts, 1)
        ]

    def _finish(
        self, article: Article, parts: list[ArticleSummary], call_log: CallLog, started: float
    ) -> SummaryResult:
        summary = drop_repeats(merge_summaries(parts))
        describe_unlisted_people(summary, article.text)
        split_titled_names(summary)
        drop_places(summary)
        return self.result(article, summary, call_log, started, prompt_hash(), parts=len(parts))

    def result(
        self,
        article: Article,
        summary: ArticleSummary,
        call_log: CallLog,
        started: float,
        prompt_version: str,
        *,
        parts: int = 1,
    ) -> SummaryResult:
        """The envelope of a finished summary: its dates resolved, grounded, with provenance.

        Every strategy ends here, so every result is dated and grounded alike.
        """
        for event in summary.events:
            event.date = dates.resolve(
                event.when, article.published, planned=event.status == "planned"
            )
        grounding = ground(summary, article.text, drop_ungrounded=self.settings.drop_ungrounded)
        backend = self.client.backend
        return SummaryResult(
            article=article.info,
            summary=summary,
            provenance=Provenance(
                model=backend.model,
                backend=backend.name,
                prompt_hash=prompt_version,
                input_hash=article.text_hash,
                usage=call_log.usage,
                attempts=call_log.attempts,
                reasks=call_log.reasks,
                cache_hit=call_log.cache_hit,
                parts=parts,
                seconds=round(time.perf_counter() - started, 3),
                created=dt.datetime.now(dt.UTC),
            ),
            grounding=grounding,
        )


# The words news text reports a demand with ("called on the council to", "urged").
_DEMAND_WORDS = re.compile(
    r"\b(?:demand(?:s|ed)?|call(?:s|ed)? (?:on|for)|urg(?:e|es|ed)"
    r"|ask(?:s|ed)? (?:\w+ ){0,3}(?:to|for)|insist(?:s|ed)?|appeal(?:s|ed)? (?:to|for)"
    r"|want(?:s|ed)? \w+ to|ultimatum)\b",
    re.IGNORECASE,
)


def _demands_question(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The first request's system and article messages, then the question for demands.

    Its start is the first request's, word for word, so a local model reuses its cached
    state and reads only the question.
    """
    return [*messages[:2], {"role": "user", "content": prompts.render("demands.user.j2")}]


def _follow_up_failed(error: SummarizationFailed) -> None:
    # The summary stands without the follow-up's demands: nothing already answered is lost.
    log.warning("the follow-up question for demands went unanswered: %s", error)


def summarize(text_or_article: str | Article, **options: Any) -> SummaryResult:
    """Summarise one article.

    Args:
        text_or_article: The article text, or an Article with its metadata.
        **options: Any Settings field (model, base_url, cache, max_reasks, ...), overriding
            the environment and the config file.

    Returns:
        The SummaryResult: `.summary` holds actors, positions, demands and events;
        `.provenance` tells which model made it, with which prompts, at what cost.

    """
    return Summarizer(**options).summarize(text_or_article)


async def asummarize(text_or_article: str | Article, **options: Any) -> SummaryResult:
    """Async form of summarize."""
    return await Summarizer(**options).asummarize(text_or_article)


def summarize_many(
    articles: Iterable[str | Article],
    *,
    on_done: Callable[[int, Outcome], None] | None = None,
    **options: Any,
) -> list[Outcome]:
    """Summarise many articles concurrently (bounded by the `concurrency` setting).

    Returns one outcome per article in input order: a SummaryResult or a SummarizerError.
    """
    return Summarizer(**options).summarize_many(articles, on_done=on_done)
