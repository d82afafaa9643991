from __future__ import annotations

import uuid
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from birge_api.groups.service import MAX_GROUPS, EventGroups
from birge_shared.models import ActivityFormat, Community, Language, Participant


class GroupsSplit(BaseModel):
    """Either a group size or a number of groups."""

    model_config = ConfigDict(extra="forbid")

    size: int | None = Field(default=None, ge=2, le=100, description="People per group, about")
    count: int | None = Field(default=None, ge=1, le=MAX_GROUPS, description="Number of groups")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.size is None) == (self.count is None):
            raise ValueError("give either size or count")
        return self


class GroupMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_id: uuid.UUID
    to_group: int = Field(ge=1, le=MAX_GROUPS, description="The target group's number")


class GroupMemberRead(BaseModel):
    participant_id: uuid.UUID
    community: Community | None
    language: Language


class GroupRead(BaseModel):
    number: int
    language: Language = Field(description="The language the group's members share")
    host: int
    migrant: int
    unspecified: int
    in_band: bool = Field(description="Whether the group's declared members are inside the band")
    members: list[GroupMemberRead]


class BuddyProposal(BaseModel):
    group: int
    host_id: uuid.UUID
    migrant_id: uuid.UUID


class GroupsRead(BaseModel):
    event_id: uuid.UUID
    format: ActivityFormat = Field(description="The event's activity format")
    min_share: float
    warnings: list[str] = Field(
        description="`opposing-communities`: a competitive event has a team of one community; "
        "`outside-band`: a group is outside the mix band; `language-mixed`: a group no longer "
        "shares one language (after a move by hand)"
    )
    groups: list[GroupRead]
    proposed_buddies: list[BuddyProposal] | None = Field(
        default=None,
        description="With `propose_buddies=true`: a host and a migrant without a buddy from "
        "each group, to pair with POST /v1/buddies",
    )


def groups_read(
    result: EventGroups, proposals: list[tuple[int, Participant, Participant]] | None = None
) -> GroupsRead:
    share = result.event.min_share
    return GroupsRead(
        event_id=result.event.id,
        format=result.format,
        min_share=share,
        warnings=result.warnings,
        groups=[
            GroupRead(
                number=group.number,
                language=group.language,
                host=group.host,
                migrant=group.migrant,
                unspecified=group.unspecified,
                in_band=group.in_band(share),
                members=[
                    GroupMemberRead(participant_id=p.id, community=p.community, language=p.language)
                    for p in group.members
                ],
            )
            for group in result.groups
        ],
        proposed_buddies=None
        if proposals is None
        else [
            BuddyProposal(group=number, host_id=host.id, migrant_id=migrant.id)
            for number, host, migrant in proposals
        ],
    )
