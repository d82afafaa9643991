from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import audit
from birge_shared.models import User, utcnow
from birge_shared.passwords import verify_password


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        return None
    user.last_login_at = utcnow()
    audit.record(
        session=session, actor_id=user.id, action="login", object_type="user", object_id=user.id
    )
    return user
