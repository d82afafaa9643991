"""Who a request names, who of them may be invited, and the balanced proposal over them.

Preview and send both go through `select_people`, so what a coordinator previews is what is
sent, as long as nothing changed in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, load_only

from birge_api.invitations.schemas import Criteria, InvitationRequest
from birge_api.problems import Problem, invalid
from birge_shared import buddies
from birge_shared.balance import Candidate, Held, Proposal, propose, seat_limit
from birge_shared.bulk import among
from birge_shared.invitations import candidates_for, held_seats
from birge_shared.models import Event, Invitation, InvitationStatus, Participant, utcnow
from birge_shared.settings import Settings

# PostgreSQL caps the bind parameters of one statement; a whole city's history is read in
# chunks of this many people.
_HISTORY_CHUNK = 1000
# Ids named in an error, so a long list of wrong ids does not make a huge problem response.
_IDS_SHOWN = 5


@dataclass(frozen=True)
class ExcludedCounts:
    opted_out: int = 0
    no_consent: int = 0
    already_invited: int = 0


@dataclass(frozen=True)
class Selection:
    proposal: Proposal
    excluded: ExcludedCounts
    #: The people in the proposal (invite and waitlist), for their language and community.
    people: dict[uuid.UUID, Participant]
    seat_limit: int
    held: Held

    @property
    def open_seats(self) -> int:
        return max(0, self.seat_limit - self.held.total)


def check_request(request: InvitationRequest, settings: Settings) -> None:
    """Refuse a request whose shape is wrong before anything is looked up or locked."""
    given = [name for name in ("participant_ids", "criteria") if getattr(request, name) is not None]
    if len(given) != 1:
        detail = (
            "give participant_ids or criteria, not both"
            if given
            else "give participant_ids or criteria"
        )
        raise Problem(
            status=422,
            type_="validation-error",
            title="The request is not valid",
            detail=detail,
            errors=[
                {"field": "participant_ids", "detail": detail},
                {"field": "criteria", "detail": detail},
            ],
        )
    limit = settings.max_recipients_per_request
    if request.participant_ids is not None and len(request.participant_ids) > limit:
        raise invalid("participant_ids", f"at most {limit} participants per request")
    if request.criteria is not None and (request.criteria.max or 0) > limit:
        raise invalid("criteria.max", f"at most {limit} participants per request")


def select_people(
    *, session: Session, event: Event, request: InvitationRequest, settings: Settings
) -> Selection:
    """The proposal for this request: eligible people balanced into invite and waitlist.

    Seats are what the over-invite factor allows in total minus what is already held: the
    factor applies to the event's capacity, not to what is left of it, or a second request
    would over-invite the already over-invited seats once more.
    """
    if request.participant_ids is not None:
        named = _named(session, event, request.participant_ids)
        cap = None
    else:
        assert request.criteria is not None  # check_request allows nothing else
        named = _matching(session, event, request.criteria)
        cap = request.criteria.max or settings.max_recipients_per_request
    # Buddies are invited together: a named or matching person brings their buddy along.
    partner_of = buddies.partners(session, [person.id for person in named])
    named += _named(
        session, event, [b for b in partner_of.values() if b not in {p.id for p in named}]
    )

    invited_before = set(
        session.scalars(select(Invitation.participant_id).where(Invitation.event_id == event.id))
    )
    opted_out = no_consent = already_invited = 0
    eligible: list[Participant] = []
    # Each person is counted once, under the first reason that keeps them out.
    for person in named:
        if person.opted_out_at is not None:
            opted_out += 1
        elif person.consent_given_at is None or person.erased_at is not None:
            no_consent += 1
        elif person.id in invited_before:
            already_invited += 1
        else:
            eligible.append(person)

    candidates = sorted(_candidates(session, eligible, event.id), key=Candidate.priority)
    if cap is not None:
        candidates = candidates[:cap]
    held = held_seats(session, event.id)
    limit = seat_limit(event.capacity, settings.over_invite_factor)
    seats = max(0, limit - held.total)
    proposal = propose(candidates, capacity=seats, min_share=event.min_share)
    proposal = buddies.keep_together(proposal, partner_of, seats=seats)
    chosen = {*proposal.invite, *proposal.waitlist}
    return Selection(
        proposal=proposal,
        excluded=ExcludedCounts(
            opted_out=opted_out, no_consent=no_consent, already_invited=already_invited
        ),
        people={person.id: person for person in eligible if person.id in chosen},
        seat_limit=limit,
        held=held,
    )


def _columns(query: Select[Participant]) -> Select[Participant]:
    # Only what the choice needs: the encrypted name and number stay in the table.
    return query.options(
        load_only(
            Participant.id,
            Participant.city_code,
            Participant.community,
            Participant.language,
            Participant.consent_given_at,
            Participant.opted_out_at,
            Participant.erased_at,
        )
    )


def _named(session: Session, event: Event, ids: Sequence[uuid.UUID]) -> list[Participant]:
    wanted = list(dict.fromkeys(ids))
    found = list(
        session.scalars(
            _columns(select(Participant)).where(
                among(session, Participant.id, wanted), Participant.city_code == event.city_code
            )
        )
    )
    known = {person.id for person in found}
    missing = [str(person_id) for person_id in wanted if person_id not in known]
    if missing:
        # Unknown and other-city ids read the same, so the answer does not tell a coordinator
        # which ids exist in cities they cannot see.
        shown = ", ".join(missing[:_IDS_SHOWN]) + (" …" if len(missing) > _IDS_SHOWN else "")
        raise invalid(
            "participant_ids",
            f"{len(missing)} not participants in the event's city: {shown}",
            type_="unknown-participants",
        )
    return found


def _matching(session: Session, event: Event, criteria: Criteria) -> list[Participant]:
    query = _columns(select(Participant)).where(
        Participant.city_code == event.city_code,
        # Erased people are anonymous stubs kept for reports, not people who can be reached.
        Participant.erased_at.is_(None),
    )
    if criteria.languages is not None:
        query = query.where(Participant.language.in_(criteria.languages))
    if criteria.communities is not None:
        declared = [community for community in criteria.communities if community is not None]
        either = [Participant.community.in_(declared)] if declared else []
        if None in criteria.communities:
            either.append(Participant.community.is_(None))
        query = query.where(or_(*either))
    if criteria.not_invited_within_days is not None:
        query = query.where(~_invited_within(event, criteria.not_invited_within_days))
    if criteria.invited_within_days is not None:
        query = query.where(_invited_within(event, criteria.invited_within_days))
    return list(session.scalars(query.order_by(Participant.id)))


def _invited_within(event: Event, days: int) -> Any:
    since = utcnow() - timedelta(days=days)
    # A waitlist place is not an invitation (as in the invitation history), and this
    # event's own invitations are reported as `already_invited` instead.
    return exists().where(
        Invitation.participant_id == Participant.id,
        Invitation.event_id != event.id,
        Invitation.status != InvitationStatus.WAITLISTED,
        Invitation.created_at >= since,
    )


def _candidates(
    session: Session, people: Sequence[Participant], event_id: uuid.UUID
) -> Iterable[Candidate]:
    for start in range(0, len(people), _HISTORY_CHUNK):
        yield from candidates_for(
            session, people[start : start + _HISTORY_CHUNK], except_event=event_id
        )
