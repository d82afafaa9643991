"""What a coordinator should know about a selection before and when it is sent.

Preview and send give the same warnings for the same selection: nobody can be invited (and
why, in counts), the mix band keeps seats empty, the event is so near that people get only the
minimum answer window. Details are plain English for the console; the codes are stable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from birge_api.invitations.schemas import InvitationWarning, WarningCode
from birge_api.invitations.selection import Selection
from birge_shared.invitations import deadline_for, min_answer_window
from birge_shared.models import Community, Event
from birge_shared.settings import Settings


def invitation_warnings(
    *, event: Event, selection: Selection, settings: Settings, now: datetime
) -> list[InvitationWarning]:
    warnings: list[InvitationWarning] = []
    band = band_shortfall(event=event, selection=selection)
    if not selection.proposal.invite:
        warnings.append(
            InvitationWarning(code=WarningCode.NOBODY, detail=nobody_detail(selection, band))
        )
    if band is not None:
        warnings.append(InvitationWarning(code=WarningCode.MIX_BAND, detail=band))
    short = short_window(event=event, settings=settings, now=now)
    if short is not None:
        warnings.append(InvitationWarning(code=WarningCode.SHORT_WINDOW, detail=short))
    return warnings


def nobody_detail(selection: Selection, band: str | None) -> str:
    """Why the proposal invites nobody, in counts: `12 opted out; 3 without consent; …`."""
    excluded = selection.excluded
    reasons = [
        f"{count} {why}"
        for count, why in (
            (excluded.opted_out, "opted out"),
            (excluded.no_consent, "without consent"),
            (excluded.already_invited, "already invited"),
        )
        if count
    ]
    if selection.open_seats == 0:
        reasons.append(f"no seat is open ({selection.held.total} of {selection.seat_limit} held)")
    elif band is not None:
        reasons.append(band)
    if selection.proposal.waitlist:
        reasons.append(f"{len(selection.proposal.waitlist)} put on the waitlist")
    return "nobody can be invited now: " + "; ".join(reasons or ["nobody was selected"])


def band_shortfall(*, event: Event, selection: Selection) -> str | None:
    """Why the band leaves open seats empty although eligible people wait, or None."""
    eligible = len(selection.people)
    wanted = min(selection.open_seats, eligible)
    invited = len(selection.proposal.invite)
    if invited >= wanted:
        return None
    communities = [person.community for person in selection.people.values()]
    hosts = communities.count(Community.HOST)
    migrants = communities.count(Community.MIGRANT)
    if hosts == 0 or migrants == 0:
        missing = "hosts" if hosts == 0 else "migrants"
        return f"band cannot be met: no {missing} among {eligible}"
    share = round(event.min_share * 100)
    return (
        f"the mix band (each community at least {share} %) leaves {wanted - invited} of "
        f"{selection.open_seats} open seats empty: {hosts} hosts and {migrants} migrants "
        f"among {eligible}"
    )


def short_window(*, event: Event, settings: Settings, now: datetime) -> str | None:
    """Said when the usual rule would leave people invited now less than the minimum window."""
    window = min_answer_window(settings)
    usual = event.answer_by or min(
        now + timedelta(hours=settings.answer_within_hours),
        event.starts_at - timedelta(hours=settings.answer_by_hours_before_event),
    )
    if usual >= now + window:
        return None
    zone = ZoneInfo(event.city.timezone)
    deadline = deadline_for(event=event, sent_at=now, settings=settings)
    starts_in = _duration(event.starts_at - now)
    if deadline >= event.starts_at:
        return (
            f"the event starts in {starts_in}: people invited now can answer until it starts "
            f"({_clock(event.starts_at, zone)}), and freed seats are not offered to the waitlist"
        )
    return (
        f"the event starts in {starts_in}: people invited now have until "
        f"{_clock(deadline, zone)} to answer (the minimum window of "
        f"{settings.min_answer_window_minutes} minutes); seats freed after "
        f"{_clock(event.starts_at - window, zone)} stay open for late answers instead of going "
        "to the waitlist"
    )


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%H:%M} ({zone.key})"


def _duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
