"""The trilingual glossary: the shipped file loads and validates, and bad files are refused with the row named."""

from __future__ import annotations

import pytest

from bot.exceptions import ConfigError
from bot.knowledge.glossary import Glossary, builtin_glossary, glossary_file, parse


def test_the_shipped_glossary_loads_with_three_languages_per_row() -> None:
    glossary = builtin_glossary()
    assert 200 <= len(glossary) <= 600
    assert all(set(row.terms) == {"en", "de", "nl"} and all(row.terms.values()) for row in glossary.rows)
    by_english = {row.terms["en"][0]: row.terms for row in glossary.rows}
    assert by_english["invoice"] == {"en": ("invoice",), "de": ("Rechnung",), "nl": ("factuur",)}
    for english, german, dutch in [
        ("budget", "Budget", "budget"),
        ("launch date", "Starttermin", "lanceringsdatum"),
        ("accuracy", "Genauigkeit", "nauwkeurigheid"),
        ("meeting notes", "Besprechungsnotizen", "notulen"),
        ("summary", "Zusammenfassung", "samenvatting"),
        ("latency", "Latenz", "latentie"),
        # the words a figure is stated in
        ("date", "Datum", "datum"),
        ("daily", "täglich", "dagelijks"),
        ("active users", "aktive Nutzer", "actieve gebruikers"),
        ("percentile", "Perzentil", "percentiel"),
        ("cause", "Ursache", "oorzaak"),
        ("fallback", "Fallback", "fallback"),
        ("escalation", "Eskalation", "escalatie"),
        ("ticket", "Ticket", "ticket"),
        ("moderation", "Moderation", "moderatie"),
        ("reservation", "Reservierung", "reservering"),
        ("product description", "Produktbeschreibung", "productbeschrijving"),
        ("time tracking", "Zeiterfassung", "urenregistratie"),
    ]:
        assert german in by_english[english]["de"] and dutch in by_english[english]["nl"]


def test_the_shipped_file_is_package_data() -> None:
    assert glossary_file().parts[-3:] == ("data", "glossary", "terms.yaml")


def test_a_question_term_matches_its_row_and_expands_to_the_other_languages() -> None:
    glossary = builtin_glossary()
    size, rows = glossary.match(["meet", "note", "share"], "en")
    assert size == 2
    variants = glossary.variants(rows)
    # Dutch words in Dutch stems ("notulen" -> "notuul"), German in German.
    assert ("besprechungsnotiz",) in variants and ("notuul",) in variants and ("meet", "note") in variants
    # German words are matched in German questions, not English ones ("tag" is no "Tag").
    assert glossary.match(["rechnung"], "de")[0] == 1
    assert glossary.match(["tag"], "en") == (0, [])


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("just text", "non-empty `terms` list"),
        ("terms: []", "non-empty `terms` list"),
        ("terms: [{en: budget, de: Budget}]", "row 1 needs exactly the keys en, de and nl"),
        ("terms: [{en: budget, de: Budget, nl: budget, fr: budget}]", "row 1 needs exactly"),
        ("terms: [{en: budget, de: Budget, nl: []}]", "row 1 (nl) must be a term or a list of terms"),
        ("terms: [{en: budget, de: 42, nl: budget}]", "row 1 (de) must be a term"),
        ("terms: [{en: budget, de: '<b>', nl: budget}]", "row 1 (de): '<b>' is not a term"),
        ("terms: [{en: 'x', de: 'y', nl: 'z'}, {en: 'X', de: 'y', nl: 'z'}]", "row 2 repeats row 1 ('x')"),
        ("terms: [{en: [a, b", "not valid YAML"),
    ],
)
def test_a_malformed_glossary_is_refused_naming_the_row(text: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=r"^terms\.yaml: ") as raised:
        parse(text, "terms.yaml")
    assert complaint in str(raised.value)


def test_a_small_glossary_from_text() -> None:
    glossary = Glossary(parse("terms:\n  - {en: [invoice, bill], de: Rechnung, nl: [factuur, nota]}\n"))
    size, rows = glossary.match(["bill"], "en")
    assert size == 1 and rows == [0]
    assert {("invoic",), ("bill",), ("rechnung",), ("factuur",), ("nota",)} <= glossary.variants(rows)
