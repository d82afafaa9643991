"""All of Birge's settings, read once from the environment or a `.env` file.

Nothing else in the code base reads `os.environ`: every component asks `get_settings()`.
"""

from __future__ import annotations

import enum
from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Working defaults for local development only. Outside development each of these is refused
# at start-up, so a forgotten secret cannot reach a real deployment.
DEV_SECRET_KEY = "dev-secret-key-do-not-use-outside-development"  # noqa: S105
DEV_PII_ENCRYPTION_KEY = "ZGV2LXBpaS1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0="
DEV_PII_HASH_KEY = "dev-pii-hash-key-do-not-use-outside-development"
DEV_TWILIO_AUTH_TOKEN = "dev-twilio-auth-token"  # noqa: S105
DEV_PSEUDONYM_KEY = "dev-pseudonym-key-do-not-use-outside-development"


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class MissingSecretError(RuntimeError):
    """A secret is missing or still has its development default outside development."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Environment = Environment.DEVELOPMENT

    # Storage and messaging. The defaults are the embedded set-up of `birge dev`:
    # a SQLite file and a broker made of files, neither needing a server.
    database_url: str = "sqlite:///var/birge.db"
    broker_url: str = "filesystem://"
    broker_folder: Path = Path("var/broker")
    # Redis re-delivers an unacknowledged task after this many seconds; it must exceed the
    # longest task, or a slow task would run twice.
    broker_visibility_timeout: int = 3600

    public_base_url: str = "http://localhost:8000"
    port: int = 8000
    # Proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is believed;
    # the client is the first address from the right that is not one of them. None: the
    # connecting address is the client, and the header is ignored.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    access_token_minutes: int = 60 * 8
    # A comma-separated list of Fernet keys: the first encrypts, all decrypt (key rotation).
    pii_encryption_key: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(DEV_PII_ENCRYPTION_KEY)]
    )
    # Keys the HMAC that lets an inbound phone number be matched without decrypting. It is
    # separate from the encryption key so the encryption key can rotate without re-hashing.
    pii_hash_key: SecretStr = SecretStr(DEV_PII_HASH_KEY)

    # Keys the pseudonym that survey answers are stored under. Separate from every other key,
    # so nobody holding the lookup or encryption keys can re-link answers to people.
    pseudonym_key: SecretStr = SecretStr(DEV_PSEUDONYM_KEY)

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr = SecretStr(DEV_TWILIO_AUTH_TOKEN)
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str = "https://api.twilio.com"

    smtp_url: str | None = None
    mail_from: str = "Birge <no-reply@birge.kg>"

    # Limits that keep the API from being used to exhaust memory or scrape data.
    max_request_bytes: int = 5 * 1024 * 1024
    max_import_rows: int = 5000

    sms_price_per_segment: Decimal = Decimal("0.0450")
    sms_price_currency: str = "USD"

    # Invitations by SMS.
    sms_rate_per_second: float = Field(default=10.0, gt=0)
    sms_chunk_size: int = Field(default=50, ge=1, le=1000)
    sms_max_attempts: int = Field(default=6, ge=1)
    # Invitation SMS segments each city may release per local day; a batch that would go past
    # it waits for an administrator's approval. 0: no limit.
    sms_daily_segment_budget: int = Field(default=0, ge=0)
    # A message due inside quiet hours (local time of the event's city) waits until they end.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(9, 0)
    over_invite_factor: float = Field(default=1.0, ge=1.0, le=3.0)
    # No answer by the sooner of these two: the invitation expires and frees its seat.
    answer_within_hours: int = Field(default=48, ge=1)
    answer_by_hours_before_event: int = Field(default=24, ge=0)
    max_recipients_per_request: int = Field(default=500, ge=1)

    # Retention: inbound SMS texts and survey comments are purged after this many days;
    # participants not invited for `review_after_days` are listed for review.
    retention_days: int = Field(default=180, ge=1)
    review_after_days: int = Field(default=730, ge=1)

    log_level: str = "INFO"

    @field_validator(
        "twilio_account_sid",
        "twilio_from_number",
        "twilio_messaging_service_sid",
        "smtp_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `KEY=` in a .env file means "not set", not "set to the empty string".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("pii_encryption_key", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            keys = [SecretStr(part.strip()) for part in value.split(",") if part.strip()]
            # Blank means "not set": development falls back to its default key, and anything
            # else is refused by the secret check below.
            return keys or [SecretStr(DEV_PII_ENCRYPTION_KEY)]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            # "*" would let every caller write its own address: name the proxies instead.
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.environment is Environment.DEVELOPMENT:
            return self
        missing = [name for name, bad in self._default_secrets() if bad]
        if missing:
            raise MissingSecretError(
                "These settings must be set to real secrets outside development: "
                + ", ".join(missing)
            )
        return self

    def _default_secrets(self) -> list[tuple[str, bool]]:
        keys = [key.get_secret_value() for key in self.pii_encryption_key]
        return [
            ("SECRET_KEY", self.secret_key.get_secret_value() in ("", DEV_SECRET_KEY)),
            ("PII_ENCRYPTION_KEY", not keys or DEV_PII_ENCRYPTION_KEY in keys),
            ("PII_HASH_KEY", self.pii_hash_key.get_secret_value() in ("", DEV_PII_HASH_KEY)),
            (
                "PSEUDONYM_KEY",
                self.pseudonym_key.get_secret_value() in ("", DEV_PSEUDONYM_KEY),
            ),
            (
                "TWILIO_AUTH_TOKEN",
                self.twilio_account_sid is not None
                and self.twilio_auth_token.get_secret_value() in ("", DEV_TWILIO_AUTH_TOKEN),
            ),
        ]

    @property
    def uses_twilio(self) -> bool:
        return bool(self.twilio_account_sid)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
