"""Settings: sources, validation, masking, and documentation of every setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from learnledger.config import Settings, load_settings, mask_url_password

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _setting_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            names += [f"{name}.{sub}" for sub in nested.model_fields]
        else:
            names.append(name)
    return names


def test_every_setting_is_documented_with_its_environment_variable() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        name
        for name in _setting_names()
        if f"`{name}`" not in text or f"`LEARNLEDGER_{name.upper().replace('.', '__')}`" not in text
    ]
    assert missing == []


def test_environment_overrides_defaults_including_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLEDGER_PORT", "9123")
    monkeypatch.setenv("LEARNLEDGER_DEMO__PEOPLE", "800")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.demo.people == 800


def test_config_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ll.toml"
    config.write_text('min_group_size = 9\ncurrency = "USD"\n[demo]\nseed = 3\n')
    monkeypatch.setenv("LEARNLEDGER_CONFIG_FILE", str(config))
    monkeypatch.setenv("LEARNLEDGER_CURRENCY", "GBP")
    settings = load_settings()
    assert (settings.min_group_size, settings.currency, settings.demo.seed) == (9, "GBP", 3)


def test_missing_named_config_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNLEDGER_CONFIG_FILE", str(tmp_path / "absent.toml"))
    with pytest.raises(FileNotFoundError, match=r"absent\.toml"):
        load_settings()


def test_unknown_setting_and_bad_url_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="database_url"):
        Settings(database_url="mysql://x")
    with pytest.raises(ValidationError, match="colour"):
        Settings(colour="blue")  # type: ignore[call-arg]


def test_masked_hides_secret_and_url_password() -> None:
    settings = Settings(database_url="postgresql://app:s3cret@db:5432/ll", secret_key="very-secret")
    masked = settings.masked()
    assert "s3cret" not in str(masked)
    assert "very-secret" not in str(masked)
    assert masked["database_url"] == "postgresql://app:****@db:5432/ll"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("duckdb:///./x.duckdb", "duckdb:///./x.duckdb"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:****@h/db"),
    ],
)
def test_mask_url_password(url: str, expected: str) -> None:
    assert mask_url_password(url) == expected
