"""The words of Birge's e-mails, in Kyrgyz, Russian and English, for each purpose.

`{title}` is the event's title in the reader's language, `{changes}` what a change notice is
about (time, place, title); the rest of each e-mail (when, where, the personal link) is laid
out by `birge_shared.mail.invitation`. A cancellation carries neither the link nor the
calendar note: there is nothing to answer and nothing to add.
"""

from __future__ import annotations

from dataclasses import dataclass

from birge_shared.models.enums import Language

#: The e-mail purposes, and the calendar method each one carries.
PURPOSES = ("invitation", "event_changed", "event_cancelled")


@dataclass(frozen=True)
class PurposeTexts:
    subject: str
    lead: str


@dataclass(frozen=True)
class MailTexts:
    when: str
    where: str
    open_page: str
    calendar_note: str
    #: The label of the coordinator's reason in a cancellation.
    reason: str
    signature: str
    purposes: dict[str, PurposeTexts]


TEXTS: dict[Language, MailTexts] = {
    Language.KY: MailTexts(
        when="Качан",
        where="Кайда",
        open_page="Жооп берүү жана толук маалымат",
        calendar_note="Календарыңызга кошуу үчүн тиркелген invite.ics файлын ачыңыз.",
        reason="Себеби",
        signature="Birge командасы",
        purposes={
            "invitation": PurposeTexts(
                subject="Чакыруу: {title}",
                lead="Сизди «{title}» иш-чарасына чакырабыз!",
            ),
            "event_changed": PurposeTexts(
                subject="Өзгөртүү: {title}",
                lead="«{title}» иш-чарасы өзгөрдү ({changes}). Жаңы маалымат:",
            ),
            "event_cancelled": PurposeTexts(
                subject="Жокко чыгарылды: {title}",
                lead="Тилекке каршы, «{title}» иш-чарасы жокко чыгарылды. Кечиресиз!",
            ),
        },
    ),
    Language.RU: MailTexts(
        when="Когда",
        where="Где",
        open_page="Ответить и подробнее",
        calendar_note="Чтобы добавить событие в календарь, откройте приложенный файл invite.ics.",
        reason="Причина",
        signature="Команда Birge",
        purposes={
            "invitation": PurposeTexts(
                subject="Приглашение: {title}",
                lead="Приглашаем вас на «{title}»!",
            ),
            "event_changed": PurposeTexts(
                subject="Изменение: {title}",
                lead="В «{title}» произошли изменения ({changes}). Актуальные данные:",
            ),
            "event_cancelled": PurposeTexts(
                subject="Отменено: {title}",
                lead="К сожалению, «{title}» отменено. Просим прощения!",
            ),
        },
    ),
    Language.EN: MailTexts(
        when="When",
        where="Where",
        open_page="Answer and details",
        calendar_note="To add the event to your calendar, open the attached invite.ics file.",
        reason="Reason",
        signature="The Birge team",
        purposes={
            "invitation": PurposeTexts(
                subject="Invitation: {title}",
                lead="You are invited to {title}!",
            ),
            "event_changed": PurposeTexts(
                subject="Updated: {title}",
                lead="{title} has changed ({changes}). Here is what holds now:",
            ),
            "event_cancelled": PurposeTexts(
                subject="Cancelled: {title}",
                lead="We are sorry: {title} is cancelled.",
            ),
        },
    ),
}
