"""The Instructor shim: installed by batches, never at import, only on the tested release."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from instructor.v2.core import patch as instructor_patch
from instructor.v2.validation import async_validators
from pydantic import BaseModel

from summarizer import Article, Settings, Summarizer, SummaryResult
from summarizer.llm import instructor_shim

from .fakes import FAKE_VALID_COMPLETION, ScriptedBackend

ARTICLE = Article(
    text="Trump said he plans to meet with Russian President Vladimir Putin "
    "on Tuesday to discuss a ceasefire."
)


@pytest.fixture
def shim(monkeypatch: pytest.MonkeyPatch):
    """The shim module, with whatever install() patches restored after the test."""
    original = async_validators.reject_async_validators
    monkeypatch.setattr(async_validators, "reject_async_validators", original)
    monkeypatch.setattr(instructor_patch, "reject_async_validators", original)
    monkeypatch.setattr(instructor_shim, "_walk", None)
    monkeypatch.setattr(instructor_shim, "_walked", set())
    return instructor_shim


def scripted_summarizer(backend: ScriptedBackend, tmp_path) -> Summarizer:
    return Summarizer(Settings(cache="off", cache_dir=tmp_path), backend=backend)


def test_the_shim_was_tested_on_the_installed_instructor():
    # A new Instructor release turns the shim off (install() returns False); re-run this
    # file against it and move TESTED_INSTRUCTOR once the walk is where the shim expects.
    assert importlib.metadata.version("instructor") == instructor_shim.TESTED_INSTRUCTOR


def test_nothing_is_patched_unless_a_program_installs_it():
    program = (
        "from instructor.v2.validation import async_validators\n"
        "import summarizer, summarizer.llm\n"
        "from summarizer.llm import instructor_shim\n"
        "print(instructor_shim.installed(),"
        " hasattr(async_validators.reject_async_validators, '__wrapped__'))\n"
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert run.stdout.split() == ["False", "False"], run.stderr


def test_a_batch_installs_it_a_single_summary_does_not(shim, tmp_path):
    backend = ScriptedBackend(FAKE_VALID_COMPLETION, FAKE_VALID_COMPLETION)
    summarizer = scripted_summarizer(backend, tmp_path)
    summarizer.summarize(ARTICLE)
    assert not shim.installed()
    [outcome] = summarizer.summarize_many([ARTICLE])
    assert isinstance(outcome, SummaryResult) and shim.installed()
    assert hasattr(async_validators.reject_async_validators, "__wrapped__")


def test_installed_it_walks_our_response_model_once_not_on_every_call(shim, tmp_path, monkeypatch):
    assert shim.install()
    backend = ScriptedBackend(FAKE_VALID_COMPLETION, FAKE_VALID_COMPLETION)
    summarizer = scripted_summarizer(backend, tmp_path)
    summarizer.summarize(ARTICLE)  # registers (and walks) the response model once
    visited: list[object] = []
    real_get_origin = async_validators.get_origin

    def counting_get_origin(annotation: object) -> object:
        visited.append(annotation)
        return real_get_origin(annotation)

    monkeypatch.setattr(async_validators, "get_origin", counting_get_origin)
    summarizer.summarize(ARTICLE)
    assert len(backend.requests) == 2 and visited == []
    async_validators.reject_async_validators(Article)  # any other model is walked as before
    assert visited


def test_without_it_instructor_walks_on_every_call(shim, tmp_path, monkeypatch):
    backend = ScriptedBackend(FAKE_VALID_COMPLETION, FAKE_VALID_COMPLETION)
    summarizer = scripted_summarizer(backend, tmp_path)
    summarizer.summarize(ARTICLE)
    visited: list[object] = []
    real_get_origin = async_validators.get_origin
    monkeypatch.setattr(
        async_validators, "get_origin", lambda a: visited.append(a) or real_get_origin(a)
    )
    summarizer.summarize(ARTICLE)
    assert visited  # what the shim saves, when installed


def test_installed_a_model_with_an_async_validator_is_still_rejected(shim):
    from instructor.v2.validation.async_validators import async_field_validator

    class Checked(BaseModel):
        name: str

        @async_field_validator("name")
        async def known(cls, value: str) -> str:
            return value

    assert shim.install()
    with pytest.raises(ValueError, match="async validators"):
        shim.register(Checked)
    with pytest.raises(ValueError, match="async validators"):
        async_validators.reject_async_validators(Checked)


def test_another_instructor_release_is_left_unpatched(shim, monkeypatch):
    original = async_validators.reject_async_validators
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "1.99.0")
    assert not shim.install() and not shim.installed()
    assert async_validators.reject_async_validators is original
