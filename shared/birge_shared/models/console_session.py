"""A signed-in browser of the coordinator console.

Sessions live in the database, not in a signed cookie, so signing out, deactivating an account
or changing its password ends them at once. The cookie carries a random token; only its
SHA-256 is stored, so a copy of the table does not sign anyone in.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from birge_shared.models.base import Base, utcnow
from birge_shared.models.user import User


class ConsoleSession(Base):
    __tablename__ = "console_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    # The account's token_version when the session began: raising it (deactivation, a new
    # role, cities or password) ends the session like it revokes API tokens.
    token_version: Mapped[int]
    # Sent back in every state-changing form and htmx request (the synchroniser token).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
