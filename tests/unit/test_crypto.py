from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from birge_shared.crypto import PiiCipher, PiiKeyError


def cipher(*keys: str) -> PiiCipher:
    return PiiCipher(encryption_keys=list(keys), hash_key="hash-key")


def test_ciphertext_hides_the_value_and_round_trips() -> None:
    key = Fernet.generate_key().decode()
    token = cipher(key).encrypt("+996555123456")
    assert "996555123456" not in token
    assert cipher(key).decrypt(token) == "+996555123456"


def test_a_rotated_key_still_reads_old_data_and_rotate_moves_it_to_the_new_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = cipher(old).encrypt("aida@example.org")
    both = cipher(new, old)
    assert both.decrypt(token) == "aida@example.org"
    rotated = both.rotate(token)
    assert cipher(new).decrypt(rotated) == "aida@example.org"
    with pytest.raises(PiiKeyError):
        cipher(old).decrypt(rotated)


def test_lookup_hash_is_stable_keyed_and_kind_separated() -> None:
    key = Fernet.generate_key().decode()
    a = PiiCipher(encryption_keys=[key], hash_key="one")
    b = PiiCipher(encryption_keys=[key], hash_key="two")
    assert a.lookup_hash("phone", "+996555123456") == a.lookup_hash("phone", "+996555123456")
    assert a.lookup_hash("phone", "+996555123456") != b.lookup_hash("phone", "+996555123456")
    assert a.lookup_hash("phone", "x") != a.lookup_hash("email", "x")


def test_a_bad_key_is_reported_without_the_key() -> None:
    with pytest.raises(PiiKeyError) as caught:
        cipher("not-a-fernet-key")
    assert "not-a-fernet-key" not in str(caught.value)
