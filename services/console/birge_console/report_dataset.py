"""The evaluator's dataset from the reports page: the same zip as `GET /v1/reports/dataset`.

For administrators and viewers (the API's rule, so a coordinator gets its 403 as a page); the
reports page's filters select the events, as they do for the CSV and XLSX exports.
"""

from __future__ import annotations

from fastapi.responses import FileResponse

from birge_api.reports.dataset.download import dataset_download
from birge_console.context import ConsoleDep
from birge_console.reports import filter_form
from birge_console.routing import console_router

router = console_router()


@router.get("/console/reports/dataset.zip")
def dataset(console: ConsoleDep) -> FileResponse:
    params = console.request.query_params
    form = filter_form(
        params.get("city", ""),
        params.get("from", ""),
        params.get("to", ""),
        params.get("activity_type", ""),
    )
    return dataset_download(session=console.db, actor=console.actor, filters=form.filters)
