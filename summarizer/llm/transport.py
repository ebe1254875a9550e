"""The HTTP transport to OpenAI-compatible endpoints, and how its failures are classified.

Every failure becomes a TransportError that says whether it is worth retrying (and how long
the server asked to wait); tenacity, in the client, does the retrying.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from ..config import ResponseFormat, Settings
from ..errors import TransportError
from .profiles import Profile, legacy_profile

# Posted to directly with our request as the body (openai's documented way to make any
# request): `chat.completions.create` first walks the request, the JSON schema included,
# through openai's typed-params transform, CPU spent on every request that changes nothing
# in a request of plain JSON values. Its answer comes back as the parsed JSON body.
_CHAT_COMPLETIONS = "/chat/completions"


class OpenAICompatibleBackend:
    """OpenAI itself, or any server that speaks its chat completions API.

    `profile` says what the server accepts (summarizer/llm/profiles.py) and
    `context_window` how much it reads; build_backend finds both. Without them, the
    profile follows the `response_format` setting and the window is the configured one.
    """

    def __init__(
        self,
        settings: Settings,
        model: str,
        profile: Profile | None = None,
        context_window: int | None = None,
    ) -> None:
        self.model = model
        self.name = "openai" if settings.base_url is None else "openai-compatible"
        self.profile = profile or legacy_profile(settings.response_format)
        self.context_window = context_window or settings.context_window or 8_192
        self.response_format: ResponseFormat = self.profile.response_format
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
            raise self._scrubbed(transport_error(error)) from None
        except json.JSONDecodeError:
            raise _not_json() from None

    async def acomplete(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request without blocking the event loop."""
        try:
            return _raw(await self._async().post(_CHAT_COMPLETIONS, body=request, cast_to=object))
        except openai.OpenAIError as error:
            raise self._scrubbed(transport_error(error)) from None
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
            f"the endpoint sent a malformed completion: {first_problem(error)}", transient=True
        ) from None
    return completion.model_dump(mode="json", exclude_none=True, warnings=False)


def _not_json() -> TransportError:
    # A proxy or an overloaded server can cut or garble a body; worth another attempt.
    return TransportError("the endpoint sent a response body that is not JSON", transient=True)


def first_problem(error: ValidationError) -> str:
    """One line out of a pydantic ValidationError: how many problems, and the first."""
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def transport_error(error: openai.OpenAIError) -> TransportError:
    """Classify an openai error: which are worth retrying, and how long the server asked."""
    if isinstance(error, openai.APITimeoutError):
        return TransportError("the model endpoint timed out", transient=True)
    if isinstance(error, openai.APIConnectionError):
        # openai says only "Connection error."; the httpx error under it says what happened.
        cause = error.__cause__
        detail = f"{type(cause).__name__}: {cause}" if cause and str(cause) else str(error)
        return TransportError(f"cannot reach the model endpoint: {short(detail)}", transient=True)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        transient = status in (408, 409, 429) or status >= 500
        retry_after = _retry_after(error.response.headers.get("retry-after"))
        asked = f" (Retry-After {retry_after:.0f}s)" if retry_after else ""
        return TransportError(
            f"the model endpoint answered HTTP {status}{asked}: {short(_status_message(error))}",
            transient=transient,
            retry_after=retry_after,
        )
    if isinstance(error, openai.APIResponseValidationError):
        return TransportError("the endpoint sent a malformed response body", transient=True)
    return TransportError(f"model call failed: {short(str(error))}", transient=False)


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


def short(text: str, limit: int = 200) -> str:
    """The text on one line, cut to `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
