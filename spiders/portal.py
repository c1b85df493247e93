"""The portal spider: reads column listings, follows pagination, fetches notices.

It yields one :class:`~spiders.capture.Capture` per fetch — listing pages included, so the
archive can tell when a notice vanishes from its column — and never decides whether
anything changed. Non-2xx answers and network failures are captures too (the monitor needs
to see a 404 or a timeout to call a notice removed or unreachable); one bad page never
stops the crawl.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.capture import Capture, kept_headers
from spiders.encoding import decode_html
from spiders.links import (
    LinkRules,
    absolute,
    embedded_links,
    is_next_page_text,
    primary_address,
    scripted_pager_urls,
)
from spiders.plan import CrawlPlan, KnownNotice
from spiders.scope import REFUSED, OutOfScope, SiteScope
from spiders.sniff import sniff_not_html

# Statuses handed to the callbacks instead of being dropped by Scrapy's HttpError middleware.
# 3xx stay with the redirect middleware, so a redirect's final page arrives with redirect_urls.
SEEN_STATUSES = [304, 400, 401, 403, 404, 410, 429, 451, 500, 502, 503, 504]


# Notices found on a listing are fetched before the next listing page is read, so the queue
# holds about one listing's worth of requests however large the column: memory stays flat.
LISTING_PRIORITY = 0
NOTICE_PRIORITY = 1
# The not-found probe goes first, so this round's notices are compared with this round's
# answer wherever possible (a notice answered earlier is compared with the last round's).
PROBE_PRIORITY = 10

# Why a listing's further pages were not requested (see Capture.pagination_stopped).
STOPPED_AT_CAP = "cap"
STOPPED_NOTHING_NEW = "no unknown notice"
STOPPED_REPEATING = "no notice not on an earlier page"
# An answer 200 with no content is no page (a crashed backend, a full disk on the server).
EMPTY_BODY_ERROR = "empty body: HTTP 200 with no content"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class PortalSpider(scrapy.Spider):
    """Crawls one site by a :class:`CrawlPlan`."""

    name = "portal"

    def __init__(self, plan: CrawlPlan, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.rules = LinkRules(plan.allowed_domains, plan.article_pattern, plan.list_pattern,
                               attachment_extensions=plan.attachment_extensions)
        # Read by spiders.scope.ScopeMiddleware for every request and redirect hop.
        self.scope = SiteScope(plan.allowed_domains, plan.start_urls, allow_private=plan.allow_private)
        self.column_notices: dict[str, set[str]] = {}  # column -> notices listed on its pages so far
        self.listing_pages_seen: dict[str, int] = {}  # column (start URL) -> list pages requested
        self.articles_requested = 0
        self._requested: set[str] = set()
        # Known notices keep their validators whichever way they are reached (recheck list or
        # a listing link), so a listing never turns a conditional request into a full fetch.
        self._known = {notice.url: notice for notice in plan.recheck}
        self._archived = frozenset(self._known) | plan.skip  # every notice URL the archive has

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        if self.plan.probe_url:
            # Fetched like any page (robots.txt, delay, concurrency), never stored as a notice.
            self._requested.add(self.plan.probe_url)
            yield scrapy.Request(self.plan.probe_url, callback=self.parse_probe, errback=self.failed,
                                 dont_filter=True, priority=PROBE_PRIORITY,
                                 meta={"kind": "probe", "handle_httpstatus_list": SEEN_STATUSES})
        for url in self.plan.start_urls:
            self.listing_pages_seen[url] = 1
            self._requested.add(url)
            yield scrapy.Request(url, callback=self.parse_listing, errback=self.failed,
                                 meta={"kind": "listing", "column": url}, dont_filter=True, priority=LISTING_PRIORITY)
        for notice in self.plan.recheck:
            yield self._notice_request(notice, listed_in=None)

    # -- requests --------------------------------------------------------------------------

    def _notice_request(self, notice: KnownNotice, listed_in: str | None,
                        mirror_of: str | None = None) -> scrapy.Request | None:
        """A request for one address of a notice (``mirror_of``: the primary address when
        ``notice.url`` is a mirror address); None when that address was requested already."""
        if notice.url in self._requested:
            return None
        if self.plan.max_articles and self.articles_requested >= self.plan.max_articles:
            return None
        self._requested.add(notice.url)
        self.articles_requested += 1
        headers = {}
        if notice.etag:
            headers["If-None-Match"] = notice.etag
        if notice.last_modified:
            headers["If-Modified-Since"] = notice.last_modified
        # dont_filter: the spider already fetches each notice once per round; Scrapy's own
        # duplicate filter would drop the second of two notices that both redirect to the
        # home page, and that notice's removal would go unseen.
        return scrapy.Request(
            notice.url, callback=self.parse_notice, errback=self.failed, headers=headers, dont_filter=True,
            priority=NOTICE_PRIORITY,
            meta={"kind": "article", "listed_in": listed_in, "mirror_of": mirror_of,
                  "handle_httpstatus_list": SEEN_STATUSES},
        )

    # -- callbacks -------------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[Capture | scrapy.Request]:
        if isinstance(response, scrapy.http.TextResponse):
            yield from self._read_listing(response)

    def _read_listing(self, response: scrapy.http.TextResponse) -> Iterator[Capture | scrapy.Request]:
        text, _ = decode_html(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
        selector = scrapy.Selector(text=text, type="html")
        base = response.url
        base_href = selector.css("base::attr(href)").get()
        if base_href:
            base = absolute(response.url, base_href) or base
        notices: list[str] = []  # notice addresses as linked (a mirror address stays one)
        pages: list[str] = []  # unrequested list pages this one links to, in page order
        next_page: str | None = None  # the one its 下一页 link names
        column = response.meta.get("column", response.url)
        self._requested.add(response.url)
        links = [(absolute(base, a.attrib.get("href")), a) for a in selector.css("a")]
        links += [(url, None) for url in embedded_links(base, text) if self.rules.is_article(url)]
        links += [(url, None) for url in scripted_pager_urls(base, text)]
        for url, anchor in links:
            if url is None:
                continue
            if self.rules.is_article(url):
                if url not in notices:
                    notices.append(url)
            elif url not in self._requested and url not in pages:
                link_text = "".join(anchor.css("::text").getall()) if anchor is not None else ""
                if anchor is None or self.rules.is_listing(url, link_text):
                    pages.append(url)
                    if next_page is None and is_next_page_text(link_text):
                        next_page = url
        # Each notice by its primary address: a mirror listing shows the same notices.
        primary = {url: primary_address(url, self.plan.mirrors) or url for url in notices}
        stopped = None
        # A pagination trap (index_N+1 for ever, every page the same list) or a CMS answering
        # any page number with its last page: a page that lists nothing new for this column
        # ends the walk.
        seen_in_column = self.column_notices.setdefault(column, set())
        repeating = not any(primary[url] not in seen_in_column for url in notices)
        seen_in_column.update(primary.values())
        if pages and repeating and self.listing_pages_seen.get(column, 0) > 1:
            pages, stopped = [], STOPPED_REPEATING
        elif pages and not self.plan.full_walk and not any(primary[url] not in self._archived for url in notices):
            pages, stopped = [], STOPPED_NOTHING_NEW
        elif pages and not self.plan.full_walk:
            pages = [next_page or pages[0]]  # page by page: the next one decides whether to go on
        room = self.plan.list_pages_per_column - self.listing_pages_seen.get(column, 0)
        if len(pages) > room:
            pages, stopped = pages[:max(room, 0)], STOPPED_AT_CAP
        requests = []
        for url in pages:
            self._requested.add(url)
            self.listing_pages_seen[column] = self.listing_pages_seen.get(column, 0) + 1
            requests.append(scrapy.Request(url, callback=self.parse_listing, errback=self.failed,
                                           meta={"kind": "listing", "column": column}, priority=LISTING_PRIORITY))
        yield Capture(
            site=self.plan.site, url=response.request.url if response.request else response.url,
            final_url=response.url, status=response.status, fetched_at=now_iso(),
            headers=kept_headers(response), body=b"", kind="listing",
            listed_urls=tuple(dict.fromkeys(primary[url] for url in notices)),
            redirect_urls=tuple(response.meta.get("redirect_urls", ())), column=column,
            pagination_stopped=stopped,
        )
        for url in notices:
            if primary[url] in self.plan.skip:
                continue
            if primary[url] != url:
                # A mirror address is fetched unconditionally: the validators kept are the
                # primary address's.
                request = self._notice_request(KnownNotice(url), listed_in=response.url, mirror_of=primary[url])
            else:
                request = self._notice_request(self._known.get(url) or KnownNotice(url), listed_in=response.url)
            if request is not None:
                yield request
        yield from requests

    def parse_notice(self, response: Response) -> Iterator[Capture]:
        redirects = tuple(response.meta.get("redirect_urls", ()))
        requested = redirects[0] if redirects else response.url
        body = b"" if response.status == 304 else response.body
        error = not_html = None
        if response.status == 200:
            if not body.strip():
                error = EMPTY_BODY_ERROR
            else:
                not_html = sniff_not_html(body)
        yield Capture(
            site=self.plan.site, url=requested, final_url=response.url, status=response.status,
            fetched_at=now_iso(), headers=kept_headers(response),
            body=body, redirect_urls=redirects,
            listed_in=response.meta.get("listed_in"), mirror_of=response.meta.get("mirror_of"), kind="article",
            not_modified=response.status == 304, error=error, not_html=not_html,
        )

    def parse_probe(self, response: Response) -> Iterator[Capture]:
        """The site's answer to a URL that cannot exist: a real 404, or its not-found page."""
        yield Capture(
            site=self.plan.site, url=self.plan.probe_url or response.url, final_url=response.url,
            status=response.status, fetched_at=now_iso(), headers=kept_headers(response), body=response.body,
            redirect_urls=tuple(response.meta.get("redirect_urls", ())), kind="probe",
        )

    def failed(self, failure: Failure) -> Iterator[Capture]:
        """No usable response (timeout, DNS, refused, too large, retries exhausted)."""
        request = failure.request
        response = getattr(failure.value, "response", None)
        kind = request.meta.get("kind", "article")
        # A redirect hop that failed (or was refused) is a failure of the URL first requested.
        redirects = tuple(request.meta.get("redirect_urls", ()))
        refused = failure.check(OutOfScope) is not None
        location = response.headers.get("Location", b"").decode("latin-1") if response is not None else ""
        if 300 <= (response.status if response is not None else 0) < 400 and location:
            # Scrapy's redirect middleware hands back a redirect it will not follow (file://,
            # ftp://): the scope refuses it as it would any hop outside http(s).
            target = absolute(request.url, location) if location.lower().startswith(("http:", "https:")) else location
            refused, redirects = True, (*redirects, request.url) if not redirects else redirects
            request_url, reason = target, f"{REFUSED}: {target} is not http(s)"
        else:
            request_url, reason = request.url, failure.getErrorMessage()
        # A probe that fails (or that robots.txt forbids) only means no new fingerprint: not worth a line.
        log = self.logger.debug if kind == "probe" else self.logger.warning
        log("fetch failed: %s: %s", redirects[0] if redirects else request.url, reason)
        error = reason if refused else f"{failure.type.__name__}: {reason}"
        if refused and redirects:
            error = f"redirect to {request_url} {error}"
        yield Capture(
            site=self.plan.site, url=redirects[0] if redirects else request.url, final_url=request_url,
            status=response.status if response is not None else 0, fetched_at=now_iso(),
            kind=kind, listed_in=request.meta.get("listed_in"), mirror_of=request.meta.get("mirror_of"),
            column=request.meta.get("column"), redirect_urls=redirects, error=error[:500], refused=refused,
        )
