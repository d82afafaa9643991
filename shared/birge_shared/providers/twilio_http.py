"""The HTTP client the Twilio SDK sends through: same requests machinery, configurable host.

The SDK builds absolute `https://api.twilio.com/...` URLs itself. Rewriting scheme and host
here (to `TWILIO_API_BASE`) is what lets the real SDK talk to Prism serving Twilio's published
contract in tests, or to a Twilio test double in staging, without patching the SDK.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
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
SDK_LOGGER = logging.getLogger("birge_shared.providers.twilio_sdk")
SDK_LOGGER.setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Rebase:
    """Where the SDK's `https://api.twilio.com/...` URLs go instead: `TWILIO_API_BASE`."""

    scheme: str
    netloc: str
    path_prefix: str

    @classmethod
    def of(cls, api_base: str) -> Rebase:
        base = urlsplit(api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError("TWILIO_API_BASE must be an http(s) URL with a host")
        return cls(base.scheme, base.netloc, base.path.rstrip("/"))

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(
            (self.scheme, self.netloc, self.path_prefix + parts.path, parts.query, "")
        )


@dataclass(frozen=True, slots=True)
class Environment:
    """The proxy and CA bundle the environment names for a base URL, read once.

    requests looks them up on every call, a quarter of a send's CPU at fan-out rates; Birge's
    clients read them here once, with requests' own rules (NO_PROXY included).
    """

    proxies: dict[str, str]
    ca_bundle: str | None

    @classmethod
    def of(cls, api_base: str) -> Environment:
        return cls(
            proxies=dict(get_environ_proxies(api_base)),
            ca_bundle=os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"),
        )


class RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    def __init__(
        self,
        api_base: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pool_size: int = 16,
        environment_per_request: bool = False,
    ) -> None:
        self._base = Rebase.of(api_base)
        # The SDK's constructor only accepts a single number as timeout; requests also takes
        # the (connect, read) pair, which the request method below passes on unchanged.
        super().__init__(pool_connections=True, timeout=None, logger=SDK_LOGGER)
        self.timeout = timeout
        # The SDK only mounts a pooled adapter for https; a plain-http base (Prism, a local
        # double) deserves the same connection reuse.
        self.session.mount("http://", HTTPAdapter(pool_maxsize=pool_size))
        self.session.mount("https://", HTTPAdapter(pool_maxsize=pool_size))
        if not environment_per_request:
            # The SDK as shipped keeps looking on every call (`environment_per_request`), which
            # the fan-out benchmark's baseline uses.
            environment = Environment.of(api_base)
            self.session.proxies.update(environment.proxies)
            if environment.ca_bundle:
                self.session.verify = environment.ca_bundle
            self.session.trust_env = False

    def rebase(self, url: str) -> str:
        return self._base.url(url)

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
