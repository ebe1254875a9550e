"""The exceptions summarizer raises; each message is one line a user can act on."""

from __future__ import annotations

from typing import Any


class SummarizerError(Exception):
    """Base class for every expected failure; the CLI prints it as one line."""


class InputError(SummarizerError):
    """An article could not be read, or holds no text to summarise."""


class ConfigError(SummarizerError):
    """The settings are invalid or contradict each other."""


class DeadlineExceeded(SummarizerError):
    """An article or a digest run used up its time budget; the message names which."""


class BackendUnavailable(SummarizerError):
    """No model could be reached or loaded; the message names what to configure."""


class CacheMiss(SummarizerError):
    """Replay mode found no recorded response for a request."""

    def __init__(self, key: str, directory: str) -> None:
        super().__init__(
            f"no recorded response for request {key} in {directory}; record it with "
            "`--cache record` (tests: `SUMMARIZER_FIXTURES=record pytest`)"
        )
        self.key = key


class TransportError(SummarizerError):
    """A request to the model endpoint failed before an answer arrived."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class SummarizationFailed(SummarizerError):
    """Every attempt failed: carries the attempts made, the last error and the tokens spent."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        last_error: BaseException | None,
        usage: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_error = last_error
        self.usage: dict[str, Any] = usage or {}
