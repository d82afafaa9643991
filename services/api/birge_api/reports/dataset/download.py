"""The dataset as an HTTP download, for the API and the console alike."""

from __future__ import annotations

from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from birge_api.deps import Actor
from birge_api.reports.dataset.service import MEDIA_TYPE, build_dataset
from birge_api.reports.service import ReportFilter


def dataset_download(*, session: Session, actor: Actor, filters: ReportFilter) -> FileResponse:
    built = build_dataset(session=session, actor=actor, filters=filters)
    return FileResponse(
        built.path,
        media_type=MEDIA_TYPE,
        filename=built.filename,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        # The temporary zip goes once sent (or once the client went away).
        background=BackgroundTask(built.path.unlink, missing_ok=True),
    )
