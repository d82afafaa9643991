"""The client's address, believed from X-Forwarded-For only when trusted proxies wrote it.

uvicorn's `ProxyHeadersMiddleware` does the reading: when the connecting address is one of
`TRUSTED_PROXIES`, the client is the first address in X-Forwarded-For counted from the right
that is not a trusted proxy (each proxy appends the address it saw, so anything to the left
of that is whatever the client chose to write). X-Forwarded-Proto is taken from the same
proxies. With no trusted proxies (the default) the headers are ignored entirely.

The server runs with uvicorn's own proxy handling off (`birge api`), so this is the one place
that decides: uvicorn would otherwise trust 127.0.0.1 by default, and a caller on the same
host could rotate the header to dodge the per-client login throttle.
"""

from __future__ import annotations

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from birge_shared.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware last, so it runs first and every other layer sees the client."""
    if settings.trusted_proxies:
        trusted = [str(network) for network in settings.trusted_proxies]
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
