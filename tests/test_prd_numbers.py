"""PRD numbers: amounts in English, German and Dutch notation, durations, percentages and money."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.evalplans.prd.numbers import duration_ms, durations, money, parse_number, percentages
from bot.evalplans.prd.words import Language

LANGUAGES: tuple[Language, ...] = ("en", "de", "nl")
NOT_ENGLISH: tuple[Language, ...] = ("de", "nl")


@pytest.mark.parametrize(
    ("raw", "language", "value"),
    [
        ("1.234,5", "de", 1234.5),
        ("1.234,5", "nl", 1234.5),
        ("1.234,5", "en", 1234.5),  # both marks: the later one is the decimal, whatever the language
        ("1,234.5", "de", 1234.5),
        ("1,200", "en", 1200.0),
        ("1,2", "en", 1.2),  # not a thousands group, so a decimal comma even in English
        ("1,200", "de", 1.2),
        ("1.100", "de", 1100.0),
        ("1.100", "nl", 1100.0),
        ("1.100", "en", 1.1),
        ("1.234.567", "de", 1234567.0),
        ("0,02", "de", 0.02),
        ("12.", "en", 12.0),  # the full stop that ends a sentence
        ("80", "nl", 80.0),
    ],
)
def test_parse_number_reads_each_languages_notation(raw: str, language: Language, value: float) -> None:
    assert parse_number(raw, language) == pytest.approx(value)


@pytest.mark.parametrize("raw", ["", " ", ".,", "1.2.3,4,5", "abc"])
def test_parse_number_gives_none_for_what_is_no_number(raw: str) -> None:
    assert parse_number(raw, "de") is None


@pytest.mark.parametrize(
    ("text", "language", "ms"),
    [
        ("800 ms", "en", 800.0),
        ("1.2 s", "en", 1200.0),
        ("1,5 Sekunden", "de", 1500.0),
        ("2 seconden", "nl", 2000.0),
        ("3 minutes", "en", 180_000.0),
        ("3 Minuten", "de", 180_000.0),
        ("1 minuut", "nl", 60_000.0),
        ("2 Stunden", "de", 7_200_000.0),
        ("1 uur", "nl", 3_600_000.0),
        ("250 milliseconds", "en", 250.0),
        ("within 4h", "en", 14_400_000.0),
    ],
)
def test_duration_ms_converts_every_unit(text: str, language: Language, ms: float) -> None:
    assert duration_ms(text, language) == pytest.approx(ms)


@pytest.mark.parametrize("text", ["3 Wochen", "2 weken", "soon", "p95 1200", "5 sessions"])
def test_no_duration_without_a_time_unit_it_knows(text: str) -> None:
    # Weeks are no latency unit: release plans speak of them, response times don't.
    assert duration_ms(text, "de") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p95 under 1.2 s", [("p95", 1200.0)]),
        ("p50 12ms and p99 1,5 s", [("p50", 12.0), ("p99", 1500.0)]),
        ("p95 " + "1" * 5_000, []),  # a number with no unit is no target
    ],
)
def test_latency_targets(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(item.percentile, item.ms) for item in durations(text, "de")] == expected


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("höchstens 0,02 € pro Dokument", 0.02, "EUR"),
        ("under $1,200 a month", 1200.0, "USD"),
        ("about 5 cents per call", 0.05, "USD"),
        ("1.1.1.1.1 or 3 €", 3.0, "EUR"),
    ],
)
def test_money(text: str, amount: float, currency: str) -> None:
    found = money(text, "de" if "€" in text else "en")
    assert found is not None and (found.amount, found.currency) == (amount, currency)


def test_an_amount_longer_than_any_price_is_no_amount() -> None:
    assert money("1" * 40 + " €") is None


def test_a_median_is_the_p50() -> None:
    assert [(item.percentile, item.ms) for item in durations("Median unter 2 Sekunden", "de")] == [("p50", 2000.0)]


def test_percentages_keep_the_prds_wording_without_spaces() -> None:
    assert percentages("5 % of tenants, then 25% and 100 %") == ["5%", "25%", "100%"]


# Properties: a number written in a language's notation reads back as the number.

_CENTS = st.integers(min_value=0, max_value=10**11)


def _grouped(whole: int, separator: str) -> str:
    return f"{whole:,}".replace(",", separator)


@given(_CENTS)
def test_english_notation_round_trips(cents: int) -> None:
    raw = f"{_grouped(cents // 100, ',')}.{cents % 100:02d}"
    assert parse_number(raw, "en") == pytest.approx(cents / 100)


@given(_CENTS, st.sampled_from(NOT_ENGLISH))
def test_german_and_dutch_notation_round_trips(cents: int, language: Language) -> None:
    raw = f"{_grouped(cents // 100, '.')},{cents % 100:02d}"
    assert parse_number(raw, language) == pytest.approx(cents / 100)


@given(st.integers(min_value=1000, max_value=10**12), st.sampled_from(NOT_ENGLISH))
def test_thousands_dots_without_decimals_are_thousands_in_german_and_dutch(whole: int, language: Language) -> None:
    assert parse_number(_grouped(whole, "."), language) == whole


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(LANGUAGES))
def test_plain_integers_read_the_same_in_every_language(whole: int, language: Language) -> None:
    assert parse_number(str(whole), language) == whole


_UNITS = {"ms": 1.0, "s": 1000.0, "Sekunden": 1000.0, "seconden": 1000.0, "min": 60_000.0, "uur": 3_600_000.0}


@given(
    st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=9), st.sampled_from(sorted(_UNITS))
)
def test_durations_scale_by_their_unit(whole: int, tenth: int, unit: str) -> None:
    value = whole + tenth / 10
    assert duration_ms(f"{whole},{tenth} {unit}", "de") == pytest.approx(value * _UNITS[unit])
    assert duration_ms(f"{whole}.{tenth} {unit}", "en") == pytest.approx(value * _UNITS[unit])


@given(st.sampled_from(["50", "90", "95", "99"]), st.integers(min_value=1, max_value=10**5))
def test_a_percentile_target_is_read_with_its_percentile(percentile: str, ms: int) -> None:
    found = durations(f"p{percentile} under {ms} ms", "en")
    assert [(item.percentile, item.ms) for item in found] == [(f"p{percentile}", float(ms))]


@given(st.integers(min_value=0, max_value=99_999), st.sampled_from(["€", " EUR"]))
def test_euro_amounts_in_german_notation(cents: int, symbol: str) -> None:
    found = money(f"höchstens {cents // 100},{cents % 100:02d}{symbol} pro Dokument", "de")
    assert found is not None and found.currency == "EUR" and found.amount == pytest.approx(cents / 100)


@given(st.text(max_size=200), st.sampled_from(LANGUAGES))
def test_any_text_parses_without_error(text: str, language: Language) -> None:
    parse_number(text, language)
    for item in durations(text, language):
        assert item.ms >= 0 and item.percentile in {"p50", "p90", "p95", "p99"}
    found = money(text, language)
    assert found is None or found.amount >= 0
