from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from birge_shared.db import normalise_database_url
from birge_shared.settings import (
    DEV_PSEUDONYM_KEY,
    DEV_SECRET_KEY,
    DEV_TWILIO_AUTH_TOKEN,
    MissingSecretError,
    Settings,
)

STRONG = {
    "SECRET_KEY": "kQ9v2Lr7XbT4mZp1sW8eYc3nHu6aJd0fG5iOqRtVxBk",
    "PII_HASH_KEY": "p3Wm8RzQ1tYv6XcB0nLk4JhG7fDs2aEu9iOyTrVbNq",
    "PSEUDONYM_KEY": "Zx7Cv1Bn4Mq8Wl2Er6Ty0Ui3Op5As9Df7Gh1Jk4Lm",
    "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "TWILIO_AUTH_TOKEN": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "TWILIO_MESSAGING_SERVICE_SID": "MG" + "fedcba9876543210" * 2,
    "SMTP_URL": "smtps://birge:pw@smtp.example.org:465",
    "PUBLIC_BASE_URL": "https://birge.example.org",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment production accepts; each test then breaks one thing in it."""
    monkeypatch.setenv("ENVIRONMENT", "production")
    for name, value in STRONG.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode())
    for name in ("TWILIO_FROM_NUMBER", "DOCS_ENABLED", "PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


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


def test_production_with_twilio_needs_a_real_auth_token(production: pytest.MonkeyPatch) -> None:
    production.delenv("TWILIO_AUTH_TOKEN")
    with pytest.raises(MissingSecretError, match="TWILIO_AUTH_TOKEN"):
        Settings(_env_file=None)
    production.setenv("TWILIO_AUTH_TOKEN", STRONG["TWILIO_AUTH_TOKEN"])
    assert Settings(_env_file=None).uses_twilio


def test_production_starts_with_real_secrets_a_provider_and_a_mail_server(
    production: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None)
    assert settings.public_base_url == "https://birge.example.org"
    assert not settings.messages_stay_local
    assert not settings.serves_docs


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "a"),
        ("SECRET_KEY", "a" * 64),  # long, but one character repeated is no secret
        ("SECRET_KEY", "short-but-not-a-default"),
        ("PII_HASH_KEY", "REPLACE-with-secrets.token_urlsafe-32-REPLACE-with"),
        ("PSEUDONYM_KEY", DEV_PSEUDONYM_KEY),
        ("TWILIO_AUTH_TOKEN", DEV_TWILIO_AUTH_TOKEN),
        ("TWILIO_AUTH_TOKEN", "0123456789"),
    ],
)
def test_production_refuses_a_weak_or_published_secret_and_names_it(
    production: pytest.MonkeyPatch, name: str, value: str
) -> None:
    production.setenv(name, value)
    with pytest.raises(MissingSecretError) as caught:
        Settings(_env_file=None)
    message = str(caught.value)
    assert name in message
    assert len(value) < 3 or value not in message
    assert "32 bytes" in message or "real secrets" in message


def test_production_refuses_a_second_encryption_key_that_is_weak(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("PII_ENCRYPTION_KEY", Fernet.generate_key().decode() + ",short")
    with pytest.raises(MissingSecretError, match="PII_ENCRYPTION_KEY"):
        Settings(_env_file=None)


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"),
        ("TWILIO_MESSAGING_SERVICE_SID", "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"),
        ("SMTP_URL", "SMTP_URL"),
        ("PUBLIC_BASE_URL", "PUBLIC_BASE_URL"),
    ],
)
def test_production_without_a_provider_mail_server_or_address_stops_and_names_it(
    production: pytest.MonkeyPatch, unset: str, named: str
) -> None:
    production.delenv(unset)
    with pytest.raises(MissingSecretError) as caught:
        Settings(_env_file=None)
    assert named in str(caught.value)


def test_production_counts_a_blank_provider_setting_as_missing(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("SMTP_URL", "  ")
    with pytest.raises(MissingSecretError, match="SMTP_URL"):
        Settings(_env_file=None)


def test_docs_are_off_in_production_unless_asked_for(production: pytest.MonkeyPatch) -> None:
    assert not Settings(_env_file=None).serves_docs
    production.setenv("DOCS_ENABLED", "true")
    assert Settings(_env_file=None).serves_docs
    production.setenv("ENVIRONMENT", "development")
    production.setenv("DOCS_ENABLED", "false")
    assert not Settings(_env_file=None).serves_docs
    production.delenv("DOCS_ENABLED")
    assert Settings(_env_file=None).serves_docs


def test_port_alone_sets_the_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8731")
    assert Settings(_env_file=None).public_base_url == "http://localhost:8731"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://birge.example.org/")
    assert Settings(_env_file=None).public_base_url == "https://birge.example.org"


def test_a_development_run_that_sends_nothing_real_is_told_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "SMTP_URL"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(environment="development", _env_file=None).messages_stay_local
    monkeypatch.setenv("SMTP_URL", "smtp://mail.example.org:25")
    assert not Settings(environment="development", _env_file=None).messages_stay_local
    monkeypatch.delenv("SMTP_URL")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", STRONG["TWILIO_ACCOUNT_SID"])
    assert not Settings(environment="development", _env_file=None).messages_stay_local


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


def test_a_reply_mailbox_needs_its_imap_server_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_REPLY_ADDRESS", " Answers@Birge.kg ")
    with pytest.raises(ValueError, match="CALENDAR_REPLY_IMAP_HOST"):
        Settings(environment="development", _env_file=None)
    monkeypatch.setenv("CALENDAR_REPLY_IMAP_HOST", "imap.example.org")
    monkeypatch.setenv("CALENDAR_REPLY_IMAP_USER", "answers")
    settings = Settings(environment="development", _env_file=None)
    assert settings.calendar_reply_address == "answers@birge.kg"
    assert settings.reads_calendar_replies
    assert settings.calendar_reply_imap_tls
    assert settings.calendar_reply_imap_port == 993
    # `KEY=` is unset: no answers asked for and none read.
    monkeypatch.setenv("CALENDAR_REPLY_ADDRESS", "")
    assert not Settings(environment="development", _env_file=None).reads_calendar_replies


def test_a_reply_address_with_a_display_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_REPLY_ADDRESS", "Birge <answers@birge.kg>")
    with pytest.raises(ValueError, match="bare e-mail address"):
        Settings(environment="development", _env_file=None)


def test_production_reads_the_reply_mailbox_only_with_its_password(
    production: pytest.MonkeyPatch,
) -> None:
    production.setenv("CALENDAR_REPLY_ADDRESS", "answers@birge.kg")
    production.setenv("CALENDAR_REPLY_IMAP_HOST", "imap.example.org")
    production.setenv("CALENDAR_REPLY_IMAP_USER", "answers")
    with pytest.raises(MissingSecretError, match="CALENDAR_REPLY_IMAP_PASSWORD"):
        Settings(_env_file=None)
    production.setenv("CALENDAR_REPLY_IMAP_PASSWORD", "an imap password")
    assert Settings(_env_file=None).reads_calendar_replies
