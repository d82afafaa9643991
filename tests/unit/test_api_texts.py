"""The console says the API's and the senders' English texts in the reader's language.

The texts are taken from where they are written (the senders' reason tables, the template
check, the import's problems), so a reason reworded there and not here fails this test rather
than showing up in English on a Russian page.
"""

from __future__ import annotations

import pytest

from birge_api.invitations.roster import WITHDRAWN_REASON
from birge_api.participants.import_files import ImportLimits, read_header
from birge_api.problems import Problem
from birge_console import api_texts
from birge_console.i18n import using
from birge_shared.models import Language, MessageStatus
from birge_shared.providers.twilio import DELIVERY_REASONS, PERMANENT_REASONS, TEMPORARY_REASONS
from birge_shared.sms.templates import TemplateError, check_template
from birge_workers.callbacks.status import delivery_reason
from birge_workers.outbound import wanted
from birge_workers.sms.twilio_provider import map_twilio_error

SENDERS_REASONS = [
    *DELIVERY_REASONS.values(),
    *PERMANENT_REASONS.values(),
    *TEMPORARY_REASONS.values(),
    wanted.ERASED,
    wanted.OPTED_OUT,
    wanted.NO_ADDRESS,
    "the buddies are no longer both coming",
    WITHDRAWN_REASON,
    delivery_reason("30099", MessageStatus.UNDELIVERED),
    delivery_reason(None, MessageStatus.FAILED),
    map_twilio_error(status=503, code=None).reason,
    map_twilio_error(status=400, code=None).reason,
]


@pytest.mark.parametrize("reason", SENDERS_REASONS)
def test_every_reason_the_senders_record_is_said_in_russian(reason: str) -> None:
    with using(Language.RU):
        said = api_texts.failure_reason(reason)

    assert said != reason
    assert not said.isascii()


def test_values_stay_in_the_translation_and_a_give_up_names_its_cause() -> None:
    with using(Language.RU):
        gave_up = api_texts.failure_reason(f"gave up after 5 attempts: {PERMANENT_REASONS[21614]}")
        code = api_texts.failure_reason(delivery_reason("30099", MessageStatus.UNDELIVERED))
        unknown = api_texts.failure_reason("a reason nobody wrote down")

    assert gave_up == "Отправка прекращена после 5 попыток. Это не мобильный номер."
    assert "30099" in code
    assert unknown == "a reason nobody wrote down"  # shown as given, never dropped
    assert api_texts.failure_reason(None) == ""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Birge: {phone}", "Неизвестная подстановка {phone}; допустимы: "),
        ("Birge: {title!r}", "У подстановки {title} не может быть формата."),
        ("Birge: {title", "Фигурная скобка не закрыта"),
        ("   ", "Текст пуст."),
    ],
)
def test_a_template_refusal_is_said_in_russian_with_the_placeholder(
    body: str, expected: str
) -> None:
    with pytest.raises(TemplateError) as refused:
        check_template("invitation", body)

    with using(Language.RU):
        said = api_texts.template_error(str(refused.value))

    assert said.startswith(expected), said


def test_an_import_refusal_and_its_row_errors_are_said_in_russian_with_their_values() -> None:
    limits = ImportLimits(
        max_rows=10, max_columns=40, max_unpacked_bytes=1_000_000, time_limit_seconds=10
    )
    with pytest.raises(Problem) as refused:
        read_header(filename="list.xlsx", content_type=None, content=b"not a zip", limits=limits)

    with using(Language.RU):
        title = api_texts.import_title(refused.value.type_, refused.value.title)
        detail = api_texts.import_refusal(refused.value.detail)
        (error,) = refused.value.errors or []
        file_error = api_texts.import_detail(error["detail"])
        row = api_texts.import_detail("the same phone number and city as row 7")
        fixed = api_texts.import_detail("the cell is empty")
        pydantic = api_texts.import_detail("String should have at most 200 characters")

    assert not title.isascii()
    assert detail is not None
    assert not detail.isascii()
    assert file_error == detail
    assert row == "тот же номер телефона и город, что в строке 7"
    assert fixed != "the cell is empty"
    assert "200" in pydantic
    assert not pydantic.isascii()
