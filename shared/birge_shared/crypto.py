"""Encryption at rest and keyed hashes for personal data (phone, e-mail, name).

Fernet (AES-128-CBC with HMAC-SHA256) through MultiFernet: the first configured key encrypts,
every configured key decrypts, so a key can be rotated by prepending a new one and re-encrypting
(`birge pii rotate`). The lookup hash is an HMAC with its own key, so an inbound SMS can be
matched to a participant and uniqueness enforced without ever decrypting.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from birge_shared.settings import Settings, get_settings

_NAME_TOKEN_PURPOSE = b"birge participant name tokens v1"


class PiiKeyError(RuntimeError):
    """The stored ciphertext cannot be read with any configured key."""


class PiiCipher:
    def __init__(self, *, encryption_keys: list[str], hash_key: str) -> None:
        if not encryption_keys:
            raise PiiKeyError("PII_ENCRYPTION_KEY holds no key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in encryption_keys])
        except ValueError as exc:
            # The message names the setting, never the key material.
            raise PiiKeyError("PII_ENCRYPTION_KEY must hold url-safe base64 Fernet keys") from exc
        self._hash_key = hash_key.encode()

    @classmethod
    def from_settings(cls, settings: Settings) -> PiiCipher:
        return cls(
            encryption_keys=[key.get_secret_value() for key in settings.pii_encryption_key],
            hash_key=settings.pii_hash_key.get_secret_value(),
        )

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise PiiKeyError(
                "stored personal data cannot be decrypted with the configured keys"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt under the primary key (a no-op in meaning, a change in key)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt_bytes(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise PiiKeyError(
                "stored personal data cannot be decrypted with the configured keys"
            ) from exc

    @property
    def name_token_key(self) -> bytes:
        """The name index's own key (`birge_shared.name_index`), derived from the hash key.

        Derived rather than the hash key itself, so a name token's hash never equals a
        phone's or an e-mail's, and changing PII_HASH_KEY changes it too.
        """
        return hmac.new(self._hash_key, _NAME_TOKEN_PURPOSE, hashlib.sha256).digest()

    def lookup_hash(self, kind: str, value: str) -> str:
        """A stable keyed hash of a normalised value; `kind` keeps phone and e-mail apart."""
        message = f"{kind}:{value}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()


@lru_cache(maxsize=1)
def get_cipher() -> PiiCipher:
    return PiiCipher.from_settings(get_settings())


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
