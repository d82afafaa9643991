from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from birge_shared.models.base import Base, str_enum, utcnow
from birge_shared.models.enums import Community


class SurveyResponse(Base):
    """One person's answers to the pre (at RSVP) or post (after the event) survey.

    Keyed by a pseudonym (a keyed hash of the participant with its own key), never by the
    participant: erasing the person leaves the answers, and no report can name anyone.
    The community is copied at answer time so results can be split by it without a link back.
    """

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("event_id", "pseudonym", "kind"),
        # Reports read answers per event and kind and pair pre with post by pseudonym; with
        # the figures' columns included they do it from the index alone.
        Index(
            "ix_survey_response_event_kind_pseudonym",
            "event_id",
            "kind",
            "pseudonym",
            postgresql_include=["attitude", "rating", "cross_group_talk", "community"],
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    pseudonym: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # "pre", "post" or "followup"
    community: Mapped[Community | None] = mapped_column(str_enum(Community))
    attitude: Mapped[int | None] = mapped_column(Integer)  # Likert 1–5
    rating: Mapped[int | None] = mapped_column(Integer)  # 1–5, post only
    cross_group_talk: Mapped[bool | None]  # post only
    # The item bank's other items (`birge_shared.survey_items`): one column each, so the
    # rollup triggers stay one generic set over `survey_response`.
    thermometer: Mapped[int | None] = mapped_column(Integer)  # 0–100
    social_distance: Mapped[int | None] = mapped_column(Integer)  # 1 closest – 5 farthest
    anxiety: Mapped[int | None] = mapped_column(Integer)  # 1–5
    met_outside: Mapped[bool | None]  # follow-up only
    join_again: Mapped[int | None] = mapped_column(Integer)  # 1 yes, 2 maybe, 3 no; follow-up
    # Free text may identify the writer: encrypted, and purged after the retention period.
    comment_encrypted: Mapped[str | None] = mapped_column(Text)
    # A coordinator hid the comment (it named someone): shown to nobody from then on.
    comment_hidden_at: Mapped[datetime | None]
    comment_hidden_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(10))  # a `surveys.Channel` value
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyConversation(Base):
    """Where a participant is in an SMS survey: which question comes next, and until when."""

    __tablename__ = "survey_conversation"
    __table_args__ = (UniqueConstraint("invitation_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invitation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(10))
    step: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
