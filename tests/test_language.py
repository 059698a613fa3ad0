"""The asker's language: the detector on PM questions in English, German and Dutch, the locale hint, the messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core import language
from bot.core.i18n import messages, notice, placeholders, say, starts_with
from bot.core.language import LANGUAGES, detect, guess
from bot.core.llm import KEY_NOTICE, classify
from bot.exceptions import LLMError

QUESTIONS = Path(__file__).parent / "devsets" / "languages" / "questions.yaml"
MIN_ACCURACY = 0.90


def questions() -> list[tuple[str, str]]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [(lang, question) for lang in LANGUAGES for question in data[lang]]


def accuracy(items: list[tuple[str, str]], hint: str | None = None) -> float:
    return sum(detect(question, hint or None) == lang for lang, question in items) / len(items)


def test_the_devset_has_thirty_questions_per_language_short_and_long() -> None:
    items = questions()
    for lang in LANGUAGES:
        mine = [question for found, question in items if found == lang]
        assert len(mine) == 30
        assert sum(len(question.split()) < 5 for question in mine) >= 7  # short ones are the hard part


def test_questions_of_five_words_or_more_are_detected_without_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    items = questions()
    long = [(lang, question) for lang, question in items if len(question.split()) >= 5]
    short = [(lang, question) for lang, question in items if len(question.split()) < 5]
    long_accuracy, short_accuracy = accuracy(long), accuracy(short)
    with capsys.disabled():
        print(
            f"\nlanguage detection: {long_accuracy:.1%} of {len(long)} questions of 5+ words, "
            f"{short_accuracy:.1%} of {len(short)} shorter ones (no hint)"
        )
    assert long_accuracy >= MIN_ACCURACY
    for lang in LANGUAGES:
        assert accuracy([item for item in long if item[0] == lang]) >= MIN_ACCURACY, lang


def test_the_askers_locale_settles_what_the_text_cannot() -> None:
    items = questions()
    # With the asker's own locale every question comes out right, short ones included.
    assert all(
        detect(question, {"en": "en-US", "de": "de-DE", "nl": "nl-NL"}[lang]) == lang for lang, question in items
    )
    # A locale that disagrees loses to a confident detector: long questions stay in their language.
    long = [(lang, question) for lang, question in items if len(question.split()) >= 5]
    contrary = [
        detect(question, next(other for other in LANGUAGES if other != lang)) == lang for lang, question in long
    ]
    assert sum(contrary) / len(contrary) >= MIN_ACCURACY


def test_a_german_question_stays_german_with_an_english_locale() -> None:
    question = "Welche Risiken stehen im PRD zur Rechnungsdaten-Extraktion?"
    assert guess(question)[1] >= language.CONFIDENT
    assert detect(question, "en-US") == detect(question, "en") == "de"
    assert detect("Wat zijn de risico's van de uitrol?", "de-DE") == "nl"


def test_short_and_wordless_questions_follow_the_hint_or_default_to_english() -> None:
    assert detect("KPI?", "de-DE") == "de" and detect("KPI?", "nl_BE") == "nl"
    assert detect("KPI?") == "en" and detect("KPI?", "fr-FR") == "en"  # a locale we don't speak is no hint
    assert detect("p95 < 2s? https://example.com/x `code` <@U123> :tada: [1]", "nl-NL") == "nl"
    assert guess("42 % 3.5 <@U1>") == ("en", 0.0)
    assert detect("") == "en"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de-DE", "de"), ("nl_NL", "nl"), ("EN-us", "en"), ("nl", "nl"), ("fr-FR", None), ("", None), (None, None)],
)
def test_locales_and_codes_map_to_a_language(code: str | None, expected: str | None) -> None:
    assert language.language(code) == expected


def test_the_model_loads_from_the_package_data() -> None:
    language.warm()
    identifier = language._identifier()
    assert sorted(set(identifier.nb_classes)) == sorted(LANGUAGES)


def test_every_message_speaks_all_three_languages_with_the_same_placeholders() -> None:
    texts = messages()
    assert len(texts) >= 30
    for key, by_lang in texts.items():
        assert set(by_lang) == set(LANGUAGES), key
        assert len({frozenset(placeholders(text)) for text in by_lang.values()}) == 1, key
        assert by_lang["de"] != by_lang["en"] or key.endswith("prds"), key  # translated, not copied


def test_say_fills_placeholders_and_falls_back_to_english() -> None:
    assert say("slack.working_ask", "nl", argument="x") == ":mag: Ik zoek het op: _x_"
    assert say("slack.sources", "fr") == say("slack.sources", None) == "Sources"
    with pytest.raises(KeyError):
        say("no.such.key", "en")


def test_a_decline_is_recognised_in_any_language() -> None:
    for lang in LANGUAGES:
        assert starts_with(say("answers.decline_nothing", lang), "answers.dont_know")
        assert starts_with(
            "  " + say("answers.dont_know", lang).upper() + ": the sources don't say.", "answers.dont_know"
        )
    assert starts_with("Das weiss ich nicht.", "answers.dont_know")  # ß or ss
    assert not starts_with("Ich weiß, was fehlt: [1]", "answers.dont_know")


def test_llm_notices_come_in_the_askers_language() -> None:
    import openai
    from httpx import Request, Response

    failure = openai.AuthenticationError(
        "bad key", response=Response(401, request=Request("POST", "http://x")), body=None
    )
    error = classify(failure, "gpt-x")
    assert isinstance(error, LLMError) and error.notice == KEY_NOTICE
    assert notice(error, "de") == say("llm.key", "de") and "API-Schlüssel" in notice(error, "de")
    missing = classify(
        openai.NotFoundError("no model", response=Response(404, request=Request("POST", "http://x")), body=None),
        "gpt-x",
    )
    assert isinstance(missing, LLMError) and "'gpt-x'" in missing.notice and "'gpt-x'" in notice(missing, "nl")
    assert notice(LLMError("boom"), "de") == "boom"  # no key: the English text as it was


def test_no_message_has_a_stray_brace() -> None:
    # The messages are formatted with str.format: a stray brace would break them at run time.
    for by_lang in messages().values():
        for text in by_lang.values():
            assert not re.search(r"\{(?![a-z_]+\})", text), text
