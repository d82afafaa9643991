"""SMS texts: every purpose in every language, with the administrators' edits over the defaults.

An edit is a `message_template` row; removing the row brings the default back. Each text is
shown with what it costs once filled in, so an administrator sees when an edit pushes a
message into a second segment.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from birge_api.deps import Actor
from birge_api.message_templates.schemas import OneSegment, Segments, TemplateRead
from birge_api.problems import invalid, not_found
from birge_shared import audit
from birge_shared.models import Language, MessageTemplate
from birge_shared.models.city import BISHKEK_TZ
from birge_shared.settings import Settings
from birge_shared.sms.operators import brands
from birge_shared.sms.render import SmsRoute, SmsText, personal_link, render_event_text
from birge_shared.sms.segments import count_segments
from birge_shared.sms.templates import (
    PLACEHOLDERS,
    TemplateError,
    check_template,
    default_text,
)

# Sample values of realistic length for the segment count: an event title of about 25
# characters in the message's language, a venue of about 20, the longest month names, and a
# link with a real token's length on this deployment's address.
_SAMPLE_TITLE = {
    Language.KY: "Бирге тил алмашуу кечеси",
    Language.RU: "Клуб языкового обмена Ош",
    Language.EN: "Language exchange evening",
}
_SAMPLE_VENUE = "Ala-Too Youth Centre"
_SAMPLE_START = datetime(2026, 9, 28, 12, 30, tzinfo=UTC)  # 18:30 in Bishkek
_SAMPLE_TOKEN = "x" * 43  # the length of `secrets.token_urlsafe(32)`, all GSM-7 characters
# A cancellation's reason as coordinators write it, about 30 characters.
_SAMPLE_REASON = {
    Language.KY: "Стадион оңдоого жабылды",
    Language.RU: "Стадион закрыт на ремонт",
    Language.EN: "The stadium is closed for repairs",
}


def _key(purpose: str, language: str) -> tuple[str, Language]:
    """The template a path names; an unknown purpose or language is a resource that is not."""
    if purpose not in PLACEHOLDERS:
        raise not_found("Message template")
    try:
        return purpose, Language(language)
    except ValueError:
        raise not_found("Message template") from None


def _sample(
    purpose: str, language: Language, body: str, settings: Settings, *, one_segment: bool
) -> SmsText:
    return render_event_text(
        purpose=purpose,
        language=language,
        route=SmsRoute(two_way=settings.sms_replies, one_segment=one_segment),
        title={language.value: _SAMPLE_TITLE[language]},
        venue=_SAMPLE_VENUE,
        starts_at=_SAMPLE_START,
        timezone=BISHKEK_TZ,
        link=personal_link(settings.public_base_url, _SAMPLE_TOKEN),
        overrides={(purpose, language): body},
        reason=_SAMPLE_REASON[language],
        # A change notice names what changed; the longest usual case is sized.
        changes=("time", "place"),
    )


def _segments(purpose: str, language: Language, body: str, settings: Settings) -> Segments:
    """The text's cost, and what operators that do not join parts would get instead."""
    count = count_segments(_sample(purpose, language, body, settings, one_segment=False).text)
    one_segment = None
    if settings.sms_single_segment_operators:
        fitted = _sample(purpose, language, body, settings, one_segment=True)
        one_segment = OneSegment(
            operators=brands(settings.sms_single_segment_operators),
            text=fitted.text,
            shortened=fitted.shortened,
            latin=fitted.latin,
        )
    return Segments(
        encoding=count.encoding,
        characters=count.characters,
        segments=count.segments,
        one_segment=one_segment,
    )


def _read(
    purpose: str, language: Language, row: MessageTemplate | None, settings: Settings
) -> TemplateRead:
    default = default_text(purpose, language, two_way=settings.sms_replies)
    assert default is not None  # every purpose has a text in every language
    body = row.body if row is not None else default
    return TemplateRead(
        purpose=purpose,
        language=language,
        body=body,
        is_default=row is None,
        placeholders=sorted(PLACEHOLDERS[purpose]),
        segments=_segments(purpose, language, body, settings),
        updated_at=row.updated_at if row is not None else None,
        updated_by_id=row.updated_by_id if row is not None else None,
    )


def list_templates(*, session: Session, settings: Settings) -> list[TemplateRead]:
    """Every purpose in every language, in a stable order."""
    rows = {(row.purpose, row.language): row for row in session.scalars(select(MessageTemplate))}
    return [
        _read(purpose, language, rows.get((purpose, language)), settings)
        for purpose in PLACEHOLDERS
        for language in Language
    ]


def get_template(
    *, session: Session, purpose: str, language: str, settings: Settings
) -> TemplateRead:
    key = _key(purpose, language)
    return _read(*key, session.get(MessageTemplate, key), settings)


def preview_template(*, purpose: str, language: str, body: str, settings: Settings) -> Segments:
    """What a draft text would cost, after the same placeholder check as saving it."""
    key = _key(purpose, language)
    try:
        check_template(purpose, body, two_way=settings.sms_replies)
    except TemplateError as exc:
        raise invalid("body", str(exc), type_="invalid-template") from None
    return _segments(*key, body, settings)


def set_template(
    *,
    session: Session,
    actor: Actor,
    purpose: str,
    language: str,
    body: str,
    settings: Settings,
) -> TemplateRead:
    """Store an administrator's text after checking its placeholders."""
    key = _key(purpose, language)
    try:
        check_template(purpose, body, two_way=settings.sms_replies)
    except TemplateError as exc:
        raise invalid("body", str(exc), type_="invalid-template") from None
    row = session.get(MessageTemplate, key, with_for_update=True)
    if row is None:
        try:
            # Two first edits at the same moment meet on the primary key; the later one
            # then changes the row the earlier one made, as an edit of an edit would.
            with session.begin_nested():
                row = MessageTemplate(
                    purpose=key[0], language=key[1], body=body, updated_by_id=actor.user_id
                )
                session.add(row)
                session.flush()
        except IntegrityError:
            row = session.get(MessageTemplate, key, with_for_update=True)
            assert row is not None
    row.body = body
    row.updated_by_id = actor.user_id
    session.flush()
    read = _read(*key, row, settings)
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="message_template.update",
        object_type="message_template",
        object_id=f"{purpose}:{key[1].value}",
        details={"segments": read.segments.segments, "encoding": read.segments.encoding},
    )
    return read


def reset_template(
    *, session: Session, actor: Actor, purpose: str, language: str, settings: Settings
) -> TemplateRead:
    """Drop the administrators' text, so the default is used again; returns the default."""
    key = _key(purpose, language)
    row = session.get(MessageTemplate, key, with_for_update=True)
    if row is not None:
        session.delete(row)
        session.flush()
    audit.record(
        session=session,
        actor_id=actor.user_id,
        action="message_template.reset",
        object_type="message_template",
        object_id=f"{purpose}:{key[1].value}",
        details={"had_edit": row is not None},
    )
    return _read(*key, None, settings)
