from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.exceptions import ConfigError


def test_defaults_match_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATA_DIR")
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.port, settings.embedding_model, settings.reindex_cron) == (3000, "local", "0 2 * * *")
    assert settings.redis_url is None and settings.chroma_url is None and not settings.llm_enabled
    assert str(settings.knowledge_dir) == "knowledge" and str(settings.data_dir) == ".pm-copilot"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PM_ADMINS", "U1, U2;U3")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:8888/api")
    monkeypatch.setenv("PORT", "4000")
    settings = load_settings()
    assert settings.pm_admins == {"U1", "U2", "U3"}
    assert settings.slack_api_url == "http://127.0.0.1:8888/api/"
    assert settings.port == 4000


def test_invalid_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-number")
    with pytest.raises(ConfigError, match="PORT"):
        load_settings()


def test_llm_prices_take_both_documented_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PRICES", '{"llama3.1:8b": [0, 0], "my-model": {"input": 0.4, "output": 1.6}}')
    prices = load_settings().llm_prices
    assert prices == {"llama3.1:8b": (0.0, 0.0), "my-model": (0.4, 1.6)}
    assert prices["my-model"].output == 1.6


@pytest.mark.parametrize("text", ["[1, 2]", '{"m": [1]}', '{"m": {"input": 1}}', "not json", '{"m": ["a", 1]}'])
def test_bad_llm_prices_name_the_setting(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("LLM_PRICES", text)
    with pytest.raises(ConfigError, match="LLM_PRICES"):
        load_settings()


def test_require_names_every_missing_variable() -> None:
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        load_settings().require("slack_bot_token", "slack_signing_secret")


def test_blank_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIN_EVIDENCE", "")
    monkeypatch.setenv("CHROMA_URL", "")
    settings = load_settings()
    assert settings.min_evidence is None and settings.chroma_url is None


def test_env_example_loads_and_lists_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from bot.config import Settings

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    pairs = [line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")]
    for name, value in pairs:
        monkeypatch.setenv(name, value)
    load_settings()
    assert {name for name, _ in pairs} == {field.upper() for field in Settings.model_fields}


def test_an_invalid_value_is_not_echoed_when_it_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-proj-" + "Zq9" * 12
    monkeypatch.setenv("PORT", key)  # a key pasted into the wrong variable
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "port" in str(refused.value).lower() and key not in str(refused.value)
