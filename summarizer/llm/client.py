"""The model client: structured answers through Instructor, the response cache and retries.

A summarisation is one Instructor call. Instructor re-asks on invalid output; every request
it makes, re-asks included, goes through `create`, which consults the response cache and
retries transport errors with tenacity. The openai client's own retries are off, so the
two retry layers never multiply.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import functools
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import instructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.core.hooks import Hooks
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from ..cache import ResponseCache, request_key
from ..config import ResponseFormat, Settings
from ..errors import SummarizationFailed, SummarizerError, TransportError
from ..retry import async_transport_retrying, transport_retrying
from ..schema import Usage
from . import instructor_shim
from .profiles import Profile, legacy_profile
from .transport import first_problem, short

log = logging.getLogger("summarizer.llm")
T = TypeVar("T", bound=BaseModel)
# Instructor logs every failed attempt as an error. We turn those into one SummarizerError,
# so in a program that set up no logging, Python's last-resort handler must not print them.
logging.getLogger("instructor").addHandler(logging.NullHandler())


class Backend(Protocol):
    """Something that answers an OpenAI-style chat completion request with a raw dict."""

    name: str
    model: str
    context_window: int
    response_format: ResponseFormat

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer one request; raise TransportError when it could not be answered."""
        ...

    async def acomplete(self, request: dict[str, Any]) -> dict[str, Any]:
        """The async twin of complete."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens this text takes in the model's vocabulary (estimated where unknown).

        Never more than the text's UTF-8 bytes plus one: the pipeline relies on it to skip
        counting an article that fits anyway.
        """
        ...


@dataclass
class CallLog:
    """What the model calls of one summarisation cost; filled in by _create."""

    attempts: int = 0
    round_attempts: int = 0  # attempts within the current extract call
    reasks: int = 0  # attempts that asked again after an invalid answer
    cache_hits: int = 0
    transport_attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    pending: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    @property
    def cache_hit(self) -> bool:
        """True when no call reached the model."""
        return self.attempts > 0 and self.cache_hits == self.attempts


@functools.cache
def _prepared(model: type[T]) -> type[T]:
    """The response model as Instructor wraps it, wrapped once, its JSON schema built once.

    Instructor wraps the model and regenerates its JSON schema on every call unless it is
    given an already wrapped model: most of the pipeline's own CPU time per request
    (benchmarks/overhead.py). The schema, hence every request key, is unchanged.
    """
    wrapped = instructor.openai_schema(model)
    # Kept as text: each request gets its own copy to put in its body, and parsing the text
    # is cheaper than a deepcopy of the dict.
    schema = json.dumps(wrapped.model_json_schema())
    generate = wrapped.model_json_schema

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return generate(*args, **kwargs)
        loaded: dict[str, Any] = json.loads(schema)
        return loaded

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[assignment,method-assign]
    return wrapped


def _ready(model: type[T]) -> type[T]:
    """The prepared model, registered with the Instructor shim when a program installed it."""
    prepared = _prepared(model)
    instructor_shim.register(prepared)
    return prepared


class ModelClient:
    """Extracts Pydantic models from a backend, through the cache and both retry layers."""

    def __init__(self, settings: Settings, backend: Backend, cache: ResponseCache) -> None:
        self.settings = settings
        self.backend = backend
        self.cache = cache
        # A backend without a profile (the embedded model, test fakes) names its schema form.
        found: Profile | None = getattr(backend, "profile", None)
        self.profile = found or legacy_profile(backend.response_format)

    def extract(self, messages: list[dict[str, str]], response_model: type[T], log: CallLog) -> T:
        """One structured answer; raises SummarizationFailed when every attempt failed."""
        log.round_attempts = 0

        def create(**request: Any) -> ChatCompletion:
            request = self._prepare(request, log)
            key = self._key(request)
            cached = self._lookup(key, log)
            if cached is not None:
                return cached
            for attempt in transport_retrying(self.settings):
                with attempt:
                    log.transport_attempts += 1
                    raw = self.backend.complete(request)
            return self._received(key, request, raw, log)

        patched = instructor.patch(create=create, mode=instructor.Mode.JSON_SCHEMA)
        try:
            result = patched(messages=messages, **self._asking(response_model))
        except Exception as error:
            raise self._failure(error, log) from error
        self._commit(log)
        return result

    async def aextract(
        self, messages: list[dict[str, str]], response_model: type[T], log: CallLog
    ) -> T:
        """The async twin of extract."""
        log.round_attempts = 0

        async def create(**request: Any) -> ChatCompletion:
            request = self._prepare(request, log)
            key = self._key(request)
            cached = self._lookup(key, log)
            if cached is not None:
                return cached
            async for attempt in async_transport_retrying(self.settings):
                with attempt:
                    log.transport_attempts += 1
                    raw = await self.backend.acomplete(request)
            return self._received(key, request, raw, log)

        patched: Any = instructor.patch(create=create, mode=instructor.Mode.JSON_SCHEMA)
        try:
            result: T = await patched(messages=messages, **self._asking(response_model))
        except Exception as error:
            raise self._failure(error, log) from error
        if log.pending:  # writing files: off the event loop
            await asyncio.to_thread(self._commit, log)
        return result

    def _asking(self, response_model: type[BaseModel]) -> dict[str, Any]:
        """What every Instructor call is given besides the messages."""
        return {
            "response_model": _ready(response_model),
            "max_retries": self.settings.max_reasks,
            "strict": False,
            "hooks": _reask_logging(),
        }

    def _prepare(self, request: dict[str, Any], log: CallLog) -> dict[str, Any]:
        """The request as the backend's profile shapes it: model, limits, sampling, schema."""
        log.attempts += 1
        log.round_attempts += 1
        log.reasks += log.round_attempts > 1
        return self.profile.shape(
            request, self.backend.model, self.settings, first=log.round_attempts == 1
        )

    def _key(self, request: dict[str, Any]) -> str:
        # Hashing the request (its schema included) is skipped when nothing is looked up.
        return "" if self.cache.mode == "off" else request_key(request)

    def _lookup(self, key: str, log: CallLog) -> ChatCompletion | None:
        cached = self.cache.lookup(key)
        if cached is None:
            return None
        log.cache_hits += 1
        return self._completion(cached, log)

    def _received(
        self, key: str, request: dict[str, Any], raw: dict[str, Any], log: CallLog
    ) -> ChatCompletion:
        # Stored only once the whole exchange validates, so a failed answer is never cached.
        # Instructor appends its re-ask messages to this same list later: store a copy.
        if self.cache.stores:
            log.pending.append((key, copy.deepcopy(request), raw))
        return self._completion(raw, log)

    def _completion(self, raw: dict[str, Any], log: CallLog) -> ChatCompletion:
        try:
            completion = ChatCompletion.model_validate(raw)
        except ValidationError as error:
            raise TransportError(
                f"the completion is malformed: {first_problem(error)}", transient=False
            ) from None
        if completion.usage is not None:
            log.usage += _usage(completion.usage)
        return completion

    def _commit(self, log: CallLog) -> None:
        meta = {
            "backend": self.backend.name,
            "model": self.backend.model,
            "recorded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        for key, request, raw in log.pending:
            self.cache.store(key, request, raw, meta)
        log.pending.clear()

    def _failure(self, error: Exception, log: CallLog) -> SummarizerError:
        """Turn whatever ended the attempts into one clear SummarizerError."""
        cause: BaseException | None = error
        if isinstance(error, InstructorRetryException):
            cause = error.__cause__ or error
        if isinstance(cause, SummarizerError) and not isinstance(cause, TransportError):
            return cause
        usage = log.usage.model_dump()
        if isinstance(cause, TransportError):
            tries = _attempts(log.transport_attempts)
            outcome = "could not be reached" if cause.transient else "refused the request"
            return SummarizationFailed(
                f"{self.backend.model} {outcome} after {tries}: {cause}",
                attempts=log.transport_attempts,
                last_error=cause,
                usage=usage,
            )
        if isinstance(error, IncompleteOutputException):
            thinking = " (its reasoning included; or raise reasoning_tokens)"
            return SummarizationFailed(
                f"{self.backend.model} hit the output limit of "
                f"{self.profile.output_limit(self.settings)} tokens before finishing its answer"
                f"{thinking if self.profile.reasoning else ''}; raise --max-output-tokens",
                attempts=log.attempts,
                last_error=error,
                usage=usage,
            )
        return SummarizationFailed(
            f"{self.backend.model} gave no valid answer in {log.attempts} attempts: "
            f"{short(_describe(cause))}",
            attempts=log.attempts,
            last_error=cause,
            usage=usage,
        )


def _usage(reported: CompletionUsage) -> Usage:
    """Our Usage from a completion's, with cached and reasoning tokens where it gives them."""
    cached = reported.prompt_tokens_details and reported.prompt_tokens_details.cached_tokens
    reasoning = (
        reported.completion_tokens_details and reported.completion_tokens_details.reasoning_tokens
    )
    return Usage(
        prompt_tokens=reported.prompt_tokens,
        completion_tokens=reported.completion_tokens,
        total_tokens=reported.total_tokens,
        cached_tokens=cached or 0,
        reasoning_tokens=reasoning or 0,
    )


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def _reask_logging() -> Hooks:
    hooks = Hooks()

    def invalid(error: Exception, **attempt: Any) -> None:
        if not attempt.get("is_last_attempt"):
            log.warning(
                "answer %s was invalid, re-asking: %s",
                attempt.get("attempt_number"),
                short(_describe(error), 300),
            )

    hooks.on("parse:error", invalid)
    return hooks


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, json.JSONDecodeError):
        return f"invalid JSON ({error.msg})"
    text = str(error).splitlines()
    return "; ".join(line.strip() for line in text[:3] if line.strip()) or type(error).__name__
