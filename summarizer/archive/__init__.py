"""The archive: every summary, with its article, provenance, cost and actors, in SQLite."""

from __future__ import annotations

from .db import MIGRATIONS, Archive, ArchiveError, default_path

__all__ = ["MIGRATIONS", "Archive", "ArchiveError", "default_path"]
