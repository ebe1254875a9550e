"""The garbage collector during a batch: its full passes leave out what the batch found.

Now and then Python's cyclic collector walks every object the process holds (a full pass).
In a process that imported openai, Instructor and pydantic, let alone spaCy, that walk is
a pause in which the event loop runs nothing: every request in flight waits for it, and
with many answers arriving at once it costs the batch as much as the client's own CPU
(benchmarks/concurrency.py). The objects alive when a batch starts (modules, classes,
clients, the cache) outlive it, so walking them again finds no garbage. `gc.freeze` sets
them aside for the batch and `gc.unfreeze` hands them back when it ends, so nothing is
kept past the batch. A program that froze objects itself keeps its freeze: then nothing
is done here.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def older_objects_set_aside() -> Iterator[None]:
    """Within the block, the collector's passes skip the objects that were alive before it."""
    if gc.get_freeze_count():  # the program's own freeze, or a batch running already
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
