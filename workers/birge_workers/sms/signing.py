"""Posting a webhook the way Twilio does: form-encoded and signed with the auth token.

The simulator's delivery reports and `birge sms reply` use this, so Birge's webhooks are only
ever exercised with requests they must verify, never with unsigned shortcuts.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """Twilio's signature: HMAC-SHA1 of the full URL followed by the sorted form fields."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


def sign_and_post(
    url: str, params: Mapping[str, str], auth_token: str, *, timeout: float = 5.0
) -> int:
    """POST `params` to `url` with Twilio's signature; return the HTTP status of the answer.

    Any HTTP answer, including 4xx and 5xx, is returned as its status. A URL that cannot be
    reached raises `OSError` (urllib's `URLError` is one).
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("webhooks are posted to http(s) URLs only")
    request = urllib.request.Request(  # noqa: S310  # the scheme is checked just above
        url,
        data=urlencode(params).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            SIGNATURE_HEADER: signature(url, params, auth_token),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # checked above
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)
