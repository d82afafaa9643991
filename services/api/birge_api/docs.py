"""Interactive API documentation at /docs that needs no internet.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script. Here the
assets come from the installed `fastapi-offline` package (pinned in uv.lock, Swagger UI 5, which
reads OpenAPI 3.1), the start-up script is a file of this package, and the page's
Content-Security-Policy allows nothing but this server. ReDoc is not served.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse

from birge_api.problems import not_found
from birge_shared.settings import Settings

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"
ASSETS_PATH = "/docs/assets"

_VENDOR = Path(fastapi_offline.__file__).parent / "static"
_OWN = Path(__file__).parent / "docs_assets"
#: The files /docs/assets serves, and nothing else of either folder.
ASSETS = {
    "swagger-ui-bundle.js": (_VENDOR / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_VENDOR / "swagger-ui.css", "text/css"),
    "init.js": (_OWN / "init.js", "text/javascript"),
}

# Swagger UI draws its icons from data: URIs in its stylesheet and sets styles through the
# DOM, which style-src does not govern; everything else comes from this server.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/init.js"></script>
</body>
</html>
"""


def openapi_url(settings: Settings) -> str | None:
    """The schema's path when documentation is on (FastAPI's own pages stay off)."""
    return OPENAPI_PATH if settings.serves_docs else None


def install(app: FastAPI, settings: Settings) -> None:
    if not settings.serves_docs:
        return

    @app.get(DOCS_PATH, include_in_schema=False)
    def docs_page(request: Request) -> HTMLResponse:
        root = escape(str(request.scope.get("root_path", "")))
        page = _PAGE.format(
            title=escape(app.title), assets=root + ASSETS_PATH, openapi=root + OPENAPI_PATH
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        path, media_type = ASSETS.get(name, (None, ""))
        if path is None:
            raise not_found("Documentation file")
        # The files change only with the pinned package: a day of caching is safe.
        return FileResponse(
            path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
        )
