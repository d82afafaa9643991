"""Migration 0019 indexes the names of participants registered before the name index."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from birge_shared import name_index
from birge_shared.crypto import get_cipher
from birge_shared.db import make_engine
from birge_shared.migrate import upgrade
from birge_shared.models import Language, Participant, ParticipantNameToken, utcnow


def test_existing_participants_become_searchable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    upgrade(url, "0018")
    cipher = get_cipher()
    named, erased = uuid.uuid4(), uuid.uuid4()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            # Columns as 0018 left them: written by hand, not through today's model.
            for participant_id, name in ((named, "Айгүл Асанова"), (erased, None)):
                connection.execute(
                    insert(Participant.__table__).values(  # type: ignore[arg-type]
                        id=participant_id,
                        name_encrypted=cipher.encrypt(name) if name else None,
                        language=Language.KY,
                        city_code="osh",
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
        upgrade(url)
        with Session(engine) as session:
            stored = set(
                session.scalars(
                    select(ParticipantNameToken.token_hash).where(
                        ParticipantNameToken.participant_id == named
                    )
                )
            )
            assert name_index.term_hashes(cipher.name_token_key, "aig")[0] in stored
            assert name_index.term_hashes(cipher.name_token_key, "асан")[0] in stored
            assert stored == name_index.name_hashes(cipher.name_token_key, "Айгүл Асанова")
            none = session.scalars(
                select(ParticipantNameToken).where(ParticipantNameToken.participant_id == erased)
            ).all()
            assert none == []
    finally:
        engine.dispose()
