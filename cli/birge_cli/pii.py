"""`birge pii rotate`: re-encrypt stored personal data under the first configured key.

`birge pii reindex-names` rebuilds the blind index of names (`birge_shared.name_index`): its
hashes are keyed by PII_HASH_KEY, so after that key changes every name is indexed again.
Migration 0019 indexes the participants that existed before the index did.

Rotating a key means prepending a new key to PII_ENCRYPTION_KEY (the old one still decrypts),
running this, and then dropping the old key. Work goes in batches, each its own transaction,
so a large table is not locked at once and an interrupted run can simply be started again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from birge_shared import name_index
from birge_shared.crypto import PiiCipher
from birge_shared.models import Invitation, Message, Participant

BATCH = 500

Row = TypeVar("Row", Participant, Message, Invitation)

PARTICIPANT_COLUMNS = ("name_encrypted", "phone_encrypted", "email_encrypted")
MESSAGE_COLUMNS = ("body_encrypted",)
INVITATION_COLUMNS = ("token_encrypted",)  # personal-link tokens


@dataclass(frozen=True)
class Batch:
    rows: int
    last_id: Any


def rotate_batch(
    *,
    session: Session,
    cipher: PiiCipher,
    model: type[Row],
    columns: tuple[str, ...],
    after: Any,
    limit: int = BATCH,
) -> Batch:
    """Re-encrypt the next `limit` rows after id `after`; the caller commits."""
    key: InstrumentedAttribute[Any] = model.id
    query = select(model).order_by(key).limit(limit)
    if after is not None:
        query = query.where(key > after)
    # Locked, so an edit arriving meanwhile is not overwritten with the older value.
    rows = session.scalars(query.with_for_update()).all()
    for row in rows:
        for column in columns:
            token = getattr(row, column)
            if token is not None:
                setattr(row, column, cipher.rotate(token))
    session.flush()
    return Batch(rows=len(rows), last_id=rows[-1].id if rows else None)


def rotate_all(
    *,
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    cipher: PiiCipher,
    model: type[Row],
    columns: tuple[str, ...],
) -> int:
    """Rotate every row of `model`, one committed unit of work per batch; return the count."""
    total, after = 0, None
    while True:
        with unit_of_work() as session:
            batch = rotate_batch(
                session=session, cipher=cipher, model=model, columns=columns, after=after
            )
        total += batch.rows
        if batch.rows < BATCH:
            return total
        after = batch.last_id


def reindex_names_batch(
    *, session: Session, cipher: PiiCipher, after: Any, limit: int = BATCH
) -> Batch:
    """Rebuild the name index of the next `limit` participants after id `after`."""
    query = select(Participant).order_by(Participant.id).limit(limit)
    if after is not None:
        query = query.where(Participant.id > after)
    # Locked, so a rename arriving meanwhile is not indexed under the older name.
    rows = session.scalars(query.with_for_update()).all()
    name_index.reindex(
        session,
        cipher.name_token_key,
        [
            (row.id, cipher.decrypt(row.name_encrypted) if row.name_encrypted else None)
            for row in rows
        ],
    )
    session.flush()
    return Batch(rows=len(rows), last_id=rows[-1].id if rows else None)


def reindex_names(
    *, unit_of_work: Callable[[], AbstractContextManager[Session]], cipher: PiiCipher
) -> int:
    """Rebuild every participant's name tokens under the current PII_HASH_KEY; the count."""
    total, after = 0, None
    while True:
        with unit_of_work() as session:
            batch = reindex_names_batch(session=session, cipher=cipher, after=after)
        total += batch.rows
        if batch.rows < BATCH:
            return total
        after = batch.last_id
