"""Walking the console as a signed-in person would: every link from a starting page, followed.

The walk knows no page by name, so a page added later is covered as soon as some page links to
it. Links that differ only in their ids or query values have the same *shape*
(`/console/events/{id}?month`); a few of each shape are enough, which keeps endless chains such
as a calendar's "next month" finite.
"""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import parse_qsl, urljoin, urlsplit

from openpyxl import load_workbook

CONSOLE = "/console"
#: Pages a walk must not open: signing out would end the walk's own session.
NEVER_FOLLOWED = ("/console/sign-out", "/console/sign-in")
PER_SHAPE = 3
MAX_PAGES = 600
_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.I
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Response(Protocol):
    """What the walk reads of an answer (a TestClient's, or any HTTP client's)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    @property
    def content(self) -> bytes: ...


@dataclass(frozen=True)
class Visited:
    url: str  # path and query
    status: int
    text: str  # the body as a person would read it (an XLSX's cells, too)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href") if tag == "a" else None
        # hx-get targets are pages too (fragments a browser with JavaScript loads).
        for link in (href, values.get("hx-get")):
            if link:
                self.hrefs.append(link)


def console_path(href: str, *, base: str) -> str | None:
    """`href` as a console path and query (fragment dropped), or None for anything else."""
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    if parts.path != CONSOLE and not parts.path.startswith(CONSOLE + "/"):
        return None
    if parts.path.startswith(NEVER_FOLLOWED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def links_in(html: str, *, base: str) -> list[str]:
    """The console pages `html` links to."""
    parser = _Links()
    parser.feed(html)
    paths = (console_path(href, base=base) for href in parser.hrefs)
    return [path for path in paths if path is not None]


def shape(url: str) -> str:
    """The link with its ids and query values left out."""
    parts = urlsplit(url)
    path = "/".join(
        "{id}" if _ID_SEGMENT.match(segment) else segment for segment in parts.path.split("/")
    )
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


def object_pages(urls: list[str]) -> list[str]:
    """The links among `urls` that name one object (an id in their path)."""
    return [url for url in urls if "{id}" in urlsplit(shape(url)).path]


def readable_text(response: Response) -> str:
    """What a person would read in the response; a spreadsheet's cells included."""
    kind = response.headers.get("content-type", "")
    if kind.startswith(XLSX):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return response.text


def crawl(
    get: Callable[[str], Response], *, start: str = CONSOLE, limit: int = MAX_PAGES
) -> list[Visited]:
    """Every page reachable from `start` by links and redirects, each shape a few times."""
    queue: deque[str] = deque([start])
    seen = {start}
    shapes: Counter[str] = Counter()
    visited: list[Visited] = []
    while queue:
        url = queue.popleft()
        assert len(visited) < limit, f"more than {limit} console pages: is a link endless?"
        response = get(url)
        visited.append(Visited(url, response.status_code, readable_text(response)))
        if 300 <= response.status_code < 400 and "location" in response.headers:
            target = console_path(response.headers["location"], base=url)
            targets = [target] if target is not None else []
        elif "html" in response.headers.get("content-type", ""):
            targets = links_in(response.text, base=url)
        else:
            targets = []
        for target in targets:
            if target in seen or shapes[shape(target)] >= PER_SHAPE:
                continue
            seen.add(target)
            shapes[shape(target)] += 1
            queue.append(target)
    return visited
