"""Syncing the registered WhatsApp templates' approval from Twilio's Content API.

Every template's approval is read first and written only when all were read: a sync that
fails part way (the API down, refused credentials, a sid Twilio does not know) changes
nothing, so a template approved yesterday stays usable, and a paused one stays unused, until
a sync succeeds. The periodic task, `birge whatsapp sync-templates` and the administrators'
"sync now" all run this.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from birge_shared import audit
from birge_shared.models import WhatsAppTemplate, utcnow
from birge_shared.providers.twilio_content import Approval, ContentApiError

log = logging.getLogger(__name__)

#: Concurrent reads of the Content API: a few dozen templates are read in a few round trips.
_CONCURRENT = 8


class ApprovalSource(Protocol):
    def fetch_approval(self, content_sid: str) -> Approval: ...


class SyncFailedError(Exception):
    """The approvals could not all be read; nothing was changed."""


@dataclass(frozen=True)
class SyncResult:
    synced_at: datetime
    #: Templates read.
    checked: int
    #: Templates whose approval, category or rejection reason changed.
    changed: int
    #: Templates by approval after the sync.
    approvals: dict[str, int] = field(default_factory=dict)


def sync_approvals(
    *,
    session: Session,
    source: ApprovalSource,
    actor_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Read every registered template's approval and record it; the caller commits.

    Raises `SyncFailedError` (with the rows untouched) when any read failed.
    """
    moment = now or utcnow()
    rows = list(
        session.scalars(
            select(WhatsAppTemplate).order_by(WhatsAppTemplate.purpose, WhatsAppTemplate.language)
        )
    )
    sids = [row.content_sid for row in rows]
    try:
        with ThreadPoolExecutor(max_workers=_CONCURRENT) as pool:
            fetched = dict(zip(sids, pool.map(source.fetch_approval, sids), strict=True))
    except ContentApiError as exc:
        log.warning("whatsapp template sync failed", extra={"reason": str(exc)})
        raise SyncFailedError(str(exc)) from None
    changed = 0
    for row in rows:
        approval = fetched[row.content_sid]
        category = approval.category or row.category
        before = (row.approval, row.category, row.rejection_reason)
        after = (approval.approval, category, approval.rejection_reason)
        if before != after:
            changed += 1
            row.approval, row.category, row.rejection_reason = after
        row.synced_at = moment
    session.flush()
    counts = Counter(row.approval.value for row in rows)
    result = SyncResult(
        synced_at=moment, checked=len(rows), changed=changed, approvals=dict(sorted(counts.items()))
    )
    audit.record(
        session=session,
        actor_id=actor_id,
        action="whatsapp_template.sync",
        object_type="whatsapp_template",
        details={"checked": result.checked, "changed": result.changed, **result.approvals},
    )
    log.info(
        "whatsapp templates synced", extra={"checked": result.checked, "changed": result.changed}
    )
    return result
