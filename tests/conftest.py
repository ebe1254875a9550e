"""Test isolation: temp user dirs, no keys, replayed fixtures, network limited to loopback.

SUMMARIZER_FIXTURES=record records, with the embedded model, every request not yet in
fixtures/ (so after `rm -f fixtures/*.json` it re-records them all, each request once; see
README, "Recording fixtures").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from summarizer import Article
from summarizer.articles import read_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEED = ROOT / "seeds" / "kursk-ceasefire-talks.txt"
RECORDING = os.environ.get("SUMMARIZER_FIXTURES") == "record"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets empty user dirs, no keys, and the fixture store in replay mode."""
    for name in list(os.environ):
        if name.startswith(("SUMMARIZER_", "OPENAI_")) and name != "SUMMARIZER_FIXTURES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    # The archive (and the digest's default state) live in the user data dir: never the real one.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # XDG_CACHE_HOME stays: it holds the assembled embedded model (1.1 GB), built once.
    monkeypatch.setenv("SUMMARIZER_MODEL", "local")
    monkeypatch.setenv("SUMMARIZER_CACHE", "auto" if RECORDING else "replay")
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(FIXTURES))


@pytest.fixture(autouse=True, scope="session")
def embedded_model_assembled() -> None:
    """Assemble the embedded model once, before any test times a run."""
    from summarizer.local import embedded_model_path

    embedded_model_path()


@pytest.fixture
def seed_article() -> Article:
    """The seed article as read from its file: its front matter gives headline and date."""
    return read_file(SEED)
