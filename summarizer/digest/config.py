"""The digest's TOML config: sources, recipients, SMTP, model settings, limits.

The SMTP password is never in the file: `smtp.password_env` names the environment
variable that holds it, read only when a message is sent.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..archive.db import default_path as default_archive_path
from ..config import refuse_irregular_file
from ..errors import ConfigError
from .sources import FolderSource, SourceConfig, UrlListSource

DEFAULT_SUBJECT = "{{ title }} {{ date }}: {{ count }} {{ 'story' if count == 1 else 'stories' }}"


# Summarizer settings the digest sets in its own sections, for every fetch it makes.
_DIGEST_OWN = {
    "fetch_timeout": "[limits] fetch_seconds",
    "article_timeout": "[limits] article_seconds",
    "allow_private_addresses": "allow_private_addresses at the top",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class EmailSettings(_Section):
    """Who sends the digest, who receives it, and its subject line."""

    sender: str = Field(alias="from", description="From address, e.g. `Digest <d@example.org>`.")
    to: list[str] = Field(min_length=1, description="Recipient addresses.")
    subject: str = Field(default=DEFAULT_SUBJECT, description="Jinja template of the subject.")
    title: str = Field(default="News digest", description="Heading of the email.")

    @field_validator("sender", "to", "subject", "title")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if "\r" in text or "\n" in text:
                raise ValueError("must be one line")
        return value


class SmtpSettings(_Section):
    """How to reach the mail server."""

    host: str
    port: int | None = Field(default=None, description="Default: 587 starttls, 465 tls, 25 none.")
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls (upgrade a plain connection), tls (implicit TLS), none "
        "(only for a relay on this machine or a test server).",
    )
    username: str | None = None
    password_env: str = Field(
        default="SUMMARIZER_SMTP_PASSWORD",
        description="Environment variable holding the password (never the file).",
    )
    timeout: float = Field(default=30.0, gt=0)

    @property
    def effective_port(self) -> int:
        """The configured port, or the usual one for the security mode."""
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class Limits(_Section):
    """Bounds on one run."""

    max_articles: int = Field(default=50, ge=1, description="New articles taken per run.")
    max_age_days: int = Field(default=2, ge=0, description="Skip older articles; 0: no limit.")
    max_attempts: int = Field(
        default=3, ge=1, description="Summarisation attempts (one per run) before giving up."
    )
    fetch_seconds: float = Field(
        default=20.0,
        gt=0,
        description="One whole fetch (a feed or a page): connecting, redirects, every read.",
    )
    article_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="One article, from the start of its fetch to the end of its summary; "
        "an article over it counts as a failed attempt.",
    )
    state_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long to wait for the state database while another process writes to it.",
    )
    run_seconds: float = Field(
        default=10800.0,
        gt=0,
        description="Collecting and summarising in one run; what is left when it runs out "
        "waits for the next run. Pending digests are sent regardless.",
    )


class DigestConfig(_Section):
    """The whole digest configuration."""

    state: Path = Field(
        default_factory=lambda: default_archive_path(),
        description="The archive (SQLite) holding seen articles, summaries and digests; "
        "by default the one every summary is recorded in.",
    )
    sources: list[SourceConfig] = Field(min_length=1)
    email: EmailSettings
    smtp: SmtpSettings | None = None
    model: dict[str, Any] = Field(
        default_factory=dict, description="Summarizer settings: model, base_url, concurrency, …"
    )
    limits: Limits = Field(default_factory=Limits)
    allow_private_addresses: bool = Field(
        default=False,
        description="Fetch article links from loopback, private and link-local addresses "
        "too (intranet feeds). Feed URLs written in this file may always be local.",
    )

    @field_validator("model")
    @classmethod
    def _known_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        from ..config import Settings

        unknown = sorted(set(value) - set(Settings.model_fields))
        if unknown:
            raise ValueError(f"unknown summarizer setting(s): {', '.join(unknown)}")
        elsewhere = sorted(set(value) & set(_DIGEST_OWN))
        if elsewhere:
            where = ", ".join(f"{name} (use {_DIGEST_OWN[name]})" for name in elsewhere)
            raise ValueError(f"set in the digest config itself: {where}")
        return value

    def resolve_paths(self, base: Path) -> DigestConfig:
        """Make relative paths relative to the config file's folder."""

        def resolve(path: Path) -> Path:
            path = path.expanduser()
            return path if path.is_absolute() else base / path

        self.state = resolve(self.state)
        for source in self.sources:
            if isinstance(source, FolderSource):
                source.path = resolve(source.path)
            elif isinstance(source, UrlListSource) and source.file is not None:
                source.file = resolve(source.file)
        return self


def load_config(path: Path) -> DigestConfig:
    """Read and validate a digest config file; a problem is a one-line ConfigError."""
    refuse_irregular_file(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (see examples/digest.toml)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    return parse_config(data, base=path.resolve().parent, origin=str(path))


def parse_config(data: dict[str, Any], *, base: Path, origin: str = "config") -> DigestConfig:
    """Validate a config mapping; relative paths are taken relative to `base`."""
    try:
        config = DigestConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "config"
        raise ConfigError(f"{origin}: {where}: {first['msg']}") from None
    return config.resolve_paths(base)
