"""What a summary cost: current OpenAI prices, cached input, and the CLI's usage line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.llm import DEFAULT_OPENAI_MODEL
from summarizer.pricing import (
    DEFAULT_PRICES,
    Price,
    describe_cost,
    describe_tokens,
    estimate_cost,
    price_table,
)
from summarizer.schema import Usage

from .conformance import openai_server
from .conftest import SEED

MILLION = 1_000_000


def test_the_default_model_has_a_current_price_with_cached_input():
    price = DEFAULT_PRICES[DEFAULT_OPENAI_MODEL]
    assert price.cached_input is not None and price.cached_input < price.input
    assert all(p.cached_input is not None for p in DEFAULT_PRICES.values())


def test_cached_prompt_tokens_cost_the_cached_input_price():
    usage = Usage(prompt_tokens=MILLION, completion_tokens=MILLION, cached_tokens=MILLION // 4)
    price = Price(input=1.0, output=4.0, cached_input=0.1)
    assert price.cost(usage) == pytest.approx(0.75 * 1.0 + 0.25 * 0.1 + 4.0)
    assert Price(1.0, 4.0).cost(usage) == pytest.approx(1.0 + 4.0)  # no cached price: input's
    assert estimate_cost("gpt-6-luna", usage) == pytest.approx(0.75 * 0.10 + 0.25 * 0.01 + 0.50)


def test_cost_is_estimated_from_the_price_table():
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000, total_tokens=1_500_000)
    assert estimate_cost("gpt-4.1-mini", usage) == pytest.approx(0.40 + 0.80)
    assert estimate_cost("local:qwen", usage) == 0.0
    assert estimate_cost("some-unknown-model", usage) is None
    assert "no price for some-unknown-model" in describe_cost(None, "some-unknown-model")
    assert describe_cost(0.0123456, "gpt-4.1-mini") == "est. $0.0123"


def test_prices_can_be_set_in_the_config_file_cached_input_included(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        'model = "gpt-4.1-mini"\n\n[prices."my-model"]\ninput = 1.0\noutput = 2.0\n\n'
        '[prices."gpt-4.1-mini"]\ninput = 0.5\noutput = 2.5\n\n'
        '[prices."mine"]\ninput = 1.0\noutput = 2.0\ncached_input = 0.5\n\n'
        '[prices."bad"]\ninput = 1.0\noutput = 2.0\ncached_input = "cheap"\n'
    )
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(config))
    table = price_table()
    assert table["my-model"] == Price(1.0, 2.0)
    assert table["gpt-4.1-mini"] == Price(0.5, 2.5)
    assert table["mine"] == Price(1.0, 2.0, 0.5)
    assert "bad" not in table
    assert table["gpt-4o"].input == 2.50  # defaults stay


def test_the_usage_line_names_cached_and_reasoning_tokens():
    usage = Usage(prompt_tokens=1200, completion_tokens=300, cached_tokens=800)
    usage.reasoning_tokens = 120
    assert describe_tokens(usage) == "1,200 prompt (800 cached) + 300 output (120 reasoning)"
    assert describe_tokens(Usage(prompt_tokens=5, completion_tokens=2)) == "5 prompt + 2 output"


def test_the_cli_counts_cached_tokens_in_the_cost_of_a_gpt_5_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_API_KEY", "sk-fake-conformance")
    with openai_server() as server:
        args = ["summarize", str(SEED), "-o", str(tmp_path / "out.md"), "--cache", "off"]
        args += ["--model", "gpt-5.6-luna", "--base-url", server.base_url]
        run = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert run.exit_code == 0, run.stderr
    # The scripted fake answer reports 100 prompt tokens, 40 of them cached.
    assert "100 prompt (40 cached) + 114 output (64 reasoning)" in run.stderr
    assert f"est. ${(60 * 0.20 + 40 * 0.02 + 114 * 1.20) / MILLION:.4f}" in run.stderr
