"""Token prices per model: what an LLM call cost, in USD."""

from __future__ import annotations

import logging
from collections.abc import Mapping

log = logging.getLogger(__name__)

# USD per million tokens (input, output), from the providers' public price lists. Model names
# match by longest prefix, so dated snapshots (gpt-4o-mini-2024-07-18) find their family.
# LLM_PRICES (Settings.llm_prices) adds or overrides entries, e.g. for Azure deployments or a local model at 0.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-3.5-turbo": (0.50, 1.50),
}


class PriceTable:
    """Per-model token prices; `cost` is None for a model with no known price."""

    def __init__(self, overrides: Mapping[str, tuple[float, float]] | None = None) -> None:
        self.prices = {**DEFAULT_PRICES, **(overrides or {})}
        self._warned: set[str] = set()

    def price(self, model: str) -> tuple[float, float] | None:
        matches = [name for name in self.prices if model == name or model.startswith(name)]
        return self.prices[max(matches, key=len)] if matches else None

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float | None:
        price = self.price(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning("no price known for model %s: its cost counts as unknown (set LLM_PRICES)", model)
            return None
        return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000
