"""Honour ``Retry-After`` on 429 and 503 answers before Scrapy's retry middleware retries.

Scrapy retries a 429 at once; a portal that asked for a pause sees the same request again
and keeps refusing (or blocks the crawler). This middleware sees the answer first and waits
what the server asked for, up to :data:`MAX_WAIT_SECONDS`; longer requests are not waited
for (the fetch fails, the next round tries again). Only the request that was refused waits:
the rest of the crawl goes on.
"""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_AFTER_STATUSES = (429, 503)
MAX_WAIT_SECONDS = 120.0


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Placed after RetryMiddleware (550) in priority, so it sees responses before it."""

    def __init__(self, crawler) -> None:
        self.max_retries = crawler.settings.getint("RETRY_TIMES")

    @classmethod
    def from_crawler(cls, crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request, response):
        if response.status not in RETRY_AFTER_STATUSES or request.meta.get("retry_times", 0) >= self.max_retries:
            return response
        header = response.headers.get("Retry-After")
        seconds = retry_after_seconds(header.decode("latin-1") if header else None)
        if seconds is not None and seconds <= MAX_WAIT_SECONDS:
            await asyncio.sleep(seconds)
        return response
