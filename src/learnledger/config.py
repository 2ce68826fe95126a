"""Typed settings, read from `LEARNLEDGER_*` environment variables and an optional TOML file.

Precedence, highest first: keyword arguments, environment variables (`LEARNLEDGER_PORT=9000`,
nested fields with ``__``: `LEARNLEDGER_DEMO__PEOPLE=800`), the config file
(`LEARNLEDGER_CONFIG_FILE`, default `./learnledger.toml` when it exists), then defaults.
Every field is documented in docs/configuration.md; a test fails when one is not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = "learnledger.toml"
CONFIG_FILE_VARIABLE = "LEARNLEDGER_CONFIG_FILE"


class DemoSettings(BaseModel):
    """Size and seed of the synthetic demo organisation."""

    people: int = Field(5000, ge=50, le=1_000_000, description="Employees in the demo company.")
    months: int = Field(24, ge=6, le=60, description="Months of history generated.")
    seed: int = Field(7, description="Random seed; the same seed builds the same company.")


class RecommendationSettings(BaseModel):
    """Thresholds of the recommenders (docs/insights.md#recommendations)."""

    retention_drop_points: float = Field(
        10.0,
        gt=0,
        le=100,
        description="A learner's delayed-test score this many points (of 100) below their "
        "post-test score gets a reinforcement recommendation.",
    )
    coaching_probability: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Risk of not completing (from the early-warning model) at or above which "
        "coaching is recommended.",
    )
    nudge_probability: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Risk at or above which (and below coaching_probability) a manager nudge "
        "is recommended.",
    )
    dropoff_rate: float = Field(
        0.1,
        gt=0,
        le=1,
        description="Share of the learners reaching a module who stop there at or above which "
        "the module is a redesign candidate.",
    )
    dropoff_ratio: float = Field(
        2.0,
        ge=1,
        description="A redesign candidate's drop-off must also be at least this many times the "
        "median module drop-off of its course.",
    )
    similar_level_band: float = Field(
        0.5,
        ge=0,
        description="People count as similar for adaptive paths when their proficiency before "
        "training was within this many levels of the learner's current level.",
    )
    channel_shift_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Share of an audience's learning hours the channel recommendation moves "
        "from the weaker channel to the stronger one.",
    )
    skills_per_role: int = Field(
        3, ge=1, description="Skills with the largest gaps listed per role."
    )


class Settings(BaseSettings):
    """All LearnLedger settings."""

    model_config = SettingsConfigDict(
        env_prefix="LEARNLEDGER_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    database_url: str = Field(
        "duckdb:///./learnledger.duckdb",
        description="Storage engine URL: duckdb:///path.duckdb, duckdb:///:memory: or "
        "postgresql://user@host:port/db (optionally ?schema=name).",
    )
    host: str = Field("127.0.0.1", description="Interface the web server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level. Logs never contain personal data."
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Secret for session cookies and keyed pseudonyms. Generated per process "
        "when unset (sessions then do not survive a restart).",
    )
    secret_key_file: str = Field(
        "./learnledger.key",
        description="File holding the secret key when secret_key is unset; created with a new "
        "random key (readable by its owner only) on first use.",
    )
    pseudonym_key_version: int = Field(
        1,
        ge=1,
        description="Version of the pseudonym key derived from the secret key. Raising it "
        "rotates every pseudonym (see docs/governance.md).",
    )
    session_idle_minutes: int = Field(
        30, ge=1, description="A web session ends after this many minutes without a request."
    )
    session_max_hours: int = Field(
        12, ge=1, description="A web session ends this many hours after sign-in, in any case."
    )
    cookie_secure: bool = Field(
        True,
        description="Mark session cookies Secure (sent over HTTPS only; browsers also send "
        "them to localhost over HTTP).",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins per username, or per client address, tolerated within "
        "login_window_minutes before further attempts are refused.",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window in which failed sign-ins are counted for throttling."
    )
    consent_opt_in_purposes: list[str] = Field(
        default_factory=list,
        description="Consent purposes that need a recorded grant; for the others a person "
        "without a consent record counts as not having withdrawn.",
    )
    retention_schedule_hours: int = Field(
        24,
        ge=0,
        description="The web server enforces retention at start and then every this many "
        "hours; 0 turns the schedule off (run `learnledger governance enforce` instead).",
    )
    cache_warm_seconds: int = Field(
        60,
        ge=0,
        description="Every this many seconds the web server checks whether the data changed "
        "and, if so, recomputes the executive overview, the programme pages and the explorer's "
        "default and pinned views in the background; 0 turns it off (the first visitor after "
        "new data then waits for them).",
    )
    min_group_size: int = Field(
        5, ge=1, description="Smallest group of people an aggregate may describe."
    )
    currency: str = Field("EUR", min_length=3, max_length=3, description="Reporting currency.")
    fiscal_year_start_month: int = Field(
        1, ge=1, le=12, description="Month the fiscal year starts in (1 = January)."
    )
    metrics_dir: str | None = Field(
        None, description="Directory of the user's own metric definition YAML files."
    )
    session_gap_minutes: int = Field(
        30,
        ge=1,
        le=1440,
        description="Minutes without a learning event that end a session (engagement patterns).",
    )
    comparison_correction: Literal["holm", "bh"] = Field(
        "holm",
        description="Correction for multiple comparisons in segment comparisons: holm "
        "(family-wise error rate) or bh (Benjamini-Hochberg, false discovery rate).",
    )
    risk_alert_threshold: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="Risk of not completing at or above which an enrolment counts as at risk "
        "in early-warning summaries (counts by course).",
    )
    demo: DemoSettings = Field(default_factory=DemoSettings, description="Demo organisation.")
    recommendations: RecommendationSettings = Field(
        default_factory=RecommendationSettings, description="Recommendation thresholds."
    )
    lrs_base_url: str = Field(
        "http://127.0.0.1:8000/xapi",
        description="Public URL of the xAPI endpoint; the homePage of the authority Agent of "
        "credentials created from now on.",
    )
    lrs_allow_anonymous: bool = Field(
        False,
        description="Let xAPI requests without an Authorization header in, with every scope "
        "and an anonymous authority. For local experiments only.",
    )
    lrs_max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest xAPI request body accepted; larger ones get 413.",
    )
    lrs_page_size: int = Field(
        100,
        ge=1,
        le=10_000,
        description="Most statements one GET /xapi/statements page returns (limit=0 means this).",
    )
    lrs_trusted_signers: list[str] = Field(
        default_factory=list,
        description="Trust anchors for signed statements: SHA-256 fingerprints of certificates "
        "or PEM files of certificates. When set, a signature whose x5c chain leads to none "
        "of them is rejected (400).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("duckdb://", "postgresql://", "postgres://")):
            raise ValueError("must start with duckdb:// or postgresql://")
        return value

    @field_validator("lrs_trusted_signers")
    @classmethod
    def _fingerprints_or_files(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            hex_digits = entry.strip().lower().replace(":", "").replace(" ", "")
            is_fingerprint = len(hex_digits) == 64 and all(
                c in "0123456789abcdef" for c in hex_digits
            )
            if not is_fingerprint and not Path(entry).is_file():
                raise ValueError(
                    f"{entry!r} is neither a SHA-256 fingerprint nor an existing PEM file"
                )
        return entries

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: init kwargs, environment, TOML config file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, with secrets and URL passwords masked."""
        data = self.model_dump(mode="json")
        data["secret_key"] = "**********" if self.secret_key is not None else None
        data["database_url"] = mask_url_password(self.database_url)
        return data


def config_file_path() -> Path | None:
    """The config file in force: `LEARNLEDGER_CONFIG_FILE`, else ./learnledger.toml if present.

    Raises FileNotFoundError when `LEARNLEDGER_CONFIG_FILE` names a file that does not exist.
    """
    named = os.environ.get(CONFIG_FILE_VARIABLE)
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"{CONFIG_FILE_VARIABLE} names {named}, which does not exist")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def mask_url_password(url: str) -> str:
    """Replace the password of a URL like scheme://user:secret@host/db with ****."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, location = rest.rpartition("@")
    user, colon, _ = credentials.partition(":")
    return f"{scheme}://{user}{':****' if colon else ''}{at}{location}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and the config file."""
    return Settings(**overrides)
