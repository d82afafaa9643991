"""The API's and the senders' English texts in the reader's language: import row errors and
refusals, message template refusals, and why a message failed or was not sent.

The API keeps its problem JSON in English (its clients read it), and the senders store their
reasons in English. The console matches a text it knows — a fixed one as it stands, one that
carries values by its pattern — and shows the translation with the values put back, so the
number of a row or the name of a placeholder survives translation. A text it does not know is
shown as it was given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from birge_console.i18n import N_, _


@dataclass(frozen=True)
class Phrase:
    """An English text with its values as named groups, and the msgid that says it."""

    pattern: re.Pattern[str]
    msgid: str


def _phrase(pattern: str, msgid: str) -> Phrase:
    return Phrase(re.compile(f"^{pattern}$", re.DOTALL), msgid)


def _translate(text: str, fixed: Mapping[str, str], phrases: Sequence[Phrase]) -> str:
    if text in fixed:
        return _(fixed[text])
    for phrase in phrases:
        found = phrase.pattern.match(text)
        if found:
            return _(phrase.msgid) % found.groupdict()
    return text


# ------------------------------------------------------------------ the participant import

#: Row errors and column errors that are fixed texts (`birge_api.participants`).
IMPORT_DETAILS = {
    text: text
    for text in (
        N_("the cell is empty"),
        N_("not a phone number"),
        N_("not a valid phone number"),
        N_("not a mobile number: SMS cannot reach it"),
        N_("not a valid e-mail address"),
        N_("unknown city"),
        N_("not one of your cities"),
        N_("needs a date such as 20.11.2026 10:00 (the city's local time) or 20.11.2026"),
        N_("is in the future: give the date the person consented"),
        N_("missing column"),
        N_("column appears twice"),
    )
}
_IMPORT_PHRASES = (
    _phrase(
        r"the same phone number and city as row (?P<row>\d+)",
        N_("the same phone number and city as row %(row)s"),
    ),
    _phrase(
        r"matches participant (?P<id>[0-9a-f-]+), already registered in (?P<city>\w+); "
        r"send update=true to update it",
        N_(
            "matches a participant already registered in %(city)s; choose to update matched "
            "records to update it"
        ),
    ),
    # Pydantic's own words for a cell that breaks a field's rule.
    _phrase(
        r"String should have at most (?P<count>\d+) characters?",
        N_("may have at most %(count)s characters"),
    ),
    _phrase(
        r"String should have at least (?P<count>\d+) characters?",
        N_("needs at least %(count)s characters"),
    ),
    _phrase(r"Input should be (?P<choices>'.*)", N_("should be one of %(choices)s")),
)
#: The titles of the import's refusals, by their problem type.
IMPORT_TITLES = {
    "unsupported-media-type": N_("Upload a CSV or XLSX file"),
    "file-too-large": N_("The file is larger than an import may be"),
    "too-many-columns": N_("The file has too many columns"),
    "missing-columns": N_("The file lacks required columns"),
    "repeated-columns": N_("A column appears twice"),
    "empty-import": N_("The file has no rows"),
    "import-too-slow": N_("The file takes too long to import"),
    "city-not-assigned": N_("You are not assigned to a city in this file"),
    "import-rejected": N_("Nothing was imported"),
    "invalid-encoding": N_("The file's encoding cannot be read"),
    "too-many-rows": N_("The file has too many rows"),
    "unreadable-file": N_("The CSV cannot be read"),
}
_IMPORT_REFUSALS = {
    text: text
    for text in (
        N_("The file is not a readable XLSX workbook."),
        N_("The file has a header but no rows."),
        N_("Nothing was imported; remove the rows for cities you do not work in."),
        N_("Only .csv and .xlsx files can be imported."),
        N_("The file's content is not the CSV or XLSX its name or type claims."),
        N_("Save the file as 'CSV UTF-8' and upload it again."),
        N_("The file is not well-formed CSV."),
    )
}
_IMPORT_REFUSAL_PHRASES = (
    _phrase(
        r"At most (?P<limit>\d+) columns can be imported; delete the extra ones\.",
        N_("At most %(limit)s columns can be imported; delete the extra ones."),
    ),
    _phrase(
        r"Keep one of each: (?P<columns>.*)\.",
        N_("Keep one of each of these columns: %(columns)s."),
    ),
    _phrase(
        r"The header row lacks columns\. Required columns: (?P<columns>.*)\.",
        N_("The header row lacks columns. Required columns: %(columns)s."),
    ),
    _phrase(
        r"The file has no header row\. Required columns: (?P<columns>.*)\.",
        N_("The file has no header row. Required columns: %(columns)s."),
    ),
    _phrase(
        r"The file is empty\. Required columns: (?P<columns>.*)\.",
        N_("The file is empty. Required columns: %(columns)s."),
    ),
    _phrase(
        r"At most (?P<count>\d+) rows can be imported at once; split the file\.",
        N_("At most %(count)s rows can be imported at once; split the file."),
    ),
    _phrase(
        r"At most (?P<count>\d+) cells can be imported; split the file\.",
        N_("At most %(count)s cells can be imported; split the file."),
    ),
    _phrase(
        r"The sheet spans more than (?P<count>\d+) cells; delete what lies beyond the list, "
        r"or split it\.",
        N_(
            "The sheet spans more than %(count)s cells; delete what lies beyond the list, "
            "or split it."
        ),
    ),
    _phrase(
        r"A workbook may hold at most (?P<count>\d+) parts\.",
        N_("A workbook may hold at most %(count)s parts."),
    ),
    _phrase(
        r"The workbook unpacks to more than (?P<count>\d+) bytes; save the list alone in a new "
        r"workbook\.",
        N_(
            "The workbook unpacks to more than %(count)s bytes; save the list alone in a new "
            "workbook."
        ),
    ),
    _phrase(
        r"Importing stopped after (?P<seconds>[\d.]+) s; split the file\.",
        N_("Importing stopped after %(seconds)s s; split the file."),
    ),
    _phrase(
        r"(?P<rows>\d+) row\(s\) have errors; fix them, or send partial=true to import the "
        r"other rows\.",
        N_("Rows with errors: %(rows)s. Fix them and check the file again."),
    ),
)


def import_detail(detail: str | None) -> str:
    """A row's, a column's or the file's error from the import."""
    text = detail or ""
    if text in _IMPORT_REFUSALS or any(p.pattern.match(text) for p in _IMPORT_REFUSAL_PHRASES):
        return _translate(text, _IMPORT_REFUSALS, _IMPORT_REFUSAL_PHRASES)
    return _translate(text, IMPORT_DETAILS, _IMPORT_PHRASES)


def import_title(type_: str, title: str) -> str:
    """The title of an import refusal, by its problem type."""
    return _(IMPORT_TITLES[type_]) if type_ in IMPORT_TITLES else title


def import_refusal(detail: str | None) -> str | None:
    """The detail of an import refusal."""
    if detail is None:
        return None
    return _translate(detail, _IMPORT_REFUSALS, _IMPORT_REFUSAL_PHRASES)


# ------------------------------------------------------------------ message templates

_TEMPLATE_FIXED = {"the text is empty": N_("The text is empty.")}
_TEMPLATE_PHRASES = (
    _phrase(
        r"unknown placeholder \{(?P<name>[^}]*)\}; allowed: (?P<allowed>.*)",
        N_("Unknown placeholder {%(name)s}; allowed: %(allowed)s"),
    ),
    _phrase(
        r"placeholder \{(?P<name>[^}]*)\} may not carry a format",
        N_("The placeholder {%(name)s} may not carry a format."),
    ),
    _phrase(r"the text must contain (?P<needed>.*)", N_("The text must contain %(needed)s.")),
    _phrase(
        r"unbalanced braces: (?P<why>.*)",
        N_("A brace is not closed or not opened; write placeholders as {name}."),
    ),
)
TEMPLATE_TITLES = {"invalid-template": N_("The text cannot be used")}


def template_error(detail: str) -> str:
    """Why a message template was refused (`birge_shared.sms.templates.check_template`)."""
    return _translate(detail, _TEMPLATE_FIXED, _TEMPLATE_PHRASES)


# ------------------------------------------------------------------ delivery failures

#: The reasons the senders store (`birge_workers`), fixed texts.
_FAILURES = {
    "the participant was erased": N_("The participant was erased."),
    "the participant opted out": N_("The participant opted out."),
    "the participant has no address on this channel": N_(
        "The participant has no address on this channel."
    ),
    "the buddies are no longer both coming": N_("The buddies are no longer both coming."),
    "the written text was purged before it was sent": N_(
        "The written text was deleted before it was sent."
    ),
    "the invitation no longer exists": N_("The invitation no longer exists."),
    "the event was cancelled": N_("The event was cancelled."),
    "the event has already started": N_("The event has already started."),
    "the reminder was for another start time or an answer since changed": N_(
        "The reminder was for another start time, or the answer changed since."
    ),
    "whether it was sent is unknown, and the number was erased": N_(
        "Whether it was sent is unknown, and the number was erased."
    ),
    "withdrawn by a coordinator": N_("Withdrawn by a coordinator."),
    # The provider's refusals and delivery reports, in the words the senders record.
    "the phone is unreachable (switched off or out of coverage)": N_(
        "The phone is unreachable (switched off or out of coverage)."
    ),
    "the recipient's carrier blocked the message": N_(
        "The recipient's mobile operator blocked the message."
    ),
    "unknown destination: the number does not exist or is no longer in service": N_(
        "The number does not exist or is no longer in service."
    ),
    "a landline, or a carrier that cannot receive SMS": N_(
        "A landline, or an operator that cannot receive SMS."
    ),
    "the carrier filtered the message": N_("The mobile operator filtered the message."),
    "the carrier reported an unknown error": N_("The mobile operator reported an unknown error."),
    "the recipient has unsubscribed (replied STOP)": N_(
        "The person has unsubscribed (replied STOP)."
    ),
    "Twilio refused the account credentials": N_("Twilio refused the account credentials."),
    "Twilio does not know the account or resource": N_(
        "Twilio does not know the account or resource."
    ),
    "the recipient number is not a valid phone number": N_(
        "The number is not a valid phone number."
    ),
    "the sender number is not valid": N_("The sender number is not valid."),
    "sending to the recipient's region is not enabled on the account": N_(
        "Sending to this region is not enabled on the account."
    ),
    "the message body is empty": N_("The message text is empty."),
    "the sender cannot send SMS to this destination": N_(
        "The sender cannot send SMS to this destination."
    ),
    "a trial account can only send to verified numbers": N_(
        "A trial account can only send to verified numbers."
    ),
    "the recipient number cannot be reached by SMS": N_("The number cannot be reached by SMS."),
    "the recipient number is not a mobile number": N_("The number is not a mobile number."),
    "the message body exceeds 1600 characters": N_("The message is longer than 1600 characters."),
    "Twilio is rate-limiting requests": N_("Twilio is limiting how fast messages go out."),
    "Twilio's answer could not be read": N_("Twilio's answer could not be read."),
    "WhatsApp is rate-limiting this sender": N_("WhatsApp is limiting how fast messages go out."),
    "the number is not on WhatsApp": N_("The number is not on WhatsApp."),
    "outside WhatsApp's 24-hour window, and no approved template was used": N_(
        "The person has not written on WhatsApp within 24 hours, and no approved template fits."
    ),
    "WhatsApp does not accept this recipient": N_("WhatsApp does not accept this recipient."),
    "the WhatsApp template does not exist for this language": N_(
        "The WhatsApp template does not exist in this language."
    ),
    "the WhatsApp template takes a different number of values": N_(
        "The WhatsApp template takes a different number of values."
    ),
    "WhatsApp does not deliver marketing templates to this number": N_(
        "WhatsApp does not deliver marketing templates to this number."
    ),
    "WhatsApp refused the message under its policy": N_(
        "WhatsApp refused the message under its policy."
    ),
    "Twilio does not know the template (ContentSid)": N_("Twilio does not know the template."),
    "Twilio refused the template's values (ContentVariables)": N_(
        "Twilio refused the template's values."
    ),
    "WhatsApp chose not to deliver this marketing template": N_(
        "WhatsApp chose not to deliver this marketing template."
    ),
    "no approved WhatsApp template for this message and language, "
    "and the person has not written within 24 hours": N_(
        "No approved WhatsApp template for this message and language, and the person has not "
        "written within 24 hours."
    ),
    "the person switched WhatsApp off": N_("The person switched WhatsApp off."),
    "WhatsApp is not configured (WHATSAPP_FROM)": N_("WhatsApp is not configured."),
}
_FAILURE_PHRASES = (
    _phrase(
        r"the message could not be delivered \(provider error (?P<code>[^)]*)\)",
        N_("The message could not be delivered (provider error %(code)s)."),
    ),
    _phrase(
        r"the message failed \(provider error (?P<code>[^)]*)\)",
        N_("The message failed (provider error %(code)s)."),
    ),
    _phrase(r"the message could not be delivered", N_("The message could not be delivered.")),
    _phrase(r"the message failed", N_("The message failed.")),
    _phrase(
        r"Twilio is unavailable \(HTTP (?P<status>\d+)\)",
        N_("Twilio is unavailable (HTTP %(status)s)."),
    ),
    _phrase(
        r"Twilio refused the request \(HTTP (?P<status>\d+)\)",
        N_("Twilio refused the request (HTTP %(status)s)."),
    ),
)
_GAVE_UP = re.compile(r"^gave up after (?P<attempts>\d+) attempts(?:: (?P<why>.*))?$", re.DOTALL)


def failure_reason(reason: str | None) -> str:
    """Why a message failed or was not sent, as the senders recorded it."""
    if not reason:
        return ""
    gave_up = _GAVE_UP.match(reason)
    if gave_up:
        attempts = int(gave_up["attempts"])
        text = _("Gave up after %(attempts)s attempts.") % {"attempts": attempts}
        why = gave_up["why"]
        return f"{text} {failure_reason(why)}" if why else text
    return _translate(reason, _FAILURES, _FAILURE_PHRASES)
