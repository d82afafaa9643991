"""A participant list held between the steps of the import wizard, encrypted.

The wizard reads a file's header to map its columns, checks it in a dry run, then imports it:
three requests over one upload. Asking the coordinator to choose the file three times would
be error-prone, and keeping it in clear on disk would leave personal data behind, so the
bytes (and the file's name) are kept in the database encrypted with the PII key, visible only
to the user who uploaded them, and deleted once imported or an hour after the upload.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from birge_api.participants.service import Upload
from birge_api.problems import not_found
from birge_shared.crypto import get_cipher
from birge_shared.models import ImportUpload, utcnow

HOLD_FOR = timedelta(hours=1)


def purge_expired(session: Session) -> None:
    session.execute(delete(ImportUpload).where(ImportUpload.created_at < utcnow() - HOLD_FOR))


def hold(*, session: Session, user_id: uuid.UUID, upload: Upload) -> uuid.UUID:
    purge_expired(session)
    cipher = get_cipher()
    row = ImportUpload(
        user_id=user_id,
        filename_encrypted=cipher.encrypt(upload.filename) if upload.filename else None,
        content_type=(upload.content_type or "")[:200] or None,
        content_encrypted=cipher.encrypt_bytes(upload.content),
    )
    session.add(row)
    session.flush()
    return row.id


def _row(session: Session, user_id: uuid.UUID, upload_id: uuid.UUID) -> ImportUpload:
    row = session.scalar(
        select(ImportUpload).where(
            ImportUpload.id == upload_id,
            ImportUpload.user_id == user_id,
            ImportUpload.created_at >= utcnow() - HOLD_FOR,
        )
    )
    if row is None:
        raise not_found("Upload")
    return row


def held(*, session: Session, user_id: uuid.UUID, upload_id: uuid.UUID) -> Upload:
    """The user's own upload, or 404 when it is someone else's, imported or expired."""
    row = _row(session, user_id, upload_id)
    cipher = get_cipher()
    return Upload(
        filename=cipher.decrypt(row.filename_encrypted) if row.filename_encrypted else None,
        content_type=row.content_type,
        content=cipher.decrypt_bytes(row.content_encrypted),
    )


def release(*, session: Session, user_id: uuid.UUID, upload_id: uuid.UUID) -> None:
    session.delete(_row(session, user_id, upload_id))
