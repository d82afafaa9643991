"""All of Birge's settings, read once from the environment or a `.env` file.

Nothing else in the code base reads `os.environ`: every component asks `get_settings()`.
"""

from __future__ import annotations

import enum
import re
from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from birge_shared.sms.operators import OPERATORS

# Working defaults for local development only. Outside development each of these is refused
# at start-up, so a forgotten secret cannot reach a real deployment.
DEV_SECRET_KEY = "dev-secret-key-do-not-use-outside-development"  # noqa: S105
DEV_PII_ENCRYPTION_KEY = "ZGV2LXBpaS1rZXktMzItYnl0ZXMtbG9uZy0tLS0tLS0="
DEV_PII_HASH_KEY = "dev-pii-hash-key-do-not-use-outside-development"
DEV_TWILIO_AUTH_TOKEN = "dev-twilio-auth-token"  # noqa: S105
DEV_PSEUDONYM_KEY = "dev-pseudonym-key-do-not-use-outside-development"

#: The longest PUBLIC_BASE_URL that leaves a one-segment SMS room around its personal link
#: (the address, "/p/" and a 43-character token make a link of at most 96 characters).
MAX_PUBLIC_BASE_URL = 50

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


_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
    # The sender: an E.164 number ("+996555000000") or an alphanumeric sender ID ("Birge"):
    # up to 11 letters, digits and spaces with at least one letter, as Twilio accepts them.
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    # Twilio's Content API, where WhatsApp templates' approvals are read; the SDK's host for it
    # is another than the Messages API's, so a test double (Prism) is pointed at separately.
    twilio_content_api_base: str = "https://content.twilio.com"
    # How often the periodic task reads the approvals of the registered WhatsApp templates.
    whatsapp_template_sync_minutes: int = Field(default=60, ge=1)

    # The WhatsApp sender, through the same Twilio account: its E.164 number ("+996555000000",
    # sent as `whatsapp:+996555000000`) or a Messaging Service with a WhatsApp sender in its
    # pool (wins when both are set). Unset, or without TWILIO_ACCOUNT_SID, WhatsApp is off:
    # nothing is planned on it and people who opted in get SMS, as before.
    whatsapp_from: str | None = None
    whatsapp_messaging_service_sid: str | None = None

    # The Telegram bot. Without a token and a username the participant page offers no bot
    # link and the webhook refuses every update. TELEGRAM_API_BASE points the bot library at a
    # Bot API double (the tests' fake, a staging stand-in).
    telegram_bot_token: SecretStr | None = None
    telegram_bot_username: str | None = None
    # Telegram echoes this in X-Telegram-Bot-Api-Secret-Token on every webhook call
    # (1-256 characters of A-Z, a-z, 0-9, _ and -).
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"

    smtp_url: str | None = None
    mail_from: str = "Birge <no-reply@birge.kg>"

    # The mailbox that calendar answers go to. Set: e-mailed invitations name it as ORGANIZER
    # and ask for an answer (RSVP), and `calendar.read_replies` reads it over IMAP. Unset:
    # invitations are published entries that ask for no answer (nobody would read it).
    calendar_reply_address: str | None = None
    calendar_reply_imap_host: str | None = None
    calendar_reply_imap_port: int = Field(default=993, ge=1, le=65535)
    calendar_reply_imap_user: str | None = None
    calendar_reply_imap_password: SecretStr = SecretStr("")
    # Implicit TLS (IMAPS, port 993); off only for a server on the same host or network.
    calendar_reply_imap_tls: bool = True
    calendar_reply_imap_folder: str = "INBOX"
    calendar_reply_poll_seconds: int = Field(default=60, ge=10, le=3600)

    # Limits that keep the API from being used to exhaust memory or scrape data.
    max_request_bytes: int = 5 * 1024 * 1024
    max_import_rows: int = 5000
    # An import is refused before parsing past these bounds, and stops at its time limit.
    max_import_columns: int = Field(default=50, ge=9)
    max_import_unpacked_bytes: int = Field(default=16 * 1024 * 1024, ge=1024 * 1024)
    import_time_limit_seconds: float = Field(default=30.0, gt=0)

    sms_price_per_segment: Decimal = Decimal("0.0450")
    sms_price_currency: str = "USD"

    # Whether the sender can receive replies. Unset: false for an alphanumeric sender ID (no
    # handset can answer a name), true for a number or a messaging service. Without replies no
    # text asks for one, the personal link is the only answer path and no survey goes by SMS.
    sms_two_way: bool | None = None
    # Operators that do not join multi-part SMS, as MCC-MNC codes (see birge_shared.sms.operators):
    # their numbers get every text in one segment. Default: Beeline Kyrgyzstan.
    sms_single_segment_operators: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["437-01"]
    )

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

    # The follow-up survey wave goes to attendees this many days after their event ends.
    survey_followup_days: int = Field(default=28, ge=1, le=365)

    # Retention: inbound SMS texts and survey comments are purged after this many days;
    # participants not invited for `review_after_days` are listed for review.
    retention_days: int = Field(default=180, ge=1)
    review_after_days: int = Field(default=730, ge=1)

    log_level: str = "INFO"

    @field_validator(
        "twilio_account_sid",
        "twilio_from_number",
        "twilio_messaging_service_sid",
        "whatsapp_from",
        "whatsapp_messaging_service_sid",
        "smtp_url",
        "calendar_reply_address",
        "calendar_reply_imap_host",
        "calendar_reply_imap_user",
        "telegram_bot_token",
        "telegram_bot_username",
        "telegram_webhook_secret",
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

    @field_validator("twilio_from_number")
    @classmethod
    def _check_sender(cls, value: str | None) -> str | None:
        if value is None or is_phone_sender(value) or is_alphanumeric_sender(value):
            return value
        # The value is the sender's public name or number, not personal data.
        raise ValueError(
            "TWILIO_FROM_NUMBER must be an E.164 number (+996555000000) or an alphanumeric "
            "sender ID of at most 11 letters, digits and spaces with at least one letter"
        )

    @field_validator("whatsapp_from")
    @classmethod
    def _check_whatsapp_sender(cls, value: str | None) -> str | None:
        if value is None or is_phone_sender(value):
            return value
        raise ValueError(
            "WHATSAPP_FROM must be the E.164 number of the WhatsApp sender (+996555000000), "
            "without the whatsapp: prefix"
        )

    @field_validator("sms_single_segment_operators", mode="before")
    @classmethod
    def _split_operators(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("sms_single_segment_operators")
    @classmethod
    def _known_operators(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in OPERATORS]
        if unknown:
            known = ", ".join(f"{code} ({operator.brand})" for code, operator in OPERATORS.items())
            raise ValueError(
                f"SMS_SINGLE_SEGMENT_OPERATORS names unknown operators {', '.join(unknown)}; "
                f"known: {known}"
            )
        return value

    @model_validator(mode="after")
    def _replies_need_a_number(self) -> Self:
        if (
            self.sms_two_way
            and self.twilio_from_number is not None
            and is_alphanumeric_sender(self.twilio_from_number)
        ):
            raise ValueError(
                "SMS_TWO_WAY=true cannot work with an alphanumeric TWILIO_FROM_NUMBER: "
                "nobody can reply to a sender ID"
            )
        return self

    @model_validator(mode="after")
    def _link_fits_one_segment(self) -> Self:
        # A text to an operator that does not join parts must fit one segment with its link.
        if self.sms_single_segment_operators and len(self.public_base_url) > MAX_PUBLIC_BASE_URL:
            raise ValueError(
                f"PUBLIC_BASE_URL must be at most {MAX_PUBLIC_BASE_URL} characters while "
                "SMS_SINGLE_SEGMENT_OPERATORS is set: a longer link leaves no room in one SMS"
            )
        return self

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("calendar_reply_address")
    @classmethod
    def _reply_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        address = value.strip().lower()
        if address.count("@") != 1 or " " in address or "<" in address:
            raise ValueError("CALENDAR_REPLY_ADDRESS must be a bare e-mail address")
        return address

    @model_validator(mode="after")
    def _reply_mailbox_complete(self) -> Self:
        # An address without a mailbox to read would ask people for answers nobody reads.
        if self.calendar_reply_address is not None and not (
            self.calendar_reply_imap_host and self.calendar_reply_imap_user
        ):
            raise ValueError(
                "CALENDAR_REPLY_ADDRESS needs CALENDAR_REPLY_IMAP_HOST and "
                "CALENDAR_REPLY_IMAP_USER (the mailbox the answers are read from)"
            )
        return self

    @field_validator("telegram_webhook_secret", mode="after")
    @classmethod
    def _telegram_secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

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
        if self.reads_calendar_replies and not self.calendar_reply_imap_password.get_secret_value():
            problems.append("CALENDAR_REPLY_IMAP_PASSWORD must be set with CALENDAR_REPLY_ADDRESS")
        if self.uses_telegram and self.telegram_webhook_secret is None:
            problems.append("TELEGRAM_WEBHOOK_SECRET must be set when the Telegram bot is on")
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
        if self.telegram_webhook_secret is not None:
            secrets.append(
                ("TELEGRAM_WEBHOOK_SECRET", [self.telegram_webhook_secret.get_secret_value()])
            )
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
    def uses_whatsapp(self) -> bool:
        """WhatsApp is on: Twilio is configured and a WhatsApp sender is named."""
        return self.uses_twilio and bool(self.whatsapp_from or self.whatsapp_messaging_service_sid)

    @property
    def reads_calendar_replies(self) -> bool:
        """Whether invitations ask for calendar answers and the reply mailbox is read."""
        return self.calendar_reply_address is not None

    @property
    def sms_replies(self) -> bool:
        """Can participants answer an SMS by replying (SMS_TWO_WAY, resolved)?"""
        if self.sms_two_way is not None:
            return self.sms_two_way
        return self.twilio_from_number is None or not is_alphanumeric_sender(
            self.twilio_from_number
        )

    @property
    def uses_telegram(self) -> bool:
        """The bot is on: it has a token and a name to build start links with."""
        return self.telegram_bot_token is not None and bool(self.telegram_bot_username)

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


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Twilio's alphanumeric sender ID: 1-11 of A-Z, a-z, 0-9 and space, with at least one letter.
_ALPHANUMERIC_SENDER = re.compile(r"(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def is_phone_sender(value: str) -> bool:
    return _E164.fullmatch(value) is not None


def is_alphanumeric_sender(value: str) -> bool:
    return _ALPHANUMERIC_SENDER.fullmatch(value) is not None


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
