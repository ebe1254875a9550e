"""What a summary cost: a small table of model prices, overridable in the config file.

Prices are US dollars per million tokens, input and output. Add or correct one in
config.toml (the same file as the settings):

    [prices."gpt-4.1-mini"]
    input = 0.40
    output = 1.60
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
    """US dollars per million input and output tokens."""

    input: float
    output: float

    def cost(self, usage: Usage) -> float:
        """Dollars for this usage."""
        return (usage.prompt_tokens * self.input + usage.completion_tokens * self.output) / 1e6


# Published list prices, checked 2025; correct them in config.toml when they change.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
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
    """A configured price, if it gives `input` and `output` as numbers."""
    if not isinstance(entry, Mapping):
        return None
    given_input, given_output = entry.get("input"), entry.get("output")
    if isinstance(given_input, bool) or isinstance(given_output, bool):
        return None
    if isinstance(given_input, int | float) and isinstance(given_output, int | float):
        return Price(float(given_input), float(given_output))
    return None


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


def describe_cost(cost: float | None, model: str) -> str:
    """`$0.0123`, `$0 (local model)`, or a hint to add the price."""
    if cost is None:
        return f"cost unknown (no price for {model}; add one under [prices] in config.toml)"
    if model.startswith("local"):
        return "$0 (local model)"
    return f"est. ${cost:.4f}"
