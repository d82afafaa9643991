"""The HTTP client the Twilio SDK sends through: same requests machinery, configurable host.

The SDK builds absolute `https://api.twilio.com/...` URLs itself. Rewriting scheme and host
here (to `TWILIO_API_BASE`) is what lets the real SDK talk to Prism serving Twilio's published
contract in tests, or to a Twilio test double in staging, without patching the SDK.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

# Connect fast or give up; then allow Twilio a while to answer. Without a timeout a stuck
# connection would hold a worker slot forever.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)

# The SDK logs every request at INFO (URL and headers, never the form body). That is noise in
# our JSON logs; its warnings and errors still come through.
_sdk_logger = logging.getLogger("birge_shared.providers.twilio_sdk")
_sdk_logger.setLevel(logging.WARNING)


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    def __init__(
        self,
        api_base: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pool_size: int = 16,
        environment_per_request: bool = False,
    ) -> None:
        base = urlsplit(api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError("TWILIO_API_BASE must be an http(s) URL with a host")
        # The SDK's constructor only accepts a single number as timeout; requests also takes
        # the (connect, read) pair, which the request method below passes on unchanged.
        super().__init__(pool_connections=True, timeout=None, logger=_sdk_logger)
        self.timeout = timeout
        self._scheme = base.scheme
        self._netloc = base.netloc
        self._path_prefix = base.path.rstrip("/")
        # The SDK only mounts a pooled adapter for https; a plain-http base (Prism, a local
        # double) deserves the same connection reuse.
        self.session.mount("http://", HTTPAdapter(pool_maxsize=pool_size))
        self.session.mount("https://", HTTPAdapter(pool_maxsize=pool_size))
        if not environment_per_request:
            self._read_environment_once(api_base)

    def _read_environment_once(self, api_base: str) -> None:
        # requests looks up proxy and CA-bundle variables in the environment on every call, a
        # quarter of a send's CPU at fan-out rates. They are read here once, with requests' own
        # rules (NO_PROXY included), and the session told not to look again. The SDK as
        # shipped keeps looking (`environment_per_request=True`), which the fan-out benchmark's
        # baseline uses.
        self.session.proxies.update(get_environ_proxies(api_base))
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        self.session.trust_env = False

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(
            (self._scheme, self._netloc, self._path_prefix + parts.path, parts.query, "")
        )

    # The SDK passes everything after method and URL by keyword.
    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return super().request(
            method,
            self.rebase(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
