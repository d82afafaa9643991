"""Sending through Twilio's Messages API with the official SDK.

`TwilioMessages` is the create and the lookup every Twilio channel shares (SMS here, WhatsApp
in `birge_workers.whatsapp.provider`); `TwilioProvider` is SMS's parameters on top of it.

Twilio's own error messages often quote the number they refused ("The 'To' number +996…
is not a valid phone number"), so they are never passed on: errors are mapped to the Twilio
code and a reason written here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from birge_shared.providers.twilio import (
    MAX_VALIDITY_PERIOD,
    PERMANENT_REASONS,
    TEMPORARY_REASONS,
    WHATSAPP_REFUSALS,
)
from birge_shared.providers.twilio_http import DEFAULT_TIMEOUT, RebasedHttpClient
from birge_workers.sms.provider import (
    PermanentProviderError,
    SentMessage,
    TemporaryProviderError,
    same_text,
)
from birge_workers.sms.twilio_async import (
    ProviderLoop,
    RebasedAsyncHttpClient,
    map_async_transport_error,
)

# Twilio accepts a ValidityPeriod from 1 to 36000 seconds; 36000 is also its default.
LOOKUP_PAGE = 50
_FIRST_TWILIO_CODE = 10000


@dataclass(frozen=True, slots=True)
class Listed:
    """A message Twilio lists for a number: its receipt and, to match it by, its text."""

    receipt: SentMessage
    body: str = field(repr=False)


class TwilioMessages:
    """The SDK's Messages resource, its answers and failures in Birge's words.

    What SMS and WhatsApp share: one create, one list of a number's messages since a moment.
    Each channel's provider builds the parameters that are its own.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base: str = "https://api.twilio.com",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        # An empty environment: the SDK would otherwise read TWILIO_* variables itself, and
        # settings are read in one place only.
        self._client = Client(
            account_sid,
            auth_token or None,
            http_client=RebasedHttpClient(api_base, timeout=timeout),
            environment={},
        )
        # The SDK imports its Messages resource on first use, which takes about 0.2 s. Done
        # here, that pause falls before the first send's pacing token instead of after it,
        # where it would bunch that send up with the next process's.
        self._messages = self._client.messages
        # Creates go through the SDK's async interface on the process's event loop: a quarter
        # of the CPU of the requests client (`twilio_async`). Lists, rare, stay synchronous.
        self._async_http = RebasedAsyncHttpClient(api_base, timeout=timeout)
        self._async_messages = Client(
            account_sid, auth_token or None, http_client=self._async_http, environment={}
        ).messages

    def create(self, params: dict[str, object]) -> SentMessage:
        try:
            message = ProviderLoop.get().run(
                self._async_messages.create_async(**params), timeout=self._async_http.longest_wait
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise map_twilio_error(status=int(exc.status), code=exc.code) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise map_async_transport_error(exc) from None
        except json.JSONDecodeError:
            raise TemporaryProviderError(
                None, "Twilio's answer could not be read", may_have_been_sent=True
            ) from None
        return SentMessage(
            sid=str(message.sid),
            status=str(message.status),
            segments=_as_int(message.num_segments),
        )

    def created_since(self, *, to: str, sent_after: datetime) -> list[Listed]:
        """The messages to `to` created at or after `sent_after`, newest first."""
        # Filtered by To only, and by creation time here: Twilio's date filter is on DateSent,
        # which stays empty while a message waits in Twilio's queue, the very case to find.
        try:
            messages = self._messages.list(to=to, limit=LOOKUP_PAGE, page_size=LOOKUP_PAGE)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise map_twilio_error(status=int(exc.status), code=exc.code) from None
        except TwilioException as exc:
            # A list page that is not a 200 comes as a bare TwilioException holding the answer.
            raise _page_error(exc) from None
        except requests.RequestException as exc:
            raise map_transport_error(exc) from None
        except json.JSONDecodeError:
            raise TemporaryProviderError(None, "Twilio's answer could not be read") from None
        return [
            Listed(
                receipt=SentMessage(
                    sid=str(message.sid),
                    status=str(message.status),
                    segments=_as_int(message.num_segments),
                ),
                body=str(message.body or ""),
            )
            for message in messages
            if isinstance(message.date_created, datetime) and message.date_created >= sent_after
        ]


class TwilioProvider:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_base: str = "https://api.twilio.com",
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError(
                "Twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER to send from"
            )
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid
        self._api = TwilioMessages(
            account_sid=account_sid, auth_token=auth_token, api_base=api_base, timeout=timeout
        )

    def send(
        self,
        *,
        to: str,
        body: str,
        status_callback: str | None,
        validity_period: int | None,
    ) -> SentMessage:
        params: dict[str, object] = {"to": to, "body": body}
        # A Messaging Service picks the sender (and handles opt-outs and sender pools), so it
        # wins over a single From number when both are configured.
        if self._messaging_service_sid:
            params["messaging_service_sid"] = self._messaging_service_sid
        else:
            params["from_"] = self._from_number
        if status_callback is not None:
            params["status_callback"] = status_callback
        if validity_period is not None:
            params.update(_validity(validity_period))
        return self._api.create(params)

    def find_sent(self, *, to: str, body: str, sent_after: datetime) -> list[SentMessage]:
        return [
            listed.receipt
            for listed in self._api.created_since(to=to, sent_after=sent_after)
            if same_text(body, listed.body)
        ]


def map_twilio_error(
    *, status: int, code: object
) -> TemporaryProviderError | PermanentProviderError:
    """Map an HTTP status and Twilio error code to one of the provider errors.

    429 and 5xx are temporary, as are the codes Twilio uses for rate limits; every other
    refusal is permanent, because sending the same request again would be refused again.
    """
    twilio_code = code if isinstance(code, int) and code >= _FIRST_TWILIO_CODE else None
    label = str(twilio_code) if twilio_code is not None else f"http-{status}"
    if status == 429 or status >= 500 or twilio_code in TEMPORARY_REASONS:
        reason = TEMPORARY_REASONS.get(twilio_code or 0) or (
            "Twilio is rate-limiting requests"
            if status == 429
            else f"Twilio is unavailable (HTTP {status})"
        )
        return TemporaryProviderError(label, reason)
    if twilio_code in PERMANENT_REASONS:
        return PermanentProviderError(label, PERMANENT_REASONS[twilio_code])
    if twilio_code in WHATSAPP_REFUSALS:
        # WhatsApp failed for good, not the message: it goes on the person's next channel.
        return PermanentProviderError(label, WHATSAPP_REFUSALS[twilio_code], falls_back=True)
    if status in (401, 403):
        return PermanentProviderError(label, "Twilio refused the account credentials")
    return PermanentProviderError(label, f"Twilio refused the request (HTTP {status})")


def map_transport_error(exc: requests.RequestException) -> TemporaryProviderError:
    """Network failures are temporary; say whether the request may have reached Twilio."""
    if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
        return TemporaryProviderError(None, "could not connect to Twilio")
    if isinstance(exc, requests.Timeout):
        return TemporaryProviderError(
            None, "Twilio did not answer in time", may_have_been_sent=True
        )
    return TemporaryProviderError(
        None, "the connection to Twilio broke before it answered", may_have_been_sent=True
    )


def _never_connected(exc: requests.RequestException) -> bool:
    # requests wraps urllib3's errors: a refused connection or a failed DNS lookup arrives as
    # ConnectionError(MaxRetryError(reason=NewConnectionError)), and NewConnectionError is a
    # ConnectTimeoutError. Either way the request never left this machine.
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", exc.args[0])
    return isinstance(reason, ConnectTimeoutError)


def _page_error(exc: TwilioException) -> TemporaryProviderError | PermanentProviderError:
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return TemporaryProviderError(None, "Twilio's answer could not be read")
    try:
        code = json.loads(str(getattr(response, "text", ""))).get("code")
    except (ValueError, AttributeError):
        code = None
    return map_twilio_error(status=status, code=code)


def _validity(seconds: int) -> dict[str, object]:
    if seconds < 1:
        # A message whose validity has already run out must be expired by the caller, not
        # sent with a made-up validity.
        raise ValueError("validity_period must be at least one second")
    if seconds >= MAX_VALIDITY_PERIOD:
        return {}  # Twilio's default is its maximum
    return {"validity_period": seconds}


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
