"""Every word of the participant page in Kyrgyz, Russian and English.

One `PageTexts` per language, so a missing translation is a type error rather than an English
word on a Kyrgyz page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from birge_shared.models import Language
from birge_shared.sms.render import local_date, local_time
from birge_shared.surveys import Question


class AnswerState(enum.StrEnum):
    """Where the participant stands, in words they can act on (not the invitation's status)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"
    PAST = "past"


class Done(enum.StrEnum):
    """The confirmation shown once after an answer was saved (`?done=` after the redirect)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    CHECKED_IN = "checked_in"


# Each language's own name, so a person can find theirs whatever the page is in.
LANGUAGE_NAMES: dict[Language, str] = {
    Language.KY: "Кыргызча",
    Language.RU: "Русский",
    Language.EN: "English",
}


@dataclass(frozen=True)
class PageTexts:
    invitation: str
    when: str
    where: str
    open_map: str
    add_to_calendar: str
    accept: str
    decline: str
    your_answer: str
    change_hint: str
    #: An unanswered invitation's real deadline: `{deadline}` is its local date and time.
    answer_by_hint: str
    states: dict[AnswerState, str]
    done: dict[Done, str]
    cancelled_heading: str
    cancelled_body: str
    cancelled_reason: str
    changed_heading: str
    changed_body: str
    closed_heading: str
    closed_body: str
    not_found_heading: str
    not_found_body: str
    refused_heading: str
    refused_body: str
    bad_answer_body: str
    back: str
    language: str
    weekdays: tuple[str, str, str, str, str, str, str]
    # The surveys; the questions themselves are SMS templates, shared with the SMS survey.
    survey_pre_heading: str
    survey_post_heading: str
    survey_privacy: str
    survey_send: str
    yes: str
    no: str
    #: The questions in page wording: the choices are radio buttons, not numbers to type.
    survey_questions: dict[Question, str]
    #: What the lowest and the highest value of each scale mean.
    scale_ends: dict[Question, tuple[str, str]]
    comment_label: str
    survey_saved: str
    survey_incomplete_body: str
    survey_closed_body: str
    # Checking in at the event with the code the organisers show.
    checkin_heading: str
    checkin_hint: str
    checkin_code_label: str
    checkin_button: str
    checkin_wrong_heading: str
    checkin_wrong_body: str
    checkin_too_many_body: str
    checkin_closed_body: str


TEXTS: dict[Language, PageTexts] = {
    Language.KY: PageTexts(
        invitation="Чакыруу",
        when="Качан",
        where="Кайда",
        open_map="Картадан көрүү",
        add_to_calendar="Календарга кошуу",
        accept="Катышам",
        decline="Катыша албайм",
        your_answer="Сиздин жообуңуз",
        change_hint="Жообуңузду иш-чара башталганга чейин өзгөртө аласыз.",
        answer_by_hint=(
            "Жооп берүү мөөнөтү: {deadline}. Жооп бергенден кийин аны иш-чара башталганга "
            "чейин өзгөртө аласыз."
        ),
        states={
            AnswerState.PENDING: "Сиз азырынча жооп бере элексиз.",
            AnswerState.ACCEPTED: "Сиз катышасыз. Көрүшкөнчө!",
            AnswerState.DECLINED: "Сиз катыша албай турганыңызды билдирдиңиз.",
            AnswerState.EXPIRED: (
                "Жооп берүү мөөнөтү өттү, бирок дагы эле жооп бере аласыз: "
                "орун бош болсо, ал сиздики."
            ),
            AnswerState.WAITLISTED: (
                "Сиз күтүү тизмесиндесиз. Орун бошосо, SMS-билдирүү жөнөтөбүз."
            ),
            AnswerState.ATTENDED: "Сиз катыштыңыз. Рахмат!",
            AnswerState.PAST: "Бул иш-чара өтүп кетти.",
        },
        done={
            Done.ACCEPTED: "Рахмат! Жообуңуз сакталды: сиз катышасыз.",
            Done.DECLINED: "Кабарлаганыңыз үчүн рахмат. Жообуңуз сакталды.",
            Done.WAITLISTED: (
                "Рахмат! Азыр сизге орун бере албайбыз, ошондуктан сиз күтүү тизмесиндесиз. "
                "Орун бошосо, SMS-билдирүү жөнөтөбүз."
            ),
            Done.CHECKED_IN: "Сиз белгилендиңиз. Кош келиңиз!",
        },
        cancelled_heading="Бул иш-чара жокко чыгарылды",
        cancelled_body=(
            "Кечиресиз. Сиз эч нерсе кылышыңыздын кереги жок. Сизди башка иш-чарада күтөбүз."
        ),
        cancelled_reason="Себеби",
        changed_heading="Бул иш-чара өзгөрдү",
        changed_body="Убактысы же жери жарыялангандан бери өзгөрдү. Төмөндө азыркы маалымат.",
        closed_heading="Жооптор мындан ары кабыл алынбайт",
        closed_body=(
            "Тилекке каршы, бул чакырууга мындан ары жооп берүүгө болбойт, "
            "ошондуктан жообуңуз сакталган жок."
        ),
        not_found_heading="Барак табылган жок",
        not_found_body="Бул шилтеме иштебейт. SMS-билдирүүдөгү шилтемени текшериңиз.",
        refused_heading="Жообуңуз сакталган жок",
        refused_body=(
            "Жооп бул барактан жөнөтүлгөн эмес. "
            "SMS-билдирүүдөгү шилтемени ачып, кайра аракет кылыңыз."
        ),
        bad_answer_body="Сураныч, эки баскычтын бирин басыңыз.",
        back="Чакырууга кайтуу",
        language="Тил",
        weekdays=("дүйшөмбү", "шейшемби", "шаршемби", "бейшемби", "жума", "ишемби", "жекшемби"),
        survey_pre_heading="Бир кыска суроо",
        survey_post_heading="Кандай өттү?",
        survey_privacy="Жоопторуңуз атыңыз жана телефон номериңизсиз сакталат.",
        survey_send="Жөнөтүү",
        yes="Ооба",
        no="Жок",
        survey_questions={
            Question.ATTITUDE: "Башка коомчулуктун адамдарына карата мамилеңиз кандай?",
            Question.RATING: "Иш-чараны кандай баалайсыз?",
            Question.TALK: "Башка коомчулуктагы бирөө менен чындап сүйлөшө алдыңызбы?",
        },
        scale_ends={
            Question.ATTITUDE: ("өтө терс", "өтө оң"),
            Question.RATING: ("начар", "эң жакшы"),
        },
        comment_label="Дагы эмне айткыңыз келет? (милдеттүү эмес)",
        survey_saved="Рахмат! Жоопторуңуз сакталды.",
        survey_incomplete_body="Сураныч, ар бир суроого жооп тандаңыз.",
        survey_closed_body="Бул сурамжылоо жабылды. Баары бир рахмат!",
        checkin_heading="Катышууну белгилөө",
        checkin_hint="Уюштуруучулар иш-чарада көрсөткөн кодду жазыңыз.",
        checkin_code_label="Код",
        checkin_button="Белгилөө",
        checkin_wrong_heading="Код туура эмес",
        checkin_wrong_body="Кодду уюштуруучулардан текшерип, кайра аракет кылыңыз.",
        checkin_too_many_body=(
            "Туура эмес код өтө көп жазылды. Бир сааттан кийин кайра аракет кылыңыз "
            "же уюштуруучулардан сизди белгилеп коюуну сураныңыз."
        ),
        checkin_closed_body=(
            "Катышууну иш-чара башталардан 30 мүнөт мурун жана ал бүткөнгө чейин белгилөөгө болот."
        ),
    ),
    Language.RU: PageTexts(
        invitation="Приглашение",
        when="Когда",
        where="Где",
        open_map="Открыть карту",
        add_to_calendar="Добавить в календарь",
        accept="Приду",
        decline="Не смогу",
        your_answer="Ваш ответ",
        change_hint="Ответ можно изменить до начала встречи.",
        answer_by_hint=("Ответить нужно до {deadline}. Ответ можно изменить до начала встречи."),
        states={
            AnswerState.PENDING: "Вы ещё не ответили.",
            AnswerState.ACCEPTED: "Вы придёте. До встречи!",
            AnswerState.DECLINED: "Вы ответили, что не сможете прийти.",
            AnswerState.EXPIRED: (
                "Срок ответа прошёл, но ответить ещё можно: если место свободно, оно ваше."
            ),
            AnswerState.WAITLISTED: (
                "Вы в листе ожидания. Если место освободится, мы пришлём SMS."
            ),
            AnswerState.ATTENDED: "Вы участвовали. Спасибо!",
            AnswerState.PAST: "Эта встреча уже прошла.",
        },
        done={
            Done.ACCEPTED: "Спасибо! Мы записали ваш ответ: вы придёте.",
            Done.DECLINED: "Спасибо, что предупредили. Мы записали ваш ответ.",
            Done.WAITLISTED: (
                "Спасибо! Сейчас мы не можем предложить вам место, поэтому вы в листе ожидания. "
                "Если место освободится, мы пришлём SMS."
            ),
            Done.CHECKED_IN: "Вы отметились. Добро пожаловать!",
        },
        cancelled_heading="Встреча отменена",
        cancelled_body=(
            "Приносим извинения. Ничего делать не нужно. Надеемся увидеть вас на другой встрече."
        ),
        cancelled_reason="Причина",
        changed_heading="Встреча изменилась",
        changed_body="Время или место изменились с момента приглашения. Ниже — актуальные данные.",
        closed_heading="Ответы больше не принимаются",
        closed_body=(
            "К сожалению, на это приглашение больше нельзя ответить, поэтому ответ не сохранён."
        ),
        not_found_heading="Страница не найдена",
        not_found_body="Эта ссылка не работает. Проверьте ссылку в SMS.",
        refused_heading="Не удалось сохранить ответ",
        refused_body=(
            "Ответ отправлен не с этой страницы. Откройте ссылку из SMS и попробуйте ещё раз."
        ),
        bad_answer_body="Пожалуйста, нажмите одну из двух кнопок.",
        back="Вернуться к приглашению",
        language="Язык",
        weekdays=(
            "понедельник",
            "вторник",
            "среда",
            "четверг",
            "пятница",
            "суббота",
            "воскресенье",
        ),
        survey_pre_heading="Один короткий вопрос",
        survey_post_heading="Как всё прошло?",
        survey_privacy="Ваши ответы сохраняются без имени и номера телефона.",
        survey_send="Отправить",
        yes="Да",
        no="Нет",
        survey_questions={
            Question.ATTITUDE: "Как вы относитесь к людям из другого сообщества?",
            Question.RATING: "Как вам встреча?",
            Question.TALK: (
                "Удалось ли вам по-настоящему поговорить с кем-то из другого сообщества?"
            ),
        },
        scale_ends={
            Question.ATTITUDE: ("очень плохо", "очень хорошо"),
            Question.RATING: ("плохо", "отлично"),
        },
        comment_label="Хотите что-то добавить? (необязательно)",
        survey_saved="Спасибо! Ваши ответы сохранены.",
        survey_incomplete_body="Пожалуйста, выберите ответ на каждый вопрос.",
        survey_closed_body="Этот опрос уже закрыт. Всё равно спасибо!",
        checkin_heading="Отметиться",
        checkin_hint="Введите код, который организаторы покажут на встрече.",
        checkin_code_label="Код",
        checkin_button="Отметиться",
        checkin_wrong_heading="Код не подошёл",
        checkin_wrong_body="Проверьте код у организаторов и попробуйте ещё раз.",
        checkin_too_many_body=(
            "Слишком много неверных кодов. Попробуйте через час "
            "или попросите организаторов отметить вас."
        ),
        checkin_closed_body=("Отметиться можно за 30 минут до начала встречи и до её окончания."),
    ),
    Language.EN: PageTexts(
        invitation="Invitation",
        when="When",
        where="Where",
        open_map="Open map",
        add_to_calendar="Add to calendar",
        accept="I'll come",
        decline="I can't come",
        your_answer="Your answer",
        change_hint="You can change your answer until the event starts.",
        answer_by_hint=(
            "Please answer by {deadline}. Once you have answered, you can change your answer "
            "until the event starts."
        ),
        states={
            AnswerState.PENDING: "You haven't answered yet.",
            AnswerState.ACCEPTED: "You're coming. See you there!",
            AnswerState.DECLINED: "You said you can't come.",
            AnswerState.EXPIRED: (
                "The time to answer has passed, but you can still answer: "
                "if a place is free, it's yours."
            ),
            AnswerState.WAITLISTED: (
                "You're on the waiting list. We'll send you an SMS if a place frees up."
            ),
            AnswerState.ATTENDED: "You took part. Thank you!",
            AnswerState.PAST: "This event has already taken place.",
        },
        done={
            Done.ACCEPTED: "Thank you! We've saved your answer: you're coming.",
            Done.DECLINED: "Thank you for letting us know. We've saved your answer.",
            Done.WAITLISTED: (
                "Thank you! We can't offer you a place right now, so you're on the waiting list. "
                "We'll send you an SMS if a place frees up."
            ),
            Done.CHECKED_IN: "You're checked in. Welcome!",
        },
        cancelled_heading="This event has been cancelled",
        cancelled_body=(
            "We're sorry. You don't need to do anything. We hope to see you at another event."
        ),
        cancelled_reason="Reason",
        changed_heading="This event has changed",
        changed_body="Its time or place has changed since it was announced. The details below are "
        "up to date.",
        closed_heading="Answers are closed",
        closed_body=(
            "Sorry, this invitation can no longer be answered, so your answer was not saved."
        ),
        not_found_heading="Page not found",
        not_found_body="This link doesn't work. Please check the link in your SMS.",
        refused_heading="We couldn't save your answer",
        refused_body=(
            "The answer was not sent from this page. "
            "Please open the link from your SMS and try again."
        ),
        bad_answer_body="Please press one of the two buttons.",
        back="Back to the invitation",
        language="Language",
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        survey_pre_heading="One quick question",
        survey_post_heading="How was it?",
        survey_privacy="Your answers are saved without your name or phone number.",
        survey_send="Send",
        yes="Yes",
        no="No",
        survey_questions={
            Question.ATTITUDE: "How do you feel about people from the other community?",
            Question.RATING: "How was the event?",
            Question.TALK: (
                "Did you have a real conversation with someone from the other community?"
            ),
        },
        scale_ends={
            Question.ATTITUDE: ("very negative", "very positive"),
            Question.RATING: ("poor", "excellent"),
        },
        comment_label="Anything else you'd like to tell us? (optional)",
        survey_saved="Thank you! Your answers are saved.",
        survey_incomplete_body="Please choose an answer to each question.",
        survey_closed_body="This survey is closed. Thank you all the same!",
        checkin_heading="Check in",
        checkin_hint="Type the code the organisers show at the event.",
        checkin_code_label="Code",
        checkin_button="Check in",
        checkin_wrong_heading="That code didn't work",
        checkin_wrong_body="Please check the code with the organisers and try again.",
        checkin_too_many_body=(
            "Too many wrong codes. Please try again in an hour, "
            "or ask the organisers to mark you as present."
        ),
        checkin_closed_body=(
            "Check-in is open from 30 minutes before the start until the end of the event."
        ),
    ),
}


def texts_for(language: Language) -> PageTexts:
    return TEXTS[language]


def format_moment(moment: datetime, timezone: str, language: Language) -> str:
    """ "Saturday, 14 Mar, 18:00" in the city's time, in the page's language."""
    weekday = TEXTS[language].weekdays[moment.astimezone(ZoneInfo(timezone)).weekday()]
    return f"{weekday}, {local_date(moment, timezone, language)}, {local_time(moment, timezone)}"


def format_when(starts_at: datetime, ends_at: datetime, timezone: str, language: Language) -> str:
    """ "Saturday, 14 Mar, 18:00–20:00" in the city's time, in the page's language.

    The end date is repeated only when the event runs past local midnight.
    """
    zone = ZoneInfo(timezone)
    start_day = starts_at.astimezone(zone).date()
    weekday = TEXTS[language].weekdays[start_day.weekday()]
    start = (
        f"{weekday}, {local_date(starts_at, timezone, language)}, {local_time(starts_at, timezone)}"
    )
    if ends_at.astimezone(zone).date() == start_day:
        return f"{start}–{local_time(ends_at, timezone)}"
    return f"{start} – {local_date(ends_at, timezone, language)}, {local_time(ends_at, timezone)}"
