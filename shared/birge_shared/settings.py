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

#: The shortest secret production accepts: 32 bytes, the size of an HMAC-SHA-256 key.
MIN_SECRET_BYTES = 32
# Values published in this repository (the development defaults above and the placeholders of
# deploy/env.example and deploy/k8s/secret.example.yaml): known to anyone, so never a secret.
_KNOWN_SECRETS = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_PII_ENCRYPTION_KEY,
        DEV_PII_HASH_KEY,
        DEV_TWILIO_AUTH_TOKEN,
        DEV_PSEUDONYM_KEY,
    }
)
_PLACEHOLDER_MARKS = ("replace-", "change-me", "changeme")
# Fewer distinct characters than this is a long string, not a random one ("aaaa…", "0101…").
_MIN_DISTINCT_CHARACTERS = 8


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

    # Unset: http://localhost:{PORT}, the address `birge dev` serves, so PORT alone moves links,
    # webhook signatures and the simulator's callbacks together. Production must set it.
    public_base_url: str = ""
    port: int = Field(default=8000, ge=1, le=65535)
    # /docs and /openapi.json. Unset: on in development and test, off in production.
    docs_enabled: bool | None = None
    # Proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is believed;
    # the client is the first address from the right that is not one of them. None: the
    # connecting address is the client, and the header is ignored.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    access_token_minutes: int = 60 * 8
    # The console's sign-in: ended after this long without a request, and after this long in
    # all (a coordinator at the door keeps one session for the evening).
    console_idle_minutes: int = Field(default=60, ge=1)
    console_session_hours: int = Field(default=12, ge=1)
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
    # An import is refused before parsing past these bounds, and stops at its time limit.
    max_import_columns: int = Field(default=50, ge=9)
    max_import_unpacked_bytes: int = Field(default=16 * 1024 * 1024, ge=1024 * 1024)
    import_time_limit_seconds: float = Field(default=30.0, gt=0)

    sms_price_per_segment: Decimal = Decimal("0.0450")
    sms_price_currency: str = "USD"

    # Invitations by SMS.
    sms_rate_per_second: float = Field(default=10.0, gt=0)
    # Messages per send task: a chunk's claim and record are one transaction each and its
    # loads one query per table, so larger chunks spread that cost over more messages.
    sms_chunk_size: int = Field(default=200, ge=1, le=1000)
    sms_max_attempts: int = Field(default=6, ge=1)
    # SMS segments each city may release per local day (invitations, waitlist refills, change
    # notices); a batch, refill or notice that would go past it waits for an administrator's
    # approval. 0: no limit.
    sms_daily_segment_budget: int = Field(default=0, ge=0)
    # Edits of an event within this many minutes of each other make one change notice.
    change_notice_settle_minutes: int = Field(default=10, ge=0, le=24 * 60)
    # A message due inside quiet hours (local time of the event's city) waits until they end.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(9, 0)
    over_invite_factor: float = Field(default=1.0, ge=1.0, le=3.0)
    # No answer by the sooner of these two: the invitation expires and frees its seat.
    answer_within_hours: int = Field(default=48, ge=1)
    answer_by_hours_before_event: int = Field(default=24, ge=0)
    # Whatever the rule above (or an event's own `answer_by`) says, a person invited gets at
    # least this long to answer, cut only by the start; a freed seat goes to the waitlist only
    # while the person promoted would still get this long.
    min_answer_window_minutes: int = Field(default=120, ge=1, le=24 * 60)
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
            return self._default_public_base_url()
        missing = [name for name, bad in self._default_secrets() if bad]
        if missing:
            raise MissingSecretError(
                "These settings must be set to real secrets outside development: "
                + ", ".join(missing)
            )
        if self.environment is Environment.PRODUCTION:
            problems = self._production_problems()
            if problems:
                raise MissingSecretError("Production cannot start: " + "; ".join(problems) + ".")
        return self._default_public_base_url()

    def _default_public_base_url(self) -> Self:
        if not self.public_base_url:
            self.public_base_url = f"http://localhost:{self.port}"
        return self

    def _production_problems(self) -> list[str]:
        """What production needs beyond non-default secrets, each naming its setting.

        The messages name settings and reasons only, never a value.
        """
        problems = [
            f"{name} must be at least {MIN_SECRET_BYTES} bytes of random, not a published value"
            for name, values in self._secret_values()
            if any(_weak(value) for value in values)
        ]
        if not self.uses_twilio:
            problems.append("TWILIO_ACCOUNT_SID must be set (the SMS simulator is for development)")
        elif not (self.twilio_from_number or self.twilio_messaging_service_sid):
            problems.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID must be set")
        if self.smtp_url is None:
            problems.append("SMTP_URL must be set (the mail folder is for development)")
        if not self.public_base_url:
            problems.append("PUBLIC_BASE_URL must be set to the address participants reach")
        return problems

    def _secret_values(self) -> list[tuple[str, list[str]]]:
        secrets = [
            ("SECRET_KEY", [self.secret_key.get_secret_value()]),
            ("PII_ENCRYPTION_KEY", [key.get_secret_value() for key in self.pii_encryption_key]),
            ("PII_HASH_KEY", [self.pii_hash_key.get_secret_value()]),
            ("PSEUDONYM_KEY", [self.pseudonym_key.get_secret_value()]),
        ]
        if self.uses_twilio:
            secrets.append(("TWILIO_AUTH_TOKEN", [self.twilio_auth_token.get_secret_value()]))
        return secrets

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

    @property
    def serves_docs(self) -> bool:
        """Whether /docs and /openapi.json are served (DOCS_ENABLED, else not in production)."""
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment is not Environment.PRODUCTION

    @property
    def messages_stay_local(self) -> bool:
        """SMS go to the local simulator and e-mail to files: nothing reaches a real person."""
        return not self.uses_twilio and self.smtp_url is None


def _weak(value: str) -> bool:
    lowered = value.lower()
    return (
        len(value.encode()) < MIN_SECRET_BYTES
        or value in _KNOWN_SECRETS
        or any(mark in lowered for mark in _PLACEHOLDER_MARKS)
        or len(set(value)) < _MIN_DISTINCT_CHARACTERS
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
