"""Staff passwords: hashed with Argon2id, and refused when trivially guessable.

The rule follows NIST SP 800-63B: at least ten characters, no composition rules (no "one digit
and one capital"), but a password an attacker would try early is refused. zxcvbn (a kept
strength estimator) recognises common and breached passwords, keyboard walks, repeats and
sequences; it estimates the guesses needed, and anything it scores below "safely
unguessable" (3 of 4) is refused with its own explanation of why.
"""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()

# Verifying against this when the account does not exist keeps the response time the same,
# so timing does not reveal which e-mails have accounts.
_DUMMY_HASH = _hasher.hash("birge-dummy-password")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn's scores: 3 means about 10^10 guesses or more, "safely unguessable" against an
# attacker who has to go through the login throttle and Argon2id.
_MIN_SCORE = 3
# zxcvbn refuses longer inputs (its matching is quadratic); a password whose first 72
# characters are strong is at least as strong as a whole.
_ESTIMATED_PREFIX = 72
# Words an attacker aiming at this service tries first.
_SERVICE_WORDS = ("birge", "бирге", "bishkek", "бишкек", "osh", "ош", "admin", "coordinator")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return bool(_hasher.verify(password_hash or _DUMMY_HASH, password)) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_weakness(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """Why this password is refused, in a sentence for the person choosing it; None if fine.

    `user_inputs` are words tied to the account (its e-mail address): a password made of them
    is as weak as a common one.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters long"
    if not password.strip():
        return "must not be only spaces"
    words = [*_SERVICE_WORDS, *_account_words(user_inputs)]
    estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=words)
    if estimate["score"] >= _MIN_SCORE:
        return None
    feedback = estimate["feedback"]
    warning = str(feedback.get("warning") or "").strip()
    suggestions = " ".join(str(text) for text in feedback.get("suggestions") or [])
    reason = warning or "This password is easy to guess."
    return f"is too easy to guess: {reason} {suggestions}".strip()


def _account_words(user_inputs: Iterable[str]) -> list[str]:
    words: list[str] = []
    for given in user_inputs:
        value = given.strip().lower()
        words += [value, value.split("@", 1)[0]]
        for part in value.replace("@", " ").replace(".", " ").split():
            if len(part) >= 3:
                words.append(part)
    return words
