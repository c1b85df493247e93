"""``portalwatch worker``: fetch, decode and extract for a coordinator, hold no archive.

A Scrapy process whose scheduler and duplicate filter are scrapy-redis's (the queue is
:class:`spiders.redis_queue.ReliableQueue`): it pops requests of any site and round, fetches
them with the site's politeness held across workers (:class:`spiders.redis_queue.HostPoliteness`),
extracts each notice whose bytes are new (as the single-machine recorder would), and pushes
one :class:`~monitor.distributed.results.Result` per fetch to the results queue, acknowledging
the request in the same transaction. It runs until SIGINT/SIGTERM, then finishes the fetches
in hand and hands back any it could not finish.
"""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import time

from redis.exceptions import RedisError

from monitor.distributed import (
    DEFAULT_HEARTBEAT_TTL,
    DEFAULT_REDIS_GRACE,
    DEFAULT_VISIBILITY_TIMEOUT,
    redis_params,
)
from monitor.distributed.results import DEFAULT_BLOB_THRESHOLD, BlobStore, Result, encode
from monitor.extraction_pool import ExtractionPool
from monitor.removal import redirected_away
from spiders.capture import Capture
from spiders.redis_queue import PREFIX, Keys, ReliableQueue
from spiders.redis_spider import TaggedCapture, WorkerSpider

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
# An idle worker looks at the queue this often (Scrapy's own engine heartbeat is 5 s).
POLL_SECONDS = 0.2

_POOL: dict[str, ExtractionPool] = {}  # the worker's extraction pool, made before the reactor starts


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def worker_settings(redis_url: str, *, concurrency: int, worker_id: str, blob_store: str | None,
                    blob_threshold: int, heartbeat_ttl: float, prefix: str = PREFIX,
                    redis_grace: float = DEFAULT_REDIS_GRACE) -> dict:
    from spiders import settings as defaults

    values = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    values.update(
        SCHEDULER="scrapy_redis.scheduler.Scheduler",
        SCHEDULER_QUEUE_CLASS="spiders.redis_queue.ReliableQueue",
        SCHEDULER_QUEUE_KEY=prefix,
        SCHEDULER_PERSIST=True,  # the queue belongs to the round, not to this worker
        DUPEFILTER_CLASS="spiders.redis_queue.RoundDupeFilter",
        SCHEDULER_DUPEFILTER_KEY=prefix,
        REDIS_URL=redis_url,
        # Every Redis command waits out a Redis restart (up to redis_grace) instead of failing.
        REDIS_PARAMS=redis_params(redis_grace),
        DOWNLOAD_DELAY=0,  # held per host across workers instead (HostGate)
        CONCURRENT_REQUESTS=concurrency,
        CONCURRENT_REQUESTS_PER_DOMAIN=concurrency,  # concurrency_per_domain: HostGate, across workers
        ITEM_PIPELINES={"monitor.distributed.worker.ResultPipeline": 300},
        # Last before the download (and after robots.txt): a host's slots and delay, across workers.
        DOWNLOADER_MIDDLEWARES={**defaults.DOWNLOADER_MIDDLEWARES, "monitor.distributed.host_slots.HostGate": 940},
        EXTENSIONS={**defaults.EXTENSIONS, "monitor.distributed.worker.Heartbeat": 0},
        STATS_DUMP=False,
        PORTALWATCH_WORKER_ID=worker_id,
        PORTALWATCH_BLOB_STORE=blob_store,
        PORTALWATCH_BLOB_THRESHOLD=blob_threshold,
        PORTALWATCH_HEARTBEAT_TTL=heartbeat_ttl,
    )
    return values


class ResultPipeline:
    """Extracts where the archive will want a notice, pushes the result, acknowledges the entry."""

    def __init__(self, crawler) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        settings = crawler.settings
        self.server = get_redis_from_settings(settings)
        self.keys = Keys(settings.get("SCHEDULER_QUEUE_KEY", PREFIX))
        self.worker_id = settings.get("PORTALWATCH_WORKER_ID")
        self.pool = _POOL.get("pool") or ExtractionPool(0)
        store = settings.get("PORTALWATCH_BLOB_STORE")
        self.blobs = BlobStore(store) if store else None
        self.blob_threshold = settings.getint("PORTALWATCH_BLOB_THRESHOLD", DEFAULT_BLOB_THRESHOLD)
        self._selectors: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler) -> ResultPipeline:
        return cls(crawler)

    def _selector(self, plan_key: str) -> str | None:
        if plan_key not in self._selectors:
            value = self.server.hget(self.keys.options(plan_key), "content_selector")
            self._selectors[plan_key] = value.decode() if value else None
        return self._selectors[plan_key]

    def _wants_article(self, capture: Capture, plan_key: str) -> bool:
        """Would the recorder extract this capture? New bytes of a good answer at a notice
        address (the archive's last body sha per notice came with the plan)."""
        if (capture.kind != "article" or capture.error or capture.status != 200 or capture.not_modified
                or capture.not_html or not capture.body):
            return False
        if capture.redirect_urls and redirected_away(capture.url, capture.final_url):
            return False
        if capture.mirror_of is None:
            last = self.server.hget(self.keys.last_bodies(plan_key), capture.url)
            if last is not None and last.decode() == hashlib.sha256(capture.body).hexdigest():
                return False
        return True

    async def process_item(self, item):
        if not isinstance(item, TaggedCapture):
            return item
        capture, article = item.capture, None
        if capture is not None and self._wants_article(capture, item.plan_key):
            article = await self.pool.extract(capture.body, capture.final_url, capture.content_type,
                                              self._selector(item.plan_key))
        result = Result(item.entry, item.plan_key, self.worker_id, capture, article)
        data = encode(result)
        if self.blobs is not None and len(data) > self.blob_threshold:
            data = encode(self.blobs.put(result))
        with self.server.pipeline(transaction=True) as pipe:
            pipe.rpush(self.keys.results, data)
            self.keys.acknowledge(pipe, item.entry)
            pipe.hincrby(self.keys.stats, "result_bytes", len(data))
            pipe.execute()
        if capture is not None:
            capture.body = b""
        return item


class Heartbeat:
    """Scrapy extension: tells Redis this worker is alive (a key that expires), and looks at
    the queue every POLL_SECONDS when idle. On close, hands back what it still holds."""

    def __init__(self, crawler) -> None:
        from scrapy_redis.connection import get_redis_from_settings

        self.crawler = crawler
        settings = crawler.settings
        self.server = get_redis_from_settings(settings)
        self.keys = Keys(settings.get("SCHEDULER_QUEUE_KEY", PREFIX))
        self.worker_id = settings.get("PORTALWATCH_WORKER_ID")
        self.ttl = settings.getfloat("PORTALWATCH_HEARTBEAT_TTL", DEFAULT_HEARTBEAT_TTL)
        self.started = time.time()
        self._last_beat = 0.0
        self._loop = None
        from scrapy import signals

        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> Heartbeat:
        return cls(crawler)

    def opened(self, spider) -> None:
        from twisted.internet import task

        self.beat()
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(POLL_SECONDS, now=False)

    def tick(self) -> None:
        if time.monotonic() - self._last_beat >= HEARTBEAT_SECONDS:
            try:
                self.beat()
            except RedisError as exc:  # Redis away for a moment: the next beat tries again
                log.warning("heartbeat failed: %s", exc)
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def beat(self) -> None:
        self._last_beat = time.monotonic()
        stats = self.crawler.stats
        key = self.keys.worker(self.worker_id)
        with self.server.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping={
                "host": socket.gethostname(), "pid": os.getpid(), "started": self.started,
                "responses": stats.get_value("response_received_count", 0) if stats else 0,
                "results": stats.get_value("item_scraped_count", 0) if stats else 0,
            })
            pipe.expire(key, max(1, int(self.ttl)))
            pipe.sadd(self.keys.workers, self.worker_id)
            pipe.execute()

    def closed(self, spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            queue = ReliableQueue(self.server, None, self.keys.prefix, worker_id=self.worker_id)
            queue.reclaim([self.worker_id])
            self.server.delete(self.keys.worker(self.worker_id))
            self.server.srem(self.keys.workers, self.worker_id)
        except RedisError as exc:
            log.warning("could not hand back this worker's requests: %s", exc)


def run_worker(redis_url: str, *, concurrency: int = 16, extraction_workers: int | None = None,
               blob_store: str | None = None, blob_threshold: int = DEFAULT_BLOB_THRESHOLD,
               visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
               heartbeat_ttl: float = DEFAULT_HEARTBEAT_TTL, worker_id: str | None = None) -> None:
    """Run a worker until SIGINT/SIGTERM (Scrapy's graceful stop; a second signal stops at once)."""
    import redis
    from scrapy.crawler import CrawlerProcess

    redis.Redis.from_url(redis_url).ping()  # a wrong URL is one clear error, before Scrapy starts
    worker_id = worker_id or new_worker_id()
    pool = ExtractionPool(extraction_workers)
    pool.start()
    _POOL["pool"] = pool
    settings = worker_settings(redis_url, concurrency=concurrency, worker_id=worker_id, blob_store=blob_store,
                               blob_threshold=blob_threshold, heartbeat_ttl=heartbeat_ttl)
    process = CrawlerProcess(settings, install_root_handler=False)
    # As in a single-machine round: a failed fetch is one line (the spider's), not Scrapy's tracebacks.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    for noisy in ("scrapy", "twisted", "py.warnings", "scrapy_redis"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    process.crawl(WorkerSpider, worker_id=worker_id, visibility_timeout=visibility_timeout)
    try:
        process.start()
    finally:
        pool.close()
