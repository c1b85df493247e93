"""What one crawl round of one site should do: the spider's whole input."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class KnownNotice:
    """A notice already in the archive, re-fetched with a conditional request."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class CrawlPlan:
    """Built by the caller from the site config and the archive; the spider only follows it."""

    site: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_pattern: str | None = None
    list_pattern: str | None = None
    max_list_pages: int = 5
    max_articles: int | None = None
    recheck: tuple[KnownNotice, ...] = ()  # known notices due for a re-fetch this round
    skip: frozenset[str] = field(default_factory=frozenset)  # known notices not due this round
    download_delay: float = 1.0
    concurrency_per_domain: int = 2
    obey_robots: bool = True
    user_agent: str = ""
    timeout: float = 30.0
    retries: int = 2
