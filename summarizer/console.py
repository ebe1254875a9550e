"""The stderr console that progress and diagnostics go to (stdout is for data)."""

from __future__ import annotations

import functools

from rich.console import Console


@functools.cache
def stderr() -> Console:
    """The shared Console writing to standard error."""
    return Console(stderr=True)
