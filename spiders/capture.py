"""The one thing the spider hands downstream: a raw capture of one fetch."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.http import Response

# Response headers worth keeping with a capture: enough to replay a conditional GET and to
# understand what the server said, without the per-request noise (Date, Set-Cookie, ...)
# that would make every unchanged re-fetch cost a new row.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "etag",
    "last-modified",
    "location",
    "server",
)


@dataclass(slots=True)
class HttpExchange:
    """One HTTP request and the answer to it, as they went over the wire, for the WARC files.

    ``payload`` is the response body exactly as received: content-encoding as the server sent
    it (gzip stays gzip), transfer chunking removed. Headers keep the server's order and every
    value. One capture holds several when redirects or retries came first (the last one is the
    answer the capture describes).
    """

    url: str
    method: str
    request_headers: tuple[tuple[str, str], ...]
    protocol: str  # "HTTP/1.1"
    status: int
    response_headers: tuple[tuple[str, str], ...]
    payload: bytes
    ip_address: str | None = None
    request_body: bytes = b""


@dataclass(slots=True)
class Capture:
    """One fetch of one URL, as received.

    ``body`` is the raw bytes exactly as received (after transfer decoding); nothing
    downstream may replace it with decoded text. ``status`` is 0 when no HTTP response
    arrived (timeout, DNS, refused) and ``error`` says why.
    """

    site: str
    url: str
    final_url: str
    status: int
    fetched_at: str  # ISO 8601, UTC, e.g. 2026-11-29T10:00:00.123456+00:00
    headers: dict[str, str] = field(default_factory=dict)  # KEPT_HEADERS only, lower-case names
    body: bytes = b""
    redirect_urls: tuple[str, ...] = ()
    listed_in: str | None = None  # the list page the notice was found on
    # For a notice fetched at a mirror address (a 繁體 mirror named in the site config): the
    # primary address, which names the notice; None when ``url`` is the primary address.
    mirror_of: str | None = None
    kind: str = "article"  # "article", "listing", or "probe" (the site's answer to a URL that cannot exist)
    error: str | None = None
    not_modified: bool = False  # a 304 answer to a conditional request
    listed_urls: tuple[str, ...] = ()  # for kind == "listing": article URLs found on it (primary addresses)
    column: str | None = None  # for kind == "listing": the column (start URL) the page belongs to
    # For kind == "listing": why more list pages linked from this one were not requested
    # ("cap": the column's list page limit; "no unknown notice": an incremental walk stops
    # here), or None when every list page it links to was requested (or already had been).
    pagination_stopped: str | None = None
    # Every HTTP exchange behind this capture, raw (see HttpExchange); empty when nothing was
    # received. Filled by spiders.rawbody, written to WARC and dropped by the recorder.
    exchanges: tuple[HttpExchange, ...] = ()
    # The body is plainly not an HTML page (spiders.sniff): what it looks like, e.g. "PDF".
    not_html: str | None = None
    # The fetch (or one of its redirects) was out of the site's crawl scope (spiders.scope):
    # nothing was fetched from there; ``error`` says why.
    refused: bool = False

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def kept_headers(response: Response) -> dict[str, str]:
    """The response headers a capture keeps (:data:`KEPT_HEADERS`), as text."""
    kept = {}
    for name in KEPT_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            kept[name] = value.decode("latin-1")
    return kept
