"""Settings: the only module that reads the environment (12-factor)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.exceptions import ConfigError


class ModelPrice(NamedTuple):
    """USD per million tokens; LLM_PRICES gives it as `[input, output]` or `{"input": x, "output": y}`."""

    input: float
    output: float


class Settings(BaseSettings):
    """Every setting PM Copilot reads, with its default. README lists them all."""

    # Blank variables (`MIN_EVIDENCE=` in a .env file) count as unset, not as invalid values.
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, env_ignore_empty=True)

    # Slack
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000
    slack_workers: int = Field(default=8, ge=1)  # threads doing the work after each ack
    slack_timeout_s: int = Field(default=10, ge=1)  # seconds per Web API call
    http_threads: int = Field(default=4, ge=1)  # waitress threads; acks take ~1 ms, more threads only fight for the GIL

    # State, knowledge and search
    redis_url: str | None = None
    redis_timeout_s: float = Field(default=0.5, gt=0)  # per command; a hung Redis is then skipped (breaker)
    knowledge_dir: Path = Path("./knowledge")
    builtin_playbook: bool = True  # index the built-in AI-PM playbook and error catalog with KNOWLEDGE_DIR
    data_dir: Path = Path("./.pm-copilot")
    chroma_url: str | None = None
    chroma_collection: str = "pm-copilot"
    chroma_timeout_s: float = Field(default=5.0, gt=0)  # per request to a Chroma server
    breaker_cooldown_s: float = Field(default=5.0, gt=0)  # how long Redis or Chroma is skipped after a failure
    embedding_model: str = "local"
    embedding_batch_size: int = Field(default=64, ge=1)
    max_file_mb: float = Field(default=20.0, gt=0)
    # Turns a source's path into a link (a document's front matter `url:` wins), e.g. a repository's web view.
    knowledge_base_url: str | None = None

    # Retrieval and answers
    top_k: int = Field(default=5, ge=1, le=50)
    min_evidence: float | None = Field(default=None, ge=0.0, le=1.0)
    max_question_chars: int = Field(default=2000, ge=10)

    # LLM (any OpenAI-compatible endpoint)
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(default=20.0, gt=0)
    llm_budget_s: float = Field(default=10.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0)
    # An eval plan is a few thousand tokens of structured output, far longer than an answer.
    eval_draft_budget_s: float = Field(default=90.0, gt=0)
    # JSON adding to or overriding the built-in price table (bot.core.pricing).
    llm_prices: Annotated[dict[str, ModelPrice], NoDecode] = Field(default_factory=dict)
    max_history_tokens: int = Field(default=1500, ge=0)

    # Caching, limits and operations
    cache_prefix: str = "pmc"
    answer_cache: bool = True
    answer_cache_ttl_s: int = Field(default=24 * 3600, ge=1)
    thread_cache_ttl_s: int = Field(default=7 * 24 * 3600, ge=1)
    rate_limit_per_minute: int = Field(default=20, ge=0)
    pm_admins: Annotated[frozenset[str], NoDecode] = frozenset()  # Slack user IDs allowed to run /pm reindex
    # Who may get answers drawn from the knowledge besides the workspace's own full members.
    allow_guests: bool = False
    allow_external_users: bool = False
    reindex_cron: str = "0 2 * * *"
    reindex_report_channel: str | None = None
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _prices_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError('not JSON; write it like {"my-model": [0.15, 0.60]} (USD per million tokens)') from None

    @field_validator("pm_admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return frozenset(part.strip() for part in value.replace(";", ",").split(",") if part.strip())

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)

    def require(self, *names: str) -> None:
        """Raise ConfigError naming every listed setting that is unset."""
        missing = [name.upper() for name in names if not getattr(self, name)]
        if missing:
            raise ConfigError(f"{', '.join(missing)} must be set (see README, Configuration)")


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; overrides win (used by CLI flags and tests)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        # Never the refused value: it may be a key pasted into the wrong variable.
        problems = "; ".join(_problem(item["loc"], item["msg"]) for item in error.errors(include_input=False))
        raise ConfigError(f"invalid setting {problems} (see README, Configuration)") from None


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    """`LLM_PRICES (my-model.1): Field required`: the variable, where inside it, and what is wrong."""
    name, *inside = [str(part) for part in loc] or ["?"]
    where = f" ({'.'.join(inside)})" if inside else ""
    return f"{name.upper()}{where}: {message.removeprefix('Value error, ')}"


def warn_if_single_process(settings: Settings) -> None:
    if not settings.redis_url:
        logging.getLogger(__name__).warning(
            "REDIS_URL is unset: caches, dedup and rate limits live in this process only; "
            "run a single replica or set REDIS_URL"
        )
