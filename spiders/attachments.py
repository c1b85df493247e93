"""Fetching a notice's attachments through the crawl's own downloader.

An attachment is fetched while its notice is being recorded (the monitor decides the
notice's version once its files are in), so the request does not go through the scheduler
and a callback: :func:`fetch_attachment` hands it to the engine's downloader, like Scrapy's
own FilesPipeline does. It therefore keeps every politeness rule of the notice fetches — the
same per-domain slot and ``download_delay``, robots.txt, the crawl scope, retries and
redirects — and the raw exchange is recorded for the WARC files (spiders.rawbody). A file
over ``max_size`` is abandoned by the download handler and reported as too large.
"""
from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from spiders.capture import Capture, kept_headers
from spiders.rawbody import EXCHANGES_META

# The Capture.error of a file abandoned for its size (the monitor records it as such).
TOO_LARGE = "too large"


def attachment_request(url: str, *, etag: str | None, last_modified: str | None, max_size: int) -> Request:
    """A GET for one attachment, conditional when the archive has validators for it."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return Request(url, headers=headers, dont_filter=True,
                   meta={"kind": "attachment", "download_maxsize": max_size, "download_warnsize": max_size})


async def fetch_attachment(crawler: Crawler, site: str, request: Request, fetched_at) -> Capture:
    """Download one attachment now; the answer (or the failure) as a ``kind="attachment"`` capture.

    ``fetched_at`` is a callable giving the capture time (the spider's clock)."""
    try:
        response = await crawler.engine.download_async(request)
    except Exception as exc:  # noqa: BLE001 - any failure of one file is that file's outcome
        message = str(exc) or type(exc).__name__
        too_large = "maxsize" in message.lower() or "max size" in message.lower() or "cancel" in message.lower()
        return Capture(site=site, url=request.url, final_url=request.url, status=0, fetched_at=fetched_at(),
                       kind="attachment", error=TOO_LARGE if too_large else f"{type(exc).__name__}: {message}"[:500],
                       exchanges=tuple(request.meta.get(EXCHANGES_META, ())))
    meta = response.request.meta if response.request is not None else request.meta
    return Capture(
        site=site, url=request.url, final_url=response.url, status=response.status, fetched_at=fetched_at(),
        headers=kept_headers(response), body=response.body if response.status == 200 else b"", kind="attachment",
        redirect_urls=tuple(meta.get("redirect_urls", ())), not_modified=response.status == 304,
        error=None if response.status in (200, 304) else f"HTTP {response.status}",
        exchanges=tuple(meta.get(EXCHANGES_META, ())),
    )
