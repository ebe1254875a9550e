"""Request-keyed response cache, which doubles as the store of recorded test fixtures.

Each entry is one readable JSON file: the request as sent and the raw chat completion the
model returned, so replaying it still runs Instructor's parsing and validation.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import CacheMode
from .errors import CacheMiss

# Request keys that change how a request travels, not what the model answers.
_TRANSPORT_KEYS = {"timeout", "stream", "extra_headers", "user"}


def request_key(request: Mapping[str, Any]) -> str:
    """Hash of everything that shapes the answer: model, messages, schema, sampling."""
    relevant = {key: value for key, value in request.items() if key not in _TRANSPORT_KEYS}
    canonical = json.dumps(relevant, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CacheStats:
    """What a cache directory holds."""

    directory: Path
    entries: int
    bytes: int


class ResponseCache:
    """Read-through (auto), replay-only, record, or no caching (off)."""

    def __init__(self, mode: CacheMode, directory: Path) -> None:
        self.mode = mode
        self.directory = directory

    @property
    def stores(self) -> bool:
        """Whether store() writes anything in this mode."""
        return self.mode in ("auto", "record")

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The stored response for a key, None to call the model; raises CacheMiss in replay."""
        if self.mode in ("off", "record"):
            return None
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if self.mode == "replay":
                raise CacheMiss(key, str(self.directory)) from None
            return None
        except (OSError, json.JSONDecodeError):
            # A damaged entry is a miss, never a crash; the next store replaces it.
            if self.mode == "replay":
                raise CacheMiss(key, str(self.directory)) from None
            return None
        response: dict[str, Any] = entry["response"]
        return response

    def store(
        self,
        key: str,
        request: Mapping[str, Any],
        response: Mapping[str, Any],
        meta: Mapping[str, Any],
    ) -> None:
        """Write an entry atomically, so readers never see half a file."""
        if not self.stores:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        entry = {
            "key": key,
            "meta": dict(meta),
            "request": dict(request),
            "response": dict(response),
        }
        text = json.dumps(entry, indent=2, ensure_ascii=False, default=str) + "\n"
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; entries are plain data
            os.replace(temporary, self._path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def stats(self) -> CacheStats:
        """Count the entries and their size."""
        files = list(self.directory.glob("*.json")) if self.directory.is_dir() else []
        return CacheStats(self.directory, len(files), sum(f.stat().st_size for f in files))

    def clear(self) -> int:
        """Delete every entry; return how many were deleted."""
        files = list(self.directory.glob("*.json")) if self.directory.is_dir() else []
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"
