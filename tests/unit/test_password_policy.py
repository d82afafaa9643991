"""Staff passwords follow NIST SP 800-63B: long enough, no composition rules, not guessable."""

from __future__ import annotations

import pytest

from birge_shared.passwords import password_weakness


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        (" " * 10, "only spaces"),
        ("aaaaaaaaaa", "Repeats"),
        ("1234567890", "common password"),
        ("password123", "common password"),
        ("qwertyuiop", "common password"),
        ("abcabcabcabc", "easy to guess"),
        ("short", "at least 10 characters"),
        ("x" * 201, "at most 200 characters"),
        ("birgebirge12", "easy to guess"),
    ],
)
def test_trivial_passwords_are_refused_saying_why(password: str, reason: str) -> None:
    weakness = password_weakness(password)
    assert weakness is not None
    assert reason in weakness


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # words, spaces, no digits or capitals: fine
        "жылдыз кечинде келет",  # Kyrgyz, any script
        "gL7#pq2-mZ9v",
        # Longer than zxcvbn reads (72): its first 72 characters decide, and they are strong.
        "the river at osh bazaar smelled of apricots and rain; we met at nine " * 2,
    ],
)
def test_strong_passwords_need_no_particular_mix(password: str) -> None:
    assert password_weakness(password) is None


def test_a_password_made_of_the_accounts_address_is_refused() -> None:
    email = "nurlan.asanov@example.org"
    assert password_weakness("nurlan.asanov.kg", user_inputs=[email]) is not None
    assert password_weakness(email, user_inputs=[email]) is not None
