"""The transport retry policy: what is retried, how long to wait, when to give up."""

from __future__ import annotations

import logging

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from .config import Settings
from .errors import TransportError

log = logging.getLogger("summarizer.retry")


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, TransportError) and error.transient


class _BackoffHonouringRetryAfter:
    """Exponential backoff with jitter, unless the server said how long to wait."""

    def __init__(self, settings: Settings) -> None:
        self._backoff = wait_exponential_jitter(
            multiplier=settings.retry_initial_wait,
            max=settings.retry_max_wait,
            jitter=settings.retry_initial_wait,
        )
        self._ceiling = settings.transport_max_seconds

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransportError) and error.retry_after is not None:
            return min(error.retry_after, self._ceiling)
        return float(self._backoff(state))


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("attempt %d failed (%s); retrying in %.1fs", state.attempt_number, error, wait)


def _policy(settings: Settings) -> dict[str, object]:
    return {
        "retry": retry_if_exception(_is_transient),
        # stop_before_delay gives up rather than start a wait that would end past the
        # budget, so a long Retry-After fails at once instead of sleeping beyond the bound.
        "stop": stop_after_attempt(settings.transport_attempts)
        | stop_before_delay(settings.transport_max_seconds),
        "wait": _BackoffHonouringRetryAfter(settings),
        "before_sleep": _log_retry,
        "reraise": True,
    }


def transport_retrying(settings: Settings) -> Retrying:
    """A tenacity Retrying for one request; re-raises the last error when it gives up."""
    return Retrying(**_policy(settings))  # type: ignore[arg-type]


def async_transport_retrying(settings: Settings) -> AsyncRetrying:
    """The async twin of transport_retrying."""
    return AsyncRetrying(**_policy(settings))  # type: ignore[arg-type]
