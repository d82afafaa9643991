from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from birge_shared.db import normalise_database_url
from birge_shared.settings import DEV_SECRET_KEY, MissingSecretError, Settings


def test_development_runs_on_working_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "BROKER_URL", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(environment="development", _env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.broker_url == "filesystem://"
    assert not settings.uses_twilio


def test_production_refuses_default_secrets_and_names_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SECRET_KEY", "PII_ENCRYPTION_KEY", "PII_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingSecretError) as caught:
        Settings(environment="production", _env_file=None)
    message = str(caught.value)
    for name in ("SECRET_KEY", "PII_ENCRYPTION_KEY", "PII_HASH_KEY"):
        assert name in message


def test_production_with_twilio_needs_a_real_auth_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("PII_HASH_KEY", "h" * 40)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(MissingSecretError, match="TWILIO_AUTH_TOKEN"):
        Settings(environment="production", _env_file=None)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t" * 32)
    assert Settings(environment="production", _env_file=None).uses_twilio


def test_the_secret_never_appears_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(MissingSecretError) as caught:
        Settings(environment="production", _env_file=None)
    assert DEV_SECRET_KEY not in str(caught.value)


def test_several_encryption_keys_are_read_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PII_ENCRYPTION_KEY", f"{first}, {second}")
    keys = Settings(_env_file=None).pii_encryption_key
    assert [key.get_secret_value() for key in keys] == [first, second]


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("postgresql://birge@db:5432/birge", "postgresql+psycopg"),
        ("postgres://birge@db/birge", "postgresql+psycopg"),
        ("postgresql+psycopg://birge@db/birge", "postgresql+psycopg"),
        ("sqlite:///var/birge.db", "sqlite"),
    ],
)
def test_plain_database_urls_get_a_driver(raw: str, driver: str) -> None:
    assert normalise_database_url(raw).drivername == driver
