"""The coordinator of a distributed round: plans, feeds Redis, and is the archive's only writer.

Each site's round is planned from the archive by :func:`monitor.crawl.plan_for`, exactly as a
single-machine round; the plan goes to Redis with what workers need to know beyond it (the
archive's last body per notice, so they extract only new bytes; the site's content
selector), and the plan's start requests go to the queue. Workers read listings, queue the
notices they find and push one result per fetch. The coordinator stores each result through
the same :class:`~monitor.recorder.Recorder` a single-machine round uses (the lifecycle,
versions and changes are decided there), once per capture id, and ends the round with the
same :func:`~monitor.rounds.finish_round` when nothing is queued, in flight or unstored.

Meanwhile it hands back the requests of workers that stopped beating and those past their
visibility timeout (:meth:`spiders.redis_queue.ReliableQueue.reclaim`).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime

from monitor.article import Article
from monitor.config import Config
from monitor.crawl import Progress, RoundReport, plan_for
from monitor.distributed.results import BlobStore, decode
from monitor.extraction import extract_article
from monitor.recorder import Recorder, RoundTally
from spiders.capture import Capture
from spiders.redis_queue import PREFIX, Keys, ReliableQueue, dumps_plan, plan_key
from spiders.redis_spider import SharedPortalSpider
from storage.archive import Archive

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
MAINTENANCE_SECONDS = 0.5


class CoordinatorBusy(RuntimeError):
    """Another coordinator holds this Redis database's lease."""


class WorkerArticles:
    """The recorder's extraction pool here: the notice the worker extracted for the capture
    being stored, else an extraction in this process (the worker did not know the archive
    wanted one, e.g. a mirror address)."""

    def __init__(self) -> None:
        self.offered: tuple[Capture, Article] | None = None
        self.fallbacks = 0

    def offer(self, capture: Capture, article: Article | None) -> None:
        self.offered = (capture, article) if article is not None else None

    async def extract(self, body: bytes, url: str, content_type: str | None, selector: str | None) -> Article:
        if self.offered is not None and self.offered[0].body is body:
            return self.offered[1]
        self.fallbacks += 1
        return extract_article(body, url, content_type=content_type, content_selector=selector)


def live_workers(server, keys: Keys) -> tuple[list[str], list[str]]:
    """(alive, dead) worker ids: a worker is alive while its heartbeat key exists."""
    alive, dead = [], []
    for raw in server.smembers(keys.workers):
        worker = raw.decode()
        (alive if server.exists(keys.worker(worker)) else dead).append(worker)
    return sorted(alive), sorted(dead)


def clear_round(server, keys: Keys, round_id: str | None) -> None:
    """Forget a round: its queue, results, plans and shared state (the archive keeps what was stored)."""
    ReliableQueue(server, None, keys.prefix).clear()
    server.delete(keys.results, keys.applying, keys.round)
    if round_id:
        for pattern in keys.round_pattern(round_id):
            for key in server.scan_iter(match=pattern, count=1000):
                server.delete(key)


class Coordinator:
    """Runs rounds of a config's sites through Redis; see the module docstring."""

    def __init__(self, config: Config, redis_url: str, *, prefix: str = PREFIX) -> None:
        import redis

        self.config = config
        self.server = redis.Redis.from_url(redis_url)
        self.server.ping()
        self.keys = Keys(prefix)
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.queue = ReliableQueue(self.server, None, prefix, worker_id="coordinator")
        self.interrupted = False

    def interrupt(self) -> None:
        """Stop feeding: drop what is still queued, store what workers already fetched."""
        self.interrupted = True

    def _take_lease(self) -> None:
        if not self.server.set(self.keys.coordinator, self.identity, nx=True, ex=LEASE_SECONDS):
            holder = (self.server.get(self.keys.coordinator) or b"?").decode()
            raise CoordinatorBusy(f"another coordinator ({holder}) is using this Redis database")
        stale = self.server.hget(self.keys.round, "id")
        if stale is not None:  # its coordinator died: what it stored stays, the rest is planned anew
            log.warning("discarding round %s left by a coordinator that stopped", stale.decode())
            clear_round(self.server, self.keys, stale.decode())

    def run(self, names: list[str], *, recheck: str = "due", fast: bool = False,
            on_progress: Callable[[Progress], None] | None = None) -> RoundReport:
        self._take_lease()
        try:
            return asyncio.run(self._run(names, recheck, fast, on_progress))
        finally:
            self.server.delete(self.keys.coordinator)

    def _feed(self, round_id: str, archive: Archive, names: list[str], recheck: str, fast: bool) -> None:
        for name in names:
            site = self.config.site(name)
            plan = plan_for(site, archive, fast=fast, recheck_mode=recheck)
            key = plan_key(round_id, name)
            last_bodies = {s.url: s.last_body_sha256 for s in archive.page_states(name) if s.last_body_sha256}
            with self.server.pipeline(transaction=False) as pipe:
                pipe.set(self.keys.plan(key), dumps_plan(plan))
                if site.content_selector:
                    pipe.hset(self.keys.options(key), "content_selector", site.content_selector)
                items = list(last_bodies.items())
                for start in range(0, len(items), 1000):
                    pipe.hset(self.keys.last_bodies(key), mapping=dict(items[start:start + 1000]))
                pipe.execute()
            spider = SharedPortalSpider(plan, key, self.server, self.keys)
            for request in spider.start_requests():
                self.queue.push(request)

    def _quiet(self) -> bool:
        """Nothing queued, in flight, or fetched and not yet stored: the round is over (an
        entry leaves Redis only with its result, after the requests its page led to)."""
        with self.server.pipeline(transaction=True) as pipe:
            pipe.hlen(self.keys.entries)
            pipe.llen(self.keys.results)
            pipe.llen(self.keys.applying)
            return not any(pipe.execute())

    async def _run(self, names: list[str], recheck: str, fast: bool,
                   on_progress: Callable[[Progress], None] | None) -> RoundReport:
        from monitor.rounds import finish_round

        started = time.monotonic()
        round_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + os.urandom(3).hex()
        Archive(self.config.archive).close()  # created and migrated before planning
        archive = Archive(self.config.archive)
        tally = RoundTally()
        articles = WorkerArticles()
        recorder = Recorder(archive, self.config, articles, tally)  # type: ignore[arg-type]
        done = self.keys.done(round_id)
        error = None
        try:
            self.server.hset(self.keys.round, mapping={"id": round_id, "sites": " ".join(names),
                                                       "started": time.time(), "coordinator": self.identity})
            self._feed(round_id, archive, names, recheck, fast)
            last_maintenance = 0.0
            per_site: dict[str, int] = {}
            warned_alone = False
            while True:
                now = time.monotonic()
                if now - last_maintenance >= MAINTENANCE_SECONDS:
                    last_maintenance = now
                    self.server.expire(self.keys.coordinator, LEASE_SECONDS)
                    alive, dead = live_workers(self.server, self.keys)
                    if self.queue.reclaim(dead):
                        log.warning("requests of stopped workers handed back to the queue")
                    if dead:
                        self.server.srem(self.keys.workers, *dead)
                    if not alive and not warned_alone and now - started > 5:
                        log.warning("no worker is running: start `portalwatch worker --redis URL`")
                        warned_alone = True
                    if self.interrupted:
                        self.server.delete(self.keys.pending)
                    self._publish_progress(tally, per_site, started, on_progress)
                    if self._quiet():
                        break
                data = self.server.blmove(self.keys.results, self.keys.applying, MAINTENANCE_SECONDS,
                                          "LEFT", "RIGHT")
                if data is None:
                    continue
                applying_since = time.perf_counter()
                result = decode(data)
                if not self.server.sismember(done, result.capture_id):
                    result = BlobStore.load(result)
                    if result.capture is not None:
                        per_site[result.capture.site] = per_site.get(result.capture.site, 0) + 1
                        articles.offer(result.capture, result.article)
                        await recorder.record(result.capture)
                        articles.offer(result.capture, None)
                with self.server.pipeline(transaction=True) as pipe:
                    pipe.sadd(done, result.capture_id)
                    pipe.lrem(self.keys.applying, 1, data)
                    # The coordinator's own cost per result (its ceiling: results/s it can store).
                    pipe.hincrby(self.keys.stats, "applied", 1)
                    pipe.hincrbyfloat(self.keys.stats, "apply_seconds", time.perf_counter() - applying_since)
                    pipe.execute()
                BlobStore.discard(result)
            if not self.interrupted:
                for name in names:
                    finish_round(archive, self.config.site(name), tally)
        except Exception as exc:
            log.exception("distributed round failed")
            error = f"{type(exc).__name__}: {exc}"
        finally:
            clear_round(self.server, self.keys, round_id)
            archive.close()
        return RoundReport(
            sites=names, fetched=tally.fetched, listings=tally.listings, unchanged=tally.unchanged,
            extracted=tally.extracted, failed=tally.failed, changes=dict(tally.changes),
            change_ids=list(tally.change_ids), batch_ids=list(tally.batch_ids), seconds=time.monotonic() - started,
            interrupted=self.interrupted, error=error,
        )

    def _publish_progress(self, tally: RoundTally, per_site: dict[str, int], started: float,
                          on_progress: Callable[[Progress], None] | None) -> None:
        progress = Progress(tally.fetched, tally.listings, tally.extracted, tally.unchanged, tally.failed,
                            time.monotonic() - started)
        self.server.hset(self.keys.round, mapping={"fetched": tally.fetched, "listings": tally.listings,
                                                   "extracted": tally.extracted, "failed": tally.failed,
                                                   **{f"site:{name}": n for name, n in per_site.items()}})
        if on_progress:
            on_progress(progress)


def status(redis_url: str, *, prefix: str = PREFIX) -> dict:
    """Workers alive, queue lengths and the round in progress, for ``portalwatch status``."""
    import redis

    server = redis.Redis.from_url(redis_url)
    keys = Keys(prefix)
    alive, _ = live_workers(server, keys)
    workers = []
    for worker in alive:
        info = {k.decode(): v.decode() for k, v in server.hgetall(keys.worker(worker)).items()}
        workers.append({"id": worker, "host": info.get("host"), "pid": int(info.get("pid", 0)),
                        "responses": int(info.get("responses", 0)), "results": int(info.get("results", 0))})
    round_info = {k.decode(): v.decode() for k, v in server.hgetall(keys.round).items()}
    return {
        "workers": workers,
        "queued": server.zcard(keys.pending),
        "in_flight": server.zcard(keys.inflight),
        "results": server.llen(keys.results),
        "round": {"id": round_info.get("id"), "sites": round_info.get("sites", "").split(),
                  "coordinator": round_info.get("coordinator"),
                  "captures_by_site": {k[5:]: int(v) for k, v in round_info.items() if k.startswith("site:")},
                  **{k: int(round_info.get(k, 0)) for k in ("fetched", "listings", "extracted", "failed")}}
        if round_info else None,
    }
