"""Personal-link tokens are stored only as a keyed hash (and encrypted), never as they are.

The attack: a copy of the database (a backup, a read replica, a leaked dump) hands out every
participant's link, and with it their answers and where they meet.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from birge_shared.crypto import get_cipher
from birge_shared.migrate import alembic_config
from birge_shared.models import Invitation
from birge_shared.models.invitation import token_hash
from tests.factories import make_event, make_invitation, make_participant

REVISION = "0016"


def test_a_new_invitations_row_holds_no_token(client: TestClient, db: Session) -> None:
    invitation = make_invitation(db, event=make_event(db), participant=make_participant(db))
    token = invitation.token

    row = db.execute(
        text("SELECT * FROM invitation WHERE id = :id"), {"id": invitation.id}
    ).mappings()
    stored = repr(dict(next(iter(row))))
    assert token not in stored
    assert invitation.token_hash == token_hash(token)
    assert len(invitation.token_hash) == 64  # an HMAC-SHA-256 in hex

    assert client.get(f"/p/{token}").status_code == 200
    # The hash is not a way in: a link made of it finds nothing.
    assert client.get(f"/p/{invitation.token_hash}").status_code == 404
    assert client.get(f"/p/{token}/invite.ics").status_code == 200
    assert client.get(f"/p/{invitation.token_hash}/invite.ics").status_code == 404


def _run(url: str, action: str, revision: str) -> None:
    # A connection of our own, without the foreign-key pragma: the rows below point at no
    # event or participant, which this migration neither needs nor checks.
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def test_the_migration_converts_existing_links_which_keep_working(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'birge.db'}"
    _run(url, "upgrade", f"{REVISION}-1")
    tokens = {uuid.uuid4(): secrets.token_urlsafe(32) for _ in range(3)}
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for row_id, token in tokens.items():
                connection.execute(
                    text(
                        "INSERT INTO invitation (id, event_id, participant_id, status, token,"
                        " created_at, updated_at) VALUES (:id, :event, :person, 'sent', :token,"
                        " '2026-11-30 10:00:00', '2026-11-30 10:00:00')"
                    ),
                    {
                        "id": row_id.hex,
                        "event": uuid.uuid4().hex,
                        "person": uuid.uuid4().hex,
                        "token": token,
                    },
                )

        _run(url, "upgrade", REVISION)

        columns = {column["name"] for column in inspect(engine).get_columns("invitation")}
        assert "token" not in columns
        assert {"token_hash", "token_encrypted"} <= columns
        assert "token_version" in {c["name"] for c in inspect(engine).get_columns("app_user")}
        with Session(engine) as session:
            for row_id, token in tokens.items():
                invitation = session.get(Invitation, row_id)
                assert invitation is not None
                assert invitation.token_hash == token_hash(token)
                assert invitation.token == token  # the link already sent is still the link
                assert token not in invitation.token_encrypted
                assert get_cipher().decrypt(invitation.token_encrypted) == token

        _run(url, "downgrade", f"{REVISION}-1")
        with engine.connect() as connection:
            restored: dict[str, str] = {
                row[0]: row[1]
                for row in connection.execute(text("SELECT id, token FROM invitation"))
            }
        assert sorted(restored.values()) == sorted(tokens.values())
    finally:
        engine.dispose()
