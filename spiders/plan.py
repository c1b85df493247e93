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
    # File types (extensions without dots) that are attachments, never notices or listings.
    # No default: the monitor passes the project's one list (monitor.vocabulary).
    attachment_extensions: tuple[str, ...]
    article_pattern: str | None = None
    list_pattern: str | None = None
    # Traditional mirrors: (mirror prefix, primary prefix) pairs. A notice linked at a mirror
    # address is fetched there, but it is the notice at the primary address (one page).
    mirrors: tuple[tuple[str, str], ...] = ()
    # List pages: at most ``list_pages_per_column`` per column (start URL). A ``full_walk``
    # follows every pagination link; otherwise a column is read page by page until a page
    # holds no notice outside ``recheck`` and ``skip`` (nothing the archive does not know).
    list_pages_per_column: int = 1000
    full_walk: bool = True
    max_articles: int | None = None
    recheck: tuple[KnownNotice, ...] = ()  # known notices due for a re-fetch this round
    skip: frozenset[str] = field(default_factory=frozenset)  # known notices not due this round
    # A URL on the site that cannot exist, fetched once to learn the site's not-found answer;
    # None: no probe this round.
    probe_url: str | None = None
    download_delay: float = 1.0
    concurrency_per_domain: int = 2
    obey_robots: bool = True
    # Loopback/private/reserved addresses may be fetched: all of them (True), or only at the
    # hosts of the start URLs (False; see spiders.scope).
    allow_private: bool = False
    user_agent: str = ""
    timeout: float = 30.0
    retries: int = 2
