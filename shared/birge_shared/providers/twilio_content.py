"""Twilio's words for WhatsApp templates: the Content API's approval statuses and categories.

A template's approval is read with the SDK's `contents(sid).approval_fetch().fetch()`
(`GET /v1/Content/{Sid}/ApprovalRequests` on content.twilio.com); its `whatsapp` object
carries WhatsApp's review: `status`, `category` and `rejection_reason`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from birge_shared.models.whatsapp_template import TemplateApproval, TemplateCategory
from birge_shared.providers.twilio_http import RebasedHttpClient
from birge_shared.settings import Settings

#: A Content resource's sid, as the Content API's contract writes it.
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")

#: Where the SDK reads a template's approval, relative to the Content API's host.
APPROVAL_PATH = "/v1/Content/{sid}/ApprovalRequests"

#: WhatsApp's review statuses as Twilio reports them, in our words. `received` is Twilio's
#: own step before it hands the template to WhatsApp: for us both are still waiting.
APPROVAL_STATUSES: dict[str, TemplateApproval] = {
    "unsubmitted": TemplateApproval.UNSUBMITTED,
    "received": TemplateApproval.PENDING,
    "pending": TemplateApproval.PENDING,
    "approved": TemplateApproval.APPROVED,
    "rejected": TemplateApproval.REJECTED,
    "paused": TemplateApproval.PAUSED,
    "disabled": TemplateApproval.DISABLED,
}

#: Meta's template categories as Twilio writes them (upper case).
CATEGORIES: dict[str, TemplateCategory] = {
    "UTILITY": TemplateCategory.UTILITY,
    "MARKETING": TemplateCategory.MARKETING,
    "AUTHENTICATION": TemplateCategory.AUTHENTICATION,
}


@dataclass(frozen=True, slots=True)
class Approval:
    """WhatsApp's review of one template, in our words."""

    approval: TemplateApproval
    #: The category WhatsApp approved it under (it may change the one asked for); None when
    #: Twilio names none or one we do not know.
    category: TemplateCategory | None
    rejection_reason: str | None


class ContentApiError(Exception):
    """The Content API could not be read; the text names the status, never a template's text."""


def approval_of(whatsapp: Mapping[str, object] | None) -> Approval:
    """What the `whatsapp` object of an approval fetch says.

    A template never submitted to WhatsApp has no such object, or one without a status. A
    status we do not know is taken as still waiting: only `approved` ever lets one be used.
    """
    if not whatsapp or not whatsapp.get("status"):
        return Approval(TemplateApproval.UNSUBMITTED, None, None)
    status = str(whatsapp["status"]).strip().lower()
    reason = str(whatsapp.get("rejection_reason") or "").strip() or None
    return Approval(
        approval=APPROVAL_STATUSES.get(status, TemplateApproval.PENDING),
        category=CATEGORIES.get(str(whatsapp.get("category") or "").strip().upper()),
        rejection_reason=reason,
    )


class TwilioContentApi:
    """The Content API through the real SDK, at `TWILIO_CONTENT_API_BASE`."""

    def __init__(self, *, account_sid: str, auth_token: str, api_base: str) -> None:
        self._client = Client(
            username=account_sid,
            password=auth_token,
            http_client=RebasedHttpClient(api_base),
        )

    def fetch_approval(self, content_sid: str) -> Approval:
        try:
            fetched = self._client.content.v1.contents(content_sid).approval_fetch().fetch()
        except TwilioRestException as exc:
            raise ContentApiError(
                f"the Content API answered {exc.status} (code {exc.code}) for a template"
            ) from None
        except (TwilioException, requests.RequestException) as exc:
            raise ContentApiError(
                f"the Content API could not be reached ({type(exc).__name__})"
            ) from None
        whatsapp = fetched.whatsapp
        return approval_of(whatsapp if isinstance(whatsapp, Mapping) else None)


def content_api_from_settings(settings: Settings) -> TwilioContentApi | None:
    """The Content API of the configured Twilio account; None when Twilio is not configured."""
    if not settings.uses_twilio or settings.twilio_account_sid is None:
        return None
    return TwilioContentApi(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        api_base=settings.twilio_content_api_base,
    )
