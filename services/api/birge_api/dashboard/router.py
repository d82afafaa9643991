from __future__ import annotations

from fastapi import APIRouter

from birge_api.dashboard import service
from birge_api.dashboard.schemas import DashboardRead
from birge_api.deps import Reader, SessionDep, SettingsDep
from birge_shared.models import utcnow

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"])


@router.get("", responses={401: {"description": "No or invalid token"}})
def get_dashboard(session: SessionDep, settings: SettingsDep, actor: Reader) -> DashboardRead:
    """Upcoming events of your cities with their counts and mix, and what needs doing: failed
    deliveries, batches awaiting budget approval, events short of confirmations, outside
    their band or with a short answer window, and (not for viewers) the waiting inbox."""
    return service.dashboard(session=session, actor=actor, settings=settings, now=utcnow())
