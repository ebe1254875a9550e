"""A shim over Instructor's private internals: walk a response model only once.

Instructor walks the whole response model (every nested field annotation, and every
attribute of every class in each model's MRO) to reject async validators, four times per
call. A class's validators are fixed when it is made, so one walk answers for every call.
In a batch, where many answers arrive at once from a fast server, the repeats are a large
part of our client's CPU on the event loop (benchmarks/concurrency.py and
benchmarks/overhead.py measure it), so `asummarize_many` installs the shim; a program may
also call `install()` for single calls. Nothing is patched at import.

The walk lives in Instructor's private modules, so `install()` patches only the Instructor
release it was tested against (TESTED_INSTRUCTOR); on any other it patches nothing and
returns False, and Instructor walks as before. Only models passed to `register()` (ours,
walked once there) skip the walk; any other is walked as before, and a model with an async
validator is still refused. The upstream fix would be for Instructor to memoise the walk
per class.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections.abc import Callable
from typing import Any, cast

TESTED_INSTRUCTOR = "1.17.0"
log = logging.getLogger("summarizer.llm")

_walk: Callable[[Any], None] | None = None
_walked: set[Any] = set()


def install() -> bool:
    """Have Instructor skip its walk for registered models; False when not applicable."""
    global _walk
    if _walk is not None:
        return True
    version = importlib.metadata.version("instructor")
    if version != TESTED_INSTRUCTOR:
        log.info(
            "instructor shim not installed: tested on %s, found %s", TESTED_INSTRUCTOR, version
        )
        return False
    from instructor.v2.core import patch as instructor_patch
    from instructor.v2.validation import async_validators

    walk = cast(Callable[[Any], None], async_validators.reject_async_validators)

    @functools.wraps(walk)
    def reject_async_validators(response_model: Any) -> None:
        try:
            if response_model in _walked:
                return
        except TypeError:  # an unhashable annotation: walk it
            pass
        walk(response_model)

    # Instructor's patch module imported the name; its other callers import it per call.
    async_validators.reject_async_validators = reject_async_validators
    instructor_patch.reject_async_validators = reject_async_validators
    _walk = walk
    return True


def installed() -> bool:
    """Whether install() has patched Instructor in this process."""
    return _walk is not None


def register(model: type[Any]) -> None:
    """Walk `model` once now (raising as Instructor would) and skip its later walks."""
    if _walk is not None and model not in _walked:
        _walk(model)
        _walked.add(model)
