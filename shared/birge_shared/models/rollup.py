from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Index, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base


class ReportRollup(Base):
    """Running counts behind the impact reports, one row per cell and measure.

    A cell is one event × one community; a measure is an item code in a wave (or a pair of
    waves); a distribution's counts per value and a pair's rises are columns of its row.
    Database triggers keep the rows in step with `survey_response` in the transaction that
    writes it; what each key means is in `birge_shared.rollups`.

    No foreign key to `event`: rows follow their answers and invitations, and a cascade that
    deletes an event's rows would race the triggers that update them. Reports read the rows
    of the events they select, so a deleted event's rows are never read.
    """

    __tablename__ = "report_rollup"
    __table_args__ = (
        PrimaryKeyConstraint("event_id", "community", "item", "wave", "value"),
        # A summary reads a few measures of every cell: by measure, each is one index range
        # read alone, in cell order (migration 20261201_report_rollup_measure_index).
        Index(
            "ix_report_rollup_measure",
            "item",
            "wave",
            "event_id",
            "community",
            "value",
            postgresql_include=[
                "n",
                "total",
                "squares",
                "at_1",
                "at_2",
                "at_3",
                "at_4",
                "at_5",
                "positive",
            ],
        ),
    )

    event_id: Mapped[uuid.UUID]
    #: The community's value, or "" for not declared (a key cannot hold NULL).
    community: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(40))
    #: "pre", "post", or a pair "pre:post".
    wave: Mapped[str] = mapped_column(String(40))
    #: "" for the moments over every answer (the only value kept since migration 0031; a
    #: distribution's counts per value are the `at_…` columns).
    value: Mapped[str] = mapped_column(String(40))
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    squares: Mapped[int] = mapped_column(BigInteger, default=0)
    #: A distribution item's answers per value (`rollups.COUNTED_VALUES`), on its moments row.
    at_1: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    at_2: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    at_3: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    at_4: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    at_5: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: On a pair row: the people whose value rose (later − earlier > 0).
    positive: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class InvitationRollup(Base):
    """Invitations per cell (event × the participant's community) and status.

    One column per status: the statuses are a closed list, and a report reads every one of a
    cell at once. Triggers on `invitation` and `participant` keep the row in step.
    """

    __tablename__ = "invitation_rollup"
    __table_args__ = (PrimaryKeyConstraint("event_id", "community"),)

    event_id: Mapped[uuid.UUID]
    #: The community's value, or "" for not declared.
    community: Mapped[str] = mapped_column(String(20))
    planned: Mapped[int] = mapped_column(BigInteger, default=0)
    sent: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    declined: Mapped[int] = mapped_column(BigInteger, default=0)
    waitlisted: Mapped[int] = mapped_column(BigInteger, default=0)
    expired: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    withdrawn: Mapped[int] = mapped_column(BigInteger, default=0)
    attended: Mapped[int] = mapped_column(BigInteger, default=0)
    no_show: Mapped[int] = mapped_column(BigInteger, default=0)
