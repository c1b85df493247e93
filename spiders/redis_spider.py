"""The portal spider spread over workers: one round's state shared in Redis.

A :class:`SharedPortalSpider` is the :class:`~spiders.portal.PortalSpider` of one plan (one
round of one site) whose walk state — the URLs requested so far, the notices each column has
listed, the list pages requested per column — lives in Redis, so that a listing page read by
one worker and the next read by another decide exactly as one process would. Its callbacks
tag each capture with the id of the queue entry that produced it (:class:`TaggedCapture`) and
hand out follow-up requests before the capture: an entry is acknowledged with its capture,
so a round whose queue and results are empty has nothing left to discover.

:class:`WorkerSpider` is the one Scrapy spider of a worker process: it never closes on its own
and finds the plan spider of each request it pops (:meth:`WorkerSpider.spider_for`).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import scrapy
from scrapy.exceptions import DontCloseSpider

from spiders.capture import Capture
from spiders.plan import CrawlPlan
from spiders.portal import PortalSpider
from spiders.rawbody import EXCHANGES_META
from spiders.redis_queue import CLAIM_SCRIPT, DELAY_META, ENTRY_META, PLAN_META, Keys, claim_token, loads_plan
from spiders.scope import SiteScope


class SharedSet:
    """A set in Redis, read through a local cache of members (members are never removed)."""

    def __init__(self, server, key: str) -> None:
        self.server = server
        self.key = key
        self._members: set[str] = set()

    def _remote_contains(self, value: str) -> bool:
        return bool(self.server.sismember(self.key, value))

    def __contains__(self, value: str) -> bool:
        if value in self._members:
            return True
        if self._remote_contains(value):
            self._members.add(value)
            return True
        return False

    def add(self, value: str) -> None:
        if value not in self._members:
            self.server.sadd(self.key, value)
            self._members.add(value)

    def update(self, values: Iterable[str]) -> None:
        values = [v for v in values if v not in self._members]
        if values:
            self.server.sadd(self.key, *values)
            self._members.update(values)


class SharedClaims(SharedSet):
    """A set in Redis whose members can be claimed: a hash member -> the token of the claim
    that added it ("" when only added). A claim is one script (``CLAIM_SCRIPT``) that answers
    "yours" to the claim that holds the member: when Redis stops just after running a claim,
    its reply is lost and the client runs the same command (same token) again; that retry
    succeeds as the first run did instead of finding the member "already there"."""

    def __init__(self, server, key: str) -> None:
        super().__init__(server, key)
        self._claimed: set[str] = set()  # claimed here and not yet asked about (see claim)
        self._claim = server.register_script(CLAIM_SCRIPT)

    def _remote_contains(self, value: str) -> bool:
        return bool(self.server.hexists(self.key, value))

    def __contains__(self, value: str) -> bool:
        if value in self._claimed:
            self._claimed.discard(value)
            return False
        return super().__contains__(value)

    def add(self, value: str) -> None:
        if value not in self._members:
            self.server.hsetnx(self.key, value, "")
            self._members.add(value)

    def update(self, values: Iterable[str]) -> None:
        values = [v for v in dict.fromkeys(values) if v not in self._members]
        if values:
            with self.server.pipeline(transaction=False) as pipe:
                for value in values:
                    pipe.hsetnx(self.key, value, "")
                pipe.execute()
            self._members.update(values)

    def claim(self, value: str) -> bool:
        """Add ``value``; True when it was not there before (atomic across workers, and once
        per claim whatever the client retries). The next ``value in`` this set answers False
        once: the claimer goes on as if it had just checked."""
        if value in self._members:
            return False
        self._members.add(value)
        if self._claim(keys=[self.key], args=[value, claim_token()]):
            self._claimed.add(value)
            return True
        return False


class SharedColumnSets:
    """column -> :class:`SharedSet` (``PortalSpider.column_notices``)."""

    def __init__(self, server, keys: Keys, plan_key: str) -> None:
        self.server, self.keys, self.plan_key = server, keys, plan_key
        self._sets: dict[str, SharedSet] = {}

    def setdefault(self, column: str, _default=None) -> SharedSet:
        if column not in self._sets:
            self._sets[column] = SharedSet(self.server, self.keys.column(self.plan_key, column))
        return self._sets[column]


class SharedCounts:
    """column -> list pages requested (``PortalSpider.listing_pages_seen``), a Redis hash."""

    def __init__(self, server, key: str) -> None:
        self.server, self.key = server, key

    def get(self, column: str, default: int = 0) -> int:
        value = self.server.hget(self.key, column)
        return default if value is None else int(value)

    def __setitem__(self, column: str, value: int) -> None:
        self.server.hset(self.key, column, value)


@dataclass(slots=True)
class TaggedCapture:
    """A capture and the queue entry (capture id) of the fetch it describes."""

    entry: str
    plan_key: str
    capture: Capture | None  # None: the fetch yielded no capture (the entry is only acknowledged)


class SharedPortalSpider(PortalSpider):
    """A plan's spider whose round state is shared by all workers through Redis."""

    name = "portal-shared"

    def __init__(self, plan: CrawlPlan, plan_key: str, server, keys: Keys) -> None:
        super().__init__(plan)
        self.plan_key = plan_key
        self.server = server
        self._requested = SharedClaims(server, keys.requested(plan_key))
        self.column_notices = SharedColumnSets(server, keys, plan_key)
        self.listing_pages_seen = SharedCounts(server, keys.list_pages(plan_key))

    def _notice_request(self, notice, listed_in, mirror_of=None):
        # Claimed atomically: two workers reading two listings that link one notice fetch it once.
        if not self._requested.claim(notice.url):
            return None
        return super()._notice_request(notice, listed_in, mirror_of)

    def start_requests(self) -> Iterator[scrapy.Request]:
        for request in super().start_requests():
            yield self._mark(request)

    def _mark(self, request):
        if isinstance(request, scrapy.Request):
            request.meta[PLAN_META] = self.plan_key
            request.meta[DELAY_META] = self.plan.download_delay
            request.meta["download_timeout"] = self.plan.timeout
            request.meta["max_retry_times"] = self.plan.retries
            if not self.plan.obey_robots:
                request.meta["dont_obey_robotstxt"] = True
            if self.plan.user_agent:
                request.headers.setdefault("User-Agent", self.plan.user_agent)
        return request

    def _tagged(self, output: Iterable, request: scrapy.Request, *, answered: bool = True) -> Iterator:
        """Requests first (pushed to the queue at once), then the capture with its entry id.
        (Tagged captures pass spiders.rawbody.AttachExchanges by: their exchanges are attached
        here, for answered fetches as that middleware does.)"""
        captures = []
        for thing in output:
            if isinstance(thing, Capture):
                if answered and not thing.exchanges:
                    thing.exchanges = tuple(request.meta.get(EXCHANGES_META, ()))
                captures.append(thing)
            else:
                yield self._mark(thing)
        entry = request.meta.get(ENTRY_META, "")
        for capture in captures or [None]:
            yield TaggedCapture(entry, self.plan_key, capture)

    def parse_listing(self, response):
        return self._tagged(super().parse_listing(response), response.request)

    def parse_notice(self, response):
        return self._tagged(super().parse_notice(response), response.request)

    def parse_probe(self, response):
        return self._tagged(super().parse_probe(response), response.request)

    def failed(self, failure):
        return self._tagged(super().failed(failure), failure.request, answered=False)


class UnionScope:
    """The crawl scope of every plan a worker serves: a URL any of them allows is fetched
    (each plan's link rules already keep its own links on its site)."""

    def __init__(self) -> None:
        self.scopes: dict[str, SiteScope] = {}

    def refuse_url(self, url: str) -> str | None:
        reasons = [scope.refuse_url(url) for scope in self.scopes.values()]
        return None if not reasons or None in reasons else reasons[0]

    def private_allowed(self, host: str) -> bool:
        return any(scope.private_allowed(host) for scope in self.scopes.values())

    def refuse_address(self, url: str, address: str) -> str | None:
        reasons = [scope.refuse_address(url, address) for scope in self.scopes.values()]
        return None if not reasons or None in reasons else reasons[0]


class WorkerSpider(scrapy.Spider):
    """The spider of a worker process: serves the requests of any plan found in Redis."""

    name = "portalwatch-worker"
    # Plans kept in memory; a worker serving many rounds forgets the oldest.
    MAX_PLANS = 256

    def __init__(self, worker_id: str, visibility_timeout: float, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.worker_id = worker_id
        self.visibility_timeout = visibility_timeout
        self.scope = UnionScope()
        self._plans: dict[str, SharedPortalSpider | None] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.keep_open, signal=scrapy.signals.spider_idle)
        return spider

    def keep_open(self) -> None:
        raise DontCloseSpider

    async def start(self):
        return
        yield  # no start requests: everything comes from the queue

    def spider_for(self, plan_key: str) -> SharedPortalSpider | None:
        if plan_key not in self._plans:
            from scrapy_redis.connection import get_redis_from_settings

            server = get_redis_from_settings(self.settings)
            keys = Keys(self.settings.get("SCHEDULER_QUEUE_KEY"))
            data = server.get(keys.plan(plan_key))
            if data is None:
                return None
            plan = loads_plan(data)
            if len(self._plans) >= self.MAX_PLANS:
                oldest = next(iter(self._plans))
                self._plans.pop(oldest)
                self.scope.scopes.pop(oldest, None)
            spider = SharedPortalSpider(plan, plan_key, server, keys)
            self._plans[plan_key] = spider
            self.scope.scopes[plan_key] = spider.scope
        return self._plans[plan_key]
