from __future__ import annotations

import uuid

from birge_shared.pseudonyms import pseudonym


def test_the_same_person_gets_the_same_pseudonym_and_it_hides_the_id() -> None:
    person = uuid.uuid4()
    assert pseudonym(person) == pseudonym(person)
    assert pseudonym(person) != pseudonym(uuid.uuid4())
    assert person.hex not in pseudonym(person)


def test_another_key_gives_another_pseudonym() -> None:
    person = uuid.uuid4()
    assert pseudonym(person, key="one") != pseudonym(person, key="two")
