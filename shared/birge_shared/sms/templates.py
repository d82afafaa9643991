"""The SMS texts Birge sends, in Kyrgyz, Russian and English, and the rules for editing them.

The defaults live here, in code; an admin's edit is a `message_template` row that overrides one
purpose in one language. Placeholders are `{name}` fields; each purpose allows a fixed set, so
an edit cannot reach for data the message should not carry.

Two more sets of wording stand beside the defaults:
- `ONE_WAY_TEMPLATES`, for a sender that cannot receive replies (SMS_TWO_WAY=false): the
  texts that ask for a reply (YES/NO, STOP, a number) point to the personal link instead.
  An edit that asks for a reply is refused while replies are off, and one saved before
  replies were turned off is passed over for the one-way default (`pick_text`).
- `SHORT_TEMPLATES`, for operators that do not join SMS parts: shorter wordings tried, in
  order, when the usual text does not fit one segment (see `birge_shared.sms.render`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from birge_shared.models.enums import Language
from birge_shared.sms.reply_instructions import reply_instruction

#: The placeholders each purpose may use.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "invitation": frozenset({"title", "date", "time", "venue", "link"}),
    "accepted": frozenset({"title", "date", "time", "venue", "link"}),
    "declined": frozenset({"title", "link"}),
    "waitlisted": frozenset({"title", "link"}),
    # After a confirmation by SMS: another invitation still waits for an answer.
    "invitation_waiting": frozenset({"title", "date", "time", "link"}),
    "opted_out": frozenset(),
    "opted_in": frozenset(),
    "help": frozenset(),
    "reply_hint": frozenset(),
    # Sent to everyone holding a sent or accepted invitation: what changed (`changes`: time,
    # place, title) and the event as it is now.
    "event_changed": frozenset({"title", "date", "time", "venue", "link", "changes"}),
    # `{reason}` is the coordinator's reason as a sentence ("Причина: …."), empty without one.
    "event_cancelled": frozenset({"title", "date", "time", "reason", "link"}),
    # Reminders to accepted participants, before the event.
    "reminder": frozenset({"title", "date", "time", "venue", "link"}),
    # To each of two buddies who both accepted the event, the day before.
    "buddy_nudge": frozenset({"title", "date", "time", "link"}),
    # The surveys. Question texts carry no placeholder: the page shows them too.
    "survey_question_attitude": frozenset(),
    "survey_question_rating": frozenset(),
    "survey_question_talk": frozenset(),
    "survey_post": frozenset({"title", "link"}),
    "survey_reminder": frozenset({"title", "link"}),
    # The follow-up wave, weeks after the event: the link to the page's questions.
    "survey_followup": frozenset({"title", "link"}),
    "survey_thanks": frozenset(),
    "survey_hint": frozenset(),
}

#: The placeholders a purpose's text must keep: an invitation nobody can answer on the page
#: (its link) would cost an SMS and leave the seat waiting for nothing.
REQUIRED: dict[str, frozenset[str]] = {
    "invitation": frozenset({"link"}),
}

#: How `{reason}` reads in a cancellation when the coordinator gave one.
REASON_SENTENCE: dict[Language, str] = {
    Language.KY: "Себеби: {reason}",
    Language.RU: "Причина: {reason}",
    Language.EN: "Reason: {reason}",
}

DEFAULT_TEMPLATES: dict[str, dict[Language, str]] = {
    "invitation": {
        Language.KY: "Birge: «{title}» иш-чарасына чакырабыз! {date}, саат {time}, {venue}. "
        "Жооп берүү: {link}",
        Language.RU: "Birge: приглашаем на «{title}»! {date}, {time}, {venue}. Ответить: {link}",
        Language.EN: "Birge: you're invited to {title}! {date}, {time}, {venue}. Reply: {link}",
    },
    "accepted": {
        Language.KY: "Birge: рахмат! «{title}» — {date}, саат {time}, {venue}. Көрүшкөнчө!",
        Language.RU: "Birge: спасибо! «{title}» — {date}, {time}, {venue}. До встречи!",
        Language.EN: "Birge: thank you! {title}: {date}, {time}, {venue}. See you there!",
    },
    "declined": {
        Language.KY: "Birge: «{title}» боюнча жообуңуз үчүн рахмат. "
        "Кийинки жолу көрүшөбүз деп үмүттөнөбүз.",
        Language.RU: "Birge: спасибо за ответ про «{title}». Надеемся увидеть вас в другой раз.",
        Language.EN: "Birge: thank you for answering about {title}. "
        "We hope to see you another time.",
    },
    "waitlisted": {
        Language.KY: "Birge: «{title}» иш-чарасында орун калбады, сиз күтүү тизмесиндесиз.",
        Language.RU: "Birge: на «{title}» сейчас нет мест, вы в листе ожидания.",
        Language.EN: "Birge: {title} is full for now; you are on the waiting list.",
    },
    "invitation_waiting": {
        Language.KY: "Birge: «{title}» ({date}, саат {time}) чакыруусу дагы эле жообуңузду "
        "күтүүдө: {link}",
        Language.RU: "Birge: приглашение на «{title}» ({date}, {time}) всё ещё ждёт ответа: {link}",
        Language.EN: "Birge: your invitation to {title} ({date}, {time}) still waits for an "
        "answer: {link}",
    },
    "opted_out": {
        Language.KY: "Birge: мындан ары билдирүү келбейт. Кайра жазылуу үчүн СТАРТ деп жазыңыз.",
        Language.RU: "Birge: вы отписаны от сообщений. Чтобы подписаться снова, ответьте СТАРТ.",
        Language.EN: "Birge: you will get no more messages. Reply START to subscribe again.",
    },
    "opted_in": {
        Language.KY: "Birge: чакыруулар кайра келет. Баш тартуу үчүн ТОКТОТ деп жазыңыз.",
        Language.RU: "Birge: вы снова подписаны. Чтобы отписаться, ответьте СТОП.",
        Language.EN: "Birge: you will receive invitations again. Reply STOP to unsubscribe.",
    },
    "help": {
        Language.KY: "Birge: чакырууга ООБА же ЖОК деп жооп бериңиз. ТОКТОТ — баш тартуу.",
        Language.RU: "Birge: ответьте ДА или НЕТ на приглашение. СТОП — отписаться.",
        Language.EN: "Birge: reply YES or NO to an invitation. STOP to unsubscribe.",
    },
    "reply_hint": {
        Language.KY: "Birge: жообуңуз түшүнүксүз. ООБА же ЖОК деп жазыңыз же шилтемени ачыңыз. "
        "ТОКТОТ — баш тартуу.",
        Language.RU: "Birge: ответ не распознан. Ответьте ДА или НЕТ или откройте ссылку. "
        "СТОП — отписаться.",
        Language.EN: "Birge: we did not understand. Reply YES or NO, or open your link. "
        "STOP to unsubscribe.",
    },
    "event_changed": {
        Language.KY: "Birge: «{title}» өзгөрдү ({changes}). Эми: {date}, саат {time}, {venue}. "
        "Толугураак: {link}",
        Language.RU: "Birge: «{title}» изменилось ({changes}). Теперь: {date}, {time}, {venue}. "
        "Подробнее: {link}",
        Language.EN: "Birge: {title} has changed ({changes}). Now: {date}, {time}, {venue}. "
        "Details: {link}",
    },
    # No link: there is nothing left to answer, and the SMS itself says all there is.
    "event_cancelled": {
        Language.KY: "Birge: {date}, саат {time} болчу «{title}» жокко чыгарылды. {reason} "
        "Кечиресиз!",
        Language.RU: "Birge: «{title}» {date}, {time} отменено. {reason} Просим прощения!",
        Language.EN: "Birge: {title} on {date}, {time} is cancelled. {reason} We are sorry!",
    },
    "reminder": {
        Language.KY: "Birge: эскертүү: «{title}», {date}, саат {time}, {venue}. Толугураак: {link}",
        Language.RU: "Birge: напоминаем: «{title}», {date}, {time}, {venue}. Подробнее: {link}",
        Language.EN: "Birge: reminder: {title}, {date}, {time}, {venue}. Details: {link}",
    },
    "buddy_nudge": {
        Language.KY: "Birge: «{title}» ({date}, {time}) иш-чарасына досуңуз да келет. "
        "Бири-бириңерди издегиле! {link}",
        Language.RU: "Birge: на «{title}» ({date}, {time}) придёт и ваш напарник. "
        "Найдите друг друга! {link}",
        Language.EN: "Birge: your buddy is coming to {title} ({date}, {time}) too. "
        "Look out for each other! {link}",
    },
    "survey_question_attitude": {
        Language.KY: "Башка коомчулуктун адамдарына карата мамилеңиз кандай? "
        "1ден 5ке чейин баалаңыз: 1 — өтө терс, 5 — өтө оң.",
        Language.RU: "Как вы относитесь к людям из другого сообщества? "
        "Ответьте от 1 до 5: 1 — очень плохо, 5 — очень хорошо.",
        Language.EN: "How do you feel about people from the other community? "
        "Answer 1 to 5: 1 = very negative, 5 = very positive.",
    },
    "survey_question_rating": {
        Language.KY: "Иш-чараны кандай баалайсыз? 1ден 5ке чейин: 1 — начар, 5 — эң жакшы.",
        Language.RU: "Как вам встреча? Ответьте от 1 до 5: 1 — плохо, 5 — отлично.",
        Language.EN: "How was the event? Answer 1 to 5: 1 = poor, 5 = excellent.",
    },
    "survey_question_talk": {
        Language.KY: "Башка коомчулуктагы бирөө менен чындап сүйлөшө алдыңызбы? 1 — ооба, 2 — жок.",
        Language.RU: "Удалось ли вам по-настоящему поговорить с кем-то из другого сообщества? "
        "1 — да, 2 — нет.",
        Language.EN: "Did you have a real conversation with someone from the other community? "
        "1 = yes, 2 = no.",
    },
    "survey_post": {
        Language.KY: "Birge: «{title}» иш-чарасына келгениңиз үчүн рахмат! Кандай өттү? "
        "Үч кыска суроо: {link}",
        Language.RU: "Birge: спасибо, что пришли на «{title}»! Как всё прошло? "
        "Три коротких вопроса: {link}",
        Language.EN: "Birge: thank you for coming to {title}! How was it? "
        "Three short questions: {link}",
    },
    "survey_followup": {
        Language.KY: "Birge: «{title}» иш-чарасынан бери бир нече жума өттү. "
        "Бир нече кыска суроо: {link}",
        Language.RU: "Birge: прошло несколько недель после «{title}». "
        "Несколько коротких вопросов: {link}",
        Language.EN: "Birge: a few weeks have passed since {title}. A few short questions: {link}",
    },
    "survey_reminder": {
        Language.KY: "Birge: «{title}» кандай өттү? Жоопторуңуз кийинки жолугушууларды "
        "жакшыртууга жардам берет: {link}",
        Language.RU: "Birge: как прошла встреча «{title}»? Ваши ответы помогут сделать "
        "следующие встречи лучше: {link}",
        Language.EN: "Birge: how was {title}? Your answers help us make the next meetings "
        "better: {link}",
    },
    "survey_thanks": {
        Language.KY: "Birge: жоопторуңуз үчүн рахмат!",
        Language.RU: "Birge: спасибо за ответы!",
        Language.EN: "Birge: thank you for your answers!",
    },
    "survey_hint": {
        Language.KY: "Birge: суроодо көрсөтүлгөндөй, бир гана сан менен жооп бериңиз.",
        Language.RU: "Birge: пожалуйста, ответьте одной цифрой, как указано в вопросе.",
        Language.EN: "Birge: please reply with just the number of your answer, as in the question.",
    },
}

#: The wording for a sender nobody can reply to, where the default asks for a reply.
ONE_WAY_TEMPLATES: dict[str, dict[Language, str]] = {
    "invitation": {
        Language.KY: DEFAULT_TEMPLATES["invitation"][Language.KY],
        Language.RU: DEFAULT_TEMPLATES["invitation"][Language.RU],
        Language.EN: "Birge: you're invited to {title}! {date}, {time}, {venue}. "
        "Answer here: {link}",
    },
    "opted_out": {
        Language.KY: "Birge: мындан ары билдирүү келбейт. Кайра жазылуу үчүн уюштуруучуларга "
        "кайрылыңыз.",
        Language.RU: "Birge: вы отписаны от сообщений. Чтобы подписаться снова, обратитесь к "
        "организаторам.",
        Language.EN: "Birge: you will get no more messages. To subscribe again, please contact "
        "the organisers.",
    },
    "opted_in": {
        Language.KY: "Birge: чакыруулар кайра келет. Баш тартууну шилтемеңиздеги баракчадан "
        "тандасаңыз болот.",
        Language.RU: "Birge: вы снова подписаны. Отписаться можно на странице по вашей ссылке.",
        Language.EN: "Birge: you will receive invitations again. You can stop all messages on "
        "the page of your link.",
    },
    "help": {
        Language.KY: "Birge: чакырууга SMSтеги шилтеме аркылуу жооп берсеңиз болот.",
        Language.RU: "Birge: на приглашение можно ответить по ссылке из SMS.",
        Language.EN: "Birge: you can answer an invitation on the link in its SMS.",
    },
    "reply_hint": {
        Language.KY: "Birge: SMS жооптору окулбайт. Чакырууга SMSтеги шилтеме аркылуу жооп "
        "берсеңиз болот.",
        Language.RU: "Birge: ответы по SMS не читаются. Ответить на приглашение можно по "
        "ссылке из SMS.",
        Language.EN: "Birge: replies by SMS are not read. You can answer an invitation on the "
        "link in its SMS.",
    },
    "survey_question_attitude": {
        Language.KY: "Birge: башка коомчулуктун адамдарына карата мамилеңиз кандай? Сурамжылоо "
        "шилтемеңиздеги баракчада.",
        Language.RU: "Birge: как вы относитесь к людям из другого сообщества? Опрос — на "
        "странице по вашей ссылке.",
        Language.EN: "Birge: how do you feel about people from the other community? The survey "
        "is on the page of your link.",
    },
    "survey_question_rating": {
        Language.KY: "Birge: иш-чараны кандай баалайсыз? Сурамжылоо шилтемеңиздеги баракчада.",
        Language.RU: "Birge: как вам встреча? Опрос — на странице по вашей ссылке.",
        Language.EN: "Birge: how was the event? The survey is on the page of your link.",
    },
    "survey_question_talk": {
        Language.KY: "Birge: башка коомчулуктагы бирөө менен сүйлөштүңүзбү? Сурамжылоо "
        "шилтемеңиздеги баракчада.",
        Language.RU: "Birge: удалось ли поговорить с кем-то из другого сообщества? Опрос — на "
        "странице по вашей ссылке.",
        Language.EN: "Birge: did you talk with someone from the other community? The survey is "
        "on the page of your link.",
    },
    "survey_hint": {
        Language.KY: "Birge: сурамжылоо шилтемеңиздеги баракчада.",
        Language.RU: "Birge: опрос — на странице по вашей ссылке.",
        Language.EN: "Birge: the survey is on the page of your link.",
    },
}

#: Shorter wordings for an operator that does not join parts, longest first. They ask for no
#: reply, so they serve a one-way sender as well. `{title}` is cut to fit where needed.
SHORT_TEMPLATES: dict[str, dict[Language, tuple[str, ...]]] = {
    "invitation": {
        Language.KY: ("Birge: «{title}» {date} {time}. Жооп: {link}",),
        Language.RU: ("Birge: «{title}» {date} {time}. Ответ: {link}",),
        Language.EN: ("Birge invite: {title} {date} {time}. Answer: {link}",),
    },
    "accepted": {
        Language.KY: (
            "Birge: «{title}» {date} {time}, {venue}. Күтөбүз!",
            "Birge: «{title}» {date} {time}. Күтөбүз!",
        ),
        Language.RU: (
            "Birge: «{title}» {date} {time}, {venue}. Ждём!",
            "Birge: «{title}» {date} {time}. Ждём!",
        ),
        Language.EN: (
            "Birge: {title} {date} {time}, {venue}. See you!",
            "Birge: {title} {date} {time}. See you!",
        ),
    },
    "declined": {
        Language.KY: ("Birge: «{title}»: жообуңуз үчүн рахмат.",),
        Language.RU: ("Birge: «{title}»: спасибо за ответ.",),
        Language.EN: ("Birge: {title}: thank you for answering.",),
    },
    "waitlisted": {
        Language.KY: ("Birge: «{title}»: сиз күтүү тизмесиндесиз.",),
        Language.RU: ("Birge: «{title}»: вы в листе ожидания.",),
        Language.EN: ("Birge: {title}: you are on the waiting list.",),
    },
    "invitation_waiting": {
        Language.KY: ("Birge: «{title}» жообуңузду күтөт: {link}",),
        Language.RU: ("Birge: «{title}» ждёт ответа: {link}",),
        Language.EN: ("Birge: {title} awaits your answer: {link}",),
    },
    "event_changed": {
        Language.KY: (
            "Birge: «{title}» өзгөрдү: {date} {time}, {venue}. {link}",
            "Birge: «{title}» өзгөрдү: {date} {time}. {link}",
        ),
        Language.RU: (
            "Birge: «{title}» изменилось: {date} {time}, {venue}. {link}",
            "Birge: «{title}» изменилось: {date} {time}. {link}",
        ),
        Language.EN: (
            "Birge: {title} changed: {date} {time}, {venue}. {link}",
            "Birge: {title} changed: {date} {time}. {link}",
        ),
    },
    "event_cancelled": {
        Language.KY: (
            "Birge: «{title}» {date} жокко чыгарылды. {reason}",
            "Birge: «{title}» {date} жокко чыгарылды.",
        ),
        Language.RU: (
            "Birge: «{title}» {date} отменено. {reason}",
            "Birge: «{title}» {date} отменено.",
        ),
        Language.EN: (
            "Birge: {title} on {date} is cancelled. {reason}",
            "Birge: {title} on {date} is cancelled.",
        ),
    },
    "buddy_nudge": {
        Language.KY: ("Birge: досуңуз да келет: «{title}» {date} {time}. {link}",),
        Language.RU: ("Birge: напарник тоже придёт: «{title}» {date} {time}. {link}",),
        Language.EN: ("Birge: your buddy comes too: {title} {date} {time}. {link}",),
    },
    "reminder": {
        Language.KY: (
            "Birge: «{title}» {date} {time}, {venue}. {link}",
            "Birge: «{title}» {date} {time}. {link}",
        ),
        Language.RU: (
            "Birge: «{title}» {date} {time}, {venue}. {link}",
            "Birge: «{title}» {date} {time}. {link}",
        ),
        Language.EN: (
            "Birge reminder: {title} {date} {time}, {venue}. {link}",
            "Birge reminder: {title} {date} {time}. {link}",
        ),
    },
    "survey_post": {
        Language.KY: ("Birge: «{title}» кандай өттү? {link}",),
        Language.RU: ("Birge: как прошло «{title}»? {link}",),
        Language.EN: ("Birge: how was {title}? {link}",),
    },
    "survey_followup": {
        Language.KY: ("Birge: «{title}» кийин, кыска суроолор: {link}",),
        Language.RU: ("Birge: после «{title}», короткие вопросы: {link}",),
        Language.EN: ("Birge: since {title}, short questions: {link}",),
    },
    "survey_reminder": {
        Language.KY: ("Birge: «{title}» кандай өттү? {link}",),
        Language.RU: ("Birge: как прошло «{title}»? {link}",),
        Language.EN: ("Birge: how was {title}? {link}",),
    },
}

#: When a text is missing in the participant's language, try these in order.
FALLBACK_ORDER = (Language.RU, Language.EN)


class TemplateError(ValueError):
    """An edited template that could not be rendered safely."""


def check_template(purpose: str, body: str, *, two_way: bool = True) -> None:
    """Refuse unknown purposes, unknown placeholders, and any formatting beyond `{name}`.

    Without replies (`two_way=False`) a text that asks for a reply is refused too: nobody
    could send what it asks for.
    """
    allowed = PLACEHOLDERS.get(purpose)
    if allowed is None:
        raise TemplateError(f"unknown purpose {purpose!r}")
    if not body.strip():
        raise TemplateError("the text is empty")
    try:
        fields = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise TemplateError(f"unbalanced braces: {exc}") from None
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            known = ", ".join(f"{{{field}}}" for field in sorted(allowed)) or "none"
            raise TemplateError(f"unknown placeholder {{{name}}}; allowed: {known}")
        if spec or conversion:
            raise TemplateError(f"placeholder {{{name}}} may not carry a format")
    used = {name for _literal, name, _spec, _conversion in fields if name}
    missing = sorted(REQUIRED.get(purpose, frozenset()) - used)
    if missing:
        needed = ", ".join(f"{{{field}}}" for field in missing)
        raise TemplateError(f"the text must contain {needed}")
    if not two_way:
        asked = reply_instruction(body)
        if asked is not None:
            raise TemplateError(
                f"the text asks for an SMS reply ({asked!r}), but replies cannot reach Birge "
                "(SMS_TWO_WAY is off): point to the personal link instead"
            )


def pick_text(
    purpose: str,
    language: Language,
    overrides: Mapping[tuple[str, Language], str],
    *,
    two_way: bool = True,
) -> str:
    """The admin's text if there is one, else the default; the language falls back ru → en.

    Without replies the one-way wording stands in for the default, and an edit that asks for
    a reply (saved while replies were on) is passed over.
    """
    for candidate in (language, *FALLBACK_ORDER):
        edited = overrides.get((purpose, candidate))
        if edited is not None and (two_way or reply_instruction(edited) is None):
            return edited
        default = default_text(purpose, candidate, two_way=two_way)
        if default is not None:
            return default
    raise TemplateError(f"no text for purpose {purpose!r}")


def default_text(purpose: str, language: Language, *, two_way: bool = True) -> str | None:
    """The built-in text of `purpose` in `language`, in its one-way wording when replies are off."""
    if not two_way and language in ONE_WAY_TEMPLATES.get(purpose, {}):
        return ONE_WAY_TEMPLATES[purpose][language]
    return DEFAULT_TEMPLATES.get(purpose, {}).get(language)


def fill(body: str, values: Mapping[str, str]) -> str:
    """Fill a checked template. Values are plain strings, so nothing is evaluated.

    A placeholder filled with nothing (a cancellation without a reason) leaves no double space.
    """
    return re.sub(r"(?<=\S) {2,}(?=\S)", " ", body.format_map(dict(values))).strip()


def reason_sentence(reason: str | None, language: Language) -> str:
    """`Причина: стадион закрыт.` for a reason, or an empty string without one."""
    text = (reason or "").strip()
    if not text:
        return ""
    if text[-1] not in ".!?…":
        text += "."
    return REASON_SENTENCE[language].format(reason=text)
