"""The pipeline's recorder: each summary into the archive the settings name, or nowhere.

Recording never costs a summary: a failure to write the archive is a warning on stderr
(through logging), and the summary is returned as usual.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import Settings
    from ..pricing import Price
    from ..schema import SummaryResult
    from .db import Archive
    from .record import Origin

log = logging.getLogger("summarizer.archive")


def archive_path(settings: Settings) -> Path | None:
    """The archive the settings name (default: the user's); None when they turn it off."""
    from .db import default_path

    configured = settings.archive
    if configured == "off":
        return None
    return configured or default_path()


def open_existing(path: Path | None = None) -> Archive:
    """The archive at `path` (default: the configured one) to look back in.

    InputError when the archive is off and no path is given, or when there is none yet.
    """
    from ..config import load_settings
    from .record import open_archive

    path = path or archive_path(load_settings())
    if path is None:
        raise InputError('the archive is off (archive = "off"); name one with --archive')
    if not path.exists():
        raise InputError(f"{path}: no archive there yet; summaries are recorded in it as made")
    return open_archive(path)


class Recorder:
    """Records summaries for one Summarizer; opens the archive on the first one."""

    def __init__(self, settings: Settings, origin: Origin) -> None:
        self.settings = settings
        self.origin = origin
        self._archive: Archive | None = None
        self._prices: Mapping[str, Price] | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether the settings record summaries at all (`archive = "off"` does not)."""
        return archive_path(self.settings) is not None

    def record(self, result: SummaryResult, *, input_name: str | None = None) -> int | None:
        """Record one summary; its id, or None when off or when the archive failed."""
        if not self.enabled:
            return None
        from .record import record

        try:
            with self._lock:
                archive = self._open()
            return record(
                archive,
                result,
                origin=self.origin,
                strategy=self.settings.strategy,
                input_name=input_name,
                prices=self._prices,
            )
        except Exception as error:  # whatever went wrong, a bug included, the summary stays
            log.warning("the summary was not archived: %s", error)
            return None

    def _open(self) -> Archive:
        if self._archive is None:
            from ..pricing import price_table
            from .record import open_archive

            self._archive = open_archive(archive_path(self.settings))
            self._prices = price_table()  # the config file, read once per recorder
        return self._archive
