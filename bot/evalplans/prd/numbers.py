"""Numbers as PRDs write them, in English, German or Dutch: amounts, percentages, durations and money.

A value is kept as the PRD wrote it (`0,02 €`, `≤ 800 ms`) for showing, and parsed for the
machine-readable outputs (latency in ms, cost as an amount and currency).

These patterns see whole PRDs and Slack threads, so each runs in time linear in its input (see
`bot.evalplans.prd.markdown` for the tools); tests/test_regex_safety.py times them on hostile text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.evalplans.prd.markdown import plain
from bot.evalplans.prd.words import Language

PERCENTILE = re.compile(r"\bp(50|90|95|99)\b", re.I)
DURATION = re.compile(
    r"(?<!\d)(\d++(?:[.,]\d++)?)\s*+(ms|millisec\w*|millisek\w*|s|sec|secs|seconds?|sekunden?|seconden?|"
    r"min|mins|minutes?|minuten|minuut|h|hours?|stunden?|uur)\b",
    re.I,
)
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}
# An amount before its currency starts at the first digit of a number and spans at most 32 characters:
# scanning to the end of "1.1.1.1…" from each of its digits would take quadratic time.
_MONEY = re.compile(
    r"(?P<c1>[$€£])\s?(?P<n1>\d[\d.,]*\d|\d)"
    r"|(?<!\d)(?P<n2>\d[\d.,]{0,30}\d|\d)\s?(?P<c2>€|EUR\b|USD\b|£|ct\b|cents?\b)"
)
_CURRENCY = {"$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "ct": "EUR-cent", "cent": "USD-cent"}
PERCENT = re.compile(r"(?<!\d)(\d++(?:[.,]\d++)?)\s?%")
_MEDIAN = re.compile(r"\bmedian\w*|\bmediaan\w*", re.I)
_CLAUSE = re.compile(r";|,(?!\d)|\.\s|\band\b|\bund\b|\ben\b")


@dataclass(frozen=True)
class Duration:
    """A latency target: percentile, milliseconds, and the PRD's own words."""

    percentile: str
    ms: float
    text: str


@dataclass(frozen=True)
class Money:
    """A cost target: amount, currency, and the PRD's own words."""

    amount: float
    currency: str
    text: str


def parse_number(raw: str, language: Language = "en") -> float | None:
    """`1,2` → 1.2 in German and Dutch; `1,200` → 1200 in English; `1.100` → 1100 in German."""
    raw = raw.strip().rstrip(".,")
    if not raw:
        return None
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif "," in raw:
        decimal = "." if language == "en" and re.fullmatch(r"\d{1,3}(,\d{3})+", raw) else ","
    elif "." in raw:
        decimal = "," if language != "en" and re.fullmatch(r"\d{1,3}(\.\d{3})+", raw) else "."
    else:
        decimal = "."
    thousands = "," if decimal == "." else "."
    try:
        return float(raw.replace(thousands, "").replace(decimal, "."))
    except ValueError:
        return None


def unit_ms(unit: str) -> float:
    """Milliseconds in one of `DURATION`'s units (`ms`, `Sekunden`, `minuut`, `uur` …)."""
    unit = unit.lower()
    if unit.startswith("ms") or unit.startswith("milli"):
        return _UNIT_MS["ms"]
    if unit.startswith(("min", "minuut")):
        return _UNIT_MS["min"]
    if unit.startswith(("h", "stund", "uur")):
        return _UNIT_MS["h"]
    return _UNIT_MS["s"]


def duration_ms(text: str, language: Language = "en") -> float | None:
    """The first duration in `text` in milliseconds: `1,5 s` → 1500 in German, `2 minutes` → 120000."""
    span = DURATION.search(text)
    value = parse_number(span.group(1), language) if span else None
    return None if span is None or value is None else value * unit_ms(span.group(2))


def durations(text: str, language: Language = "en") -> list[Duration]:
    """The percentile latency targets in a sentence like `p95 <= 1.2 s; p50 under 2 minutes`."""
    found: list[Duration] = []
    for clause in _CLAUSE.split(text):
        percentiles = PERCENTILE.findall(clause)
        if not percentiles and _MEDIAN.search(clause):
            percentiles = ["50"]
        spans = list(DURATION.finditer(clause))
        for percentile, span in zip(percentiles, spans, strict=False):
            value = parse_number(span.group(1), language)
            if value is not None:
                found.append(Duration(f"p{percentile}", value * unit_ms(span.group(2)), plain(clause)))
    return found


def money(text: str, language: Language = "en") -> Money | None:
    """The first amount of money in `text`, e.g. `höchstens 0,02 € pro Dokument` → 0.02 EUR."""
    match = _MONEY.search(text)
    if not match:
        return None
    number = match.group("n1") or match.group("n2")
    symbol = match.group("c1") or match.group("c2")
    amount = parse_number(number, language)
    if amount is None:
        return None
    currency = _CURRENCY.get(symbol.strip().rstrip("s"), symbol)
    if currency.endswith("-cent"):
        amount, currency = amount / 100, currency.split("-")[0]
    return Money(amount, currency, match.group(0).strip())


def percentages(text: str) -> list[str]:
    """The percentages in `text` as written, spaces dropped: `5 % of tenants` → `["5%"]`."""
    return [match.group(0).replace(" ", "") for match in PERCENT.finditer(text)]
