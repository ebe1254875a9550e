"""What a summary cost: a small table of model prices, overridable in the config file.

Prices are US dollars per million tokens: input, output, and cached input (prompt tokens
the provider read from its cache, which it reports as `prompt_tokens_details.cached_tokens`
and bills at a lower rate). Add or correct one in config.toml (the same file as the
settings); `cached_input` is optional and defaults to the input price:

    [prices."gpt-6-luna"]
    input = 0.10
    cached_input = 0.01
    output = 0.50
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .config import config_file
from .schema import Usage

log = logging.getLogger("summarizer.pricing")


@dataclass(frozen=True)
class Price:
    """US dollars per million input, output and cached input tokens."""

    input: float
    output: float
    cached_input: float | None = None

    def cost(self, usage: Usage) -> float:
        """Dollars for this usage; cached prompt tokens at the cached-input price."""
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        fresh = (usage.prompt_tokens - cached) * self.input
        return (fresh + cached * cached_price + usage.completion_tokens * self.output) / 1e6


# OpenAI's standard list prices, as the stored copies of its pages gave them on 2026-12-02
# (correct them in config.toml when they change):
# - gpt-6-luna: developers.openai.com/api/docs/models/gpt-6-luna;
# - gpt-6-sol: OpenAI's pricing of 2026-09-22 as quoted by LiteLLM's release note
#   (docs.litellm.ai/blog/gpt_6_sol_luna) and codexometer v0.18.4;
# - gpt-5.6-luna: developers.openai.com/api/docs/models/gpt-5.6-luna (after the 2026-07-30 cut);
# - gpt-5-nano: developers.openai.com/api/docs/models/gpt-5-nano;
# - gpt-5-mini, gpt-4.1: GitHub's Copilot price table (github/docs models-and-pricing.yml);
# - gpt-5, gpt-4.1-mini, gpt-4.1-nano, gpt-4o, gpt-4o-mini, o3, o4-mini: OpenAI's pricing page
#   as copied by openai-cost and adk-model (docs.rs) and earlier versions of this table.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-6-luna": Price(0.10, 0.50, cached_input=0.01),
    "gpt-6-sol": Price(2.00, 10.00, cached_input=0.20),
    "gpt-5.6-luna": Price(0.20, 1.20, cached_input=0.02),
    "gpt-5": Price(1.25, 10.00, cached_input=0.125),
    "gpt-5-mini": Price(0.25, 2.00, cached_input=0.025),
    "gpt-5-nano": Price(0.05, 0.40, cached_input=0.005),
    "o3": Price(2.00, 8.00, cached_input=0.50),
    "o4-mini": Price(1.10, 4.40, cached_input=0.275),
    "gpt-4.1": Price(2.00, 8.00, cached_input=0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, cached_input=0.10),
    "gpt-4.1-nano": Price(0.10, 0.40, cached_input=0.025),
    "gpt-4o": Price(2.50, 10.00, cached_input=1.25),
    "gpt-4o-mini": Price(0.15, 0.60, cached_input=0.075),
}


def price_table() -> dict[str, Price]:
    """The default prices, overridden and extended by `[prices]` in the config file."""
    table = dict(DEFAULT_PRICES)
    path = config_file()
    try:
        configured = tomllib.loads(path.read_text(encoding="utf-8")).get("prices", {})
    except FileNotFoundError:
        return table
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        log.warning("ignoring prices in %s: %s", path, error)
        return table
    if not isinstance(configured, Mapping):
        log.warning("ignoring prices in %s: [prices] is not a table", path)
        return table
    for model, entry in configured.items():
        price = _price(entry)
        if price is None:
            log.warning(
                "ignoring price of %s in %s: give `input` and `output` as numbers", model, path
            )
        else:
            table[model] = price
    return table


def _price(entry: object) -> Price | None:
    """A configured price, if it gives `input` and `output` (and any `cached_input`) as numbers."""
    if not isinstance(entry, Mapping):
        return None
    given = [entry.get("input"), entry.get("output"), entry.get("cached_input", 0.0)]
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in given):
        return None
    cached = entry.get("cached_input")
    return Price(float(given[0]), float(given[1]), None if cached is None else float(cached))


def price_of(model: str, table: Mapping[str, Price] | None = None) -> Price | None:
    """The model's price; local models cost nothing; None when unknown."""
    if model == "local" or model.startswith("local:"):
        return Price(0.0, 0.0)
    return (table if table is not None else price_table()).get(model)


def estimate_cost(
    model: str, usage: Usage, table: Mapping[str, Price] | None = None
) -> float | None:
    """Estimated dollars for this usage on this model, or None when its price is unknown."""
    price = price_of(model, table)
    return None if price is None else price.cost(usage)


def total_usage(usages: Iterable[Usage]) -> Usage:
    """The sum of several usages."""
    total = Usage()
    for usage in usages:
        total += usage
    return total


def describe_tokens(usage: Usage) -> str:
    """`1,200 prompt (800 cached) + 300 output (120 reasoning)`: what the cost is made of."""
    cached = f" ({usage.cached_tokens:,} cached)" if usage.cached_tokens else ""
    reasoning = f" ({usage.reasoning_tokens:,} reasoning)" if usage.reasoning_tokens else ""
    return f"{usage.prompt_tokens:,} prompt{cached} + {usage.completion_tokens:,} output{reasoning}"


def describe_cost(cost: float | None, model: str) -> str:
    """`$0.0123`, `$0 (local model)`, or a hint to add the price."""
    if cost is None:
        return f"cost unknown (no price for {model}; add one under [prices] in config.toml)"
    if model.startswith("local"):
        return "$0 (local model)"
    return f"est. ${cost:.4f}"
