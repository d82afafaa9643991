"""The texts administrators changed, read in one query by the API (previews) and the workers
(sending), so both render exactly the same message."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared.models import Language, MessageTemplate


def load_overrides(session: Session) -> dict[tuple[str, Language], str]:
    """Every edited text as `{(purpose, language): body}`, ready for `pick_text`."""
    rows = session.execute(
        select(MessageTemplate.purpose, MessageTemplate.language, MessageTemplate.body)
    )
    return {(purpose, language): body for purpose, language, body in rows}
