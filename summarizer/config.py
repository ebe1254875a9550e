"""Settings: CLI flags > environment (SUMMARIZER_*) > config file > defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "summarizer"
CacheMode = Literal["off", "auto", "replay", "record"]
ResponseFormat = Literal["json_schema", "json_object"]
Provider = Literal[
    "auto", "openai", "ollama", "vllm", "llama.cpp", "llama-cpp-python", "openai-compatible"
]


def config_file() -> Path:
    """The user's config file; SUMMARIZER_CONFIG points elsewhere."""
    override = os.environ.get("SUMMARIZER_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def cache_home() -> Path:
    """The user cache directory, holding responses and the assembled local model."""
    return Path(platformdirs.user_cache_dir(APP_NAME))


class Settings(BaseSettings):
    """Everything that changes how summaries are made. Secrets stay SecretStr."""

    model_config = SettingsConfigDict(
        env_prefix="SUMMARIZER_", extra="ignore", validate_default=True
    )

    model: str | None = Field(
        default=None,
        description=(
            "Model to use: `local` (the embedded model), `local:/path/to/model.gguf`, or a "
            "model name on an OpenAI-compatible endpoint. Unset: OpenAI if OPENAI_API_KEY is "
            "set, else the embedded model."
        ),
    )
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SUMMARIZER_BASE_URL", "OPENAI_BASE_URL", "base_url"),
        description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 for Ollama.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SUMMARIZER_API_KEY", "OPENAI_API_KEY", "api_key"),
        description="API key for the endpoint.",
    )
    response_format: ResponseFormat = Field(
        default="json_schema",
        description=(
            "How the output schema is sent: `json_schema` (OpenAI, vLLM, Ollama, llama.cpp's "
            "server) or `json_object` with a `schema` key (llama-cpp-python's server)."
        ),
    )
    provider: Provider = Field(
        default="auto",
        description=(
            "The kind of server at --base-url, which decides the request's parameters, how the "
            "schema is sent and how the context window is found: `auto` infers it from the "
            "model name and the URL (README, Choosing a model)."
        ),
    )
    cache: CacheMode = Field(default="auto", description="Response cache mode.")
    cache_dir: Path = Field(
        default_factory=lambda: cache_home() / "responses",
        description="Where cached responses (or test fixtures) are stored.",
    )
    max_reasks: int = Field(default=2, ge=0, le=10, description="Re-asks after an invalid answer.")
    grounding_reasks: int = Field(
        default=1,
        ge=0,
        le=10,
        description=(
            "Of those, re-asks spent on evidence quotes not found in the article; after them "
            "such items are kept and flagged (each re-ask regenerates the whole answer)."
        ),
    )
    transport_attempts: int = Field(
        default=5, ge=1, le=20, description="Attempts per request on transport errors."
    )
    transport_max_seconds: float = Field(
        default=180.0, gt=0, description="Give up retrying transport errors after this long."
    )
    retry_initial_wait: float = Field(default=1.0, ge=0, description="First backoff, seconds.")
    retry_max_wait: float = Field(default=30.0, ge=0, description="Longest backoff, seconds.")
    timeout: float = Field(default=600.0, gt=0, description="Seconds to wait for one answer.")
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_output_tokens: int = Field(default=2048, ge=64)
    reasoning_tokens: int = Field(
        default=24_000,
        ge=0,
        description=(
            "Tokens a reasoning model (OpenAI's GPT-5 and later, o-series) may spend thinking, "
            "on top of max_output_tokens: its reasoning counts against the same limit, and "
            "OpenAI advises leaving room for it. Only the tokens used are billed."
        ),
    )
    reasoning_effort: str | None = Field(
        default=None,
        description="`reasoning_effort` sent to reasoning models (e.g. `low`). Unset: theirs.",
    )
    context_window: int | None = Field(
        default=None,
        ge=512,
        description="Tokens the model can read; longer articles are split. Unset: per backend.",
    )
    threads: int | None = Field(
        default=None, ge=1, description="CPU threads for the local model. Unset: all cores."
    )
    concurrency: int = Field(default=4, ge=1, le=256, description="Articles in flight at once.")
    fetch_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds for one whole fetch of a URL: connecting, redirects, every read.",
    )
    article_timeout: float | None = Field(
        default=1800.0,
        gt=0,
        description=(
            "Seconds for one article from the start of its fetch to the end of its summary "
            "(time spent waiting for a free slot is not counted). Unset: no limit."
        ),
    )
    allow_private_addresses: bool = Field(
        default=False,
        description=(
            "Fetch the links a URL-list file holds even from loopback, private and link-local "
            "addresses (an intranet). URLs typed on the command line may always be local."
        ),
    )
    strategy: Literal["one-call", "staged"] = Field(
        default="one-call",
        description=(
            "How the model is asked: `one-call` (one answer holding the whole summary) or "
            "`staged` (actors and speakers found by code, then small questions citing "
            "numbered sentences; docs/staged.md)."
        ),
    )
    demands_follow_up: bool = Field(
        default=False,
        description=(
            "When an answer lists no demand and the article uses a word of demand (called "
            "on, urged, demanded, ...), ask the model once more, for demands only: one more "
            "request for such articles; more demands found, and more wrong ones (docs/eval.md)."
        ),
    )
    archive: Literal["off"] | Path | None = Field(
        default=None,
        description=(
            "Where every summary is recorded (docs/archive.md): an SQLite file, or `off`. "
            "Unset: archive.sqlite in the user data directory."
        ),
    )
    drop_ungrounded: bool = Field(
        default=False,
        description=(
            "Drop events, positions and demands none of whose quotes is found in the article "
            "(default: keep them, flagged `grounded: false`)."
        ),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )


def refuse_irregular_file(path: Path) -> None:
    """Raise ConfigError for a config path that is no regular file or cannot be looked at.

    A device or a pipe may never end when read; a name too long fails on any look.
    """
    from .errors import ConfigError

    try:
        irregular = path.exists() and not path.is_file()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    if irregular:
        raise ConfigError(f"{path}: not a regular file")


def load_settings(**overrides: object) -> Settings:
    """Settings from every source; `None` overrides (unset CLI flags) are ignored."""
    import tomllib

    from pydantic import ValidationError

    from .errors import ConfigError

    given = {name: value for name, value in overrides.items() if value is not None}
    path = config_file()
    refuse_irregular_file(path)
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
