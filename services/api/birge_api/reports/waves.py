"""Change between survey waves per attitude item of the bank: pre → post, post → follow-up and
pre → follow-up, each with its 95 % interval and n.

Read from the rollups' pair rows (`birge_shared.rollups.PAIRED_ITEMS`, wave `earlier:later`),
under the same cell rule as the summary's attitude change: a cell (event × community) counts
only with at least `MIN_RESPONDENTS` pairs, and a figure resting on fewer is suppressed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from birge_api.reports.figures import ChangeSums, attitude_change
from birge_api.reports.schemas import WaveChange
from birge_shared import rollups
from birge_shared.models import Community
from birge_shared.models import ReportRollup as Rollup
from birge_shared.statistics import MIN_RESPONDENTS


def wave_changes(
    session: Session, scope: Select[uuid.UUID], community: Community | None
) -> list[WaveChange]:
    """Every paired item's change over the events in `scope`, in `PAIRED_ITEMS` order."""
    query = (
        select(
            Rollup.item,
            Rollup.wave,
            func.sum(Rollup.n),
            func.sum(Rollup.total),
            func.sum(Rollup.squares),
            func.sum(Rollup.positive),
        )
        .where(
            Rollup.event_id.in_(scope),
            Rollup.value == rollups.ALL_VALUES,
            Rollup.wave.in_({paired.wave for paired in rollups.PAIRED_ITEMS}),
            Rollup.n >= MIN_RESPONDENTS,
            *([] if community is None else [Rollup.community == community.value]),
        )
        .group_by(Rollup.item, Rollup.wave)
    )
    sums: dict[tuple[str, str], ChangeSums] = defaultdict(ChangeSums)
    for item, wave, n, total, squares, positive in session.connection().execute(query):
        sums[(item, wave)] = ChangeSums(int(n), int(total), int(squares), int(positive))
    return [
        WaveChange(
            item=paired.item.code,
            earlier=paired.earlier,
            later=paired.later,
            change=attitude_change(sums[(paired.item.code, paired.wave)]),
        )
        for paired in rollups.PAIRED_ITEMS
    ]
