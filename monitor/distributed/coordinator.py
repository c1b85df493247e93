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

A coordinator that stops mid-round (killed, its machine restarted, Redis away for longer
than its grace) leaves the round in Redis, and the next one resumes it: the queue, the
requests in flight and the results not yet stored stay as they are (nothing is planned
again), and the round's tally (what ``finish_round`` decides from: the listings read, the
notices re-checked, the changes) is rebuilt from a journal written in the same transaction
that marks each result stored (``done:<round>``). A result whose transaction never ran is
looked up in the archive by its fetch time before it is stored again.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import pickle
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis.exceptions import RedisError

from monitor.article import Article
from monitor.config import Config
from monitor.crawl import Progress, RoundReport, plan_for
from monitor.distributed import DEFAULT_REDIS_GRACE, connect
from monitor.distributed.results import BlobStore, decode
from monitor.extraction import extract_article
from monitor.recorder import ColumnWalk, Recorder, RoundTally
from spiders.capture import Capture
from spiders.redis_queue import PREFIX, Keys, ReliableQueue, dumps_plan, plan_key
from spiders.redis_spider import SharedPortalSpider
from storage.archive import Archive

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
MAINTENANCE_SECONDS = 0.5


class CoordinatorBusy(RuntimeError):
    """Another coordinator holds this Redis database's lease."""


@dataclass(frozen=True, slots=True)
class PendingRound:
    """A round left in Redis by a coordinator that stopped before its end."""

    id: str
    sites: tuple[str, ...]
    fed: bool  # its plans and start requests were all queued (else it is planned anew)


class RoundPending(RuntimeError):
    """Redis holds an unfinished round of other sites: it is resumed before another starts."""

    def __init__(self, pending: PendingRound) -> None:
        self.pending = pending
        sites = " ".join(pending.sites)
        super().__init__(f"Redis holds the unfinished round {pending.id} of {', '.join(pending.sites)}; "
                         f"resume it first (`portalwatch check --redis URL` for site(s) {sites}, or `watch --redis`)")


def journal_key(keys: Keys, round_id: str) -> str:
    return f"{keys.prefix}:tally:{round_id}"  # list of pickled TallyDelta, one per stored result


# A result stored: KEYS done set, journal, applying, stats; ARGV capture id, pickled tally
# delta ("" for none), the result as moved to `applying`, seconds spent storing it.
_APPLIED = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 and ARGV[2] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[2])
end
redis.call('LREM', KEYS[3], 1, ARGV[3])
redis.call('HINCRBY', KEYS[4], 'applied', 1)
redis.call('HINCRBYFLOAT', KEYS[4], 'apply_seconds', ARGV[4])
"""

_COUNTS = ("fetched", "listings", "unchanged", "extracted", "failed")


@dataclass(slots=True)
class TallyDelta:
    """What storing one result added to the round's tally, journalled in Redis so that a
    resumed round ends with the tally an uninterrupted one would have."""

    site: str
    counts: dict[str, int]
    rechecked: int
    changes: list[tuple[str, int, str | None]]
    walk: tuple[str, dict[str, object]] | None  # (column, field -> added ints / OR-ed flags / new members)


@dataclass
class JournalingTally(RoundTally):
    """A :class:`RoundTally` that remembers the changes counted since the last :meth:`delta`."""

    new_changes: list[tuple[str, int, str | None]] = field(default_factory=list)

    def count_change(self, kind: str, change_id: int, site: str | None = None) -> None:
        super().count_change(kind, change_id, site)
        self.new_changes.append((kind, change_id, site))

    def _walk_state(self, capture: Capture) -> tuple[str, ColumnWalk | None]:
        column = capture.column or capture.url
        walk = self.walks.get(capture.site, {}).get(column)
        return column, None if walk is None else dataclasses.replace(
            walk, **{f.name: set(getattr(walk, f.name)) for f in dataclasses.fields(walk)
                     if isinstance(getattr(walk, f.name), set)})

    def before(self, capture: Capture) -> tuple:
        self.new_changes = []
        return (tuple(getattr(self, name) for name in _COUNTS), self.rechecked.get(capture.site, 0),
                self._walk_state(capture) if capture.kind == "listing" else None)

    def delta(self, capture: Capture, before: tuple) -> TallyDelta:
        counts, rechecked, walk_before = before
        walk = None
        if walk_before is not None:
            column, old = walk_before
            new = self.walks.get(capture.site, {}).get(column)
            if new is not None:
                old = old or ColumnWalk()
                added: dict[str, object] = {}
                for f in dataclasses.fields(new):
                    value, previous = getattr(new, f.name), getattr(old, f.name)
                    if isinstance(value, set):
                        added[f.name] = sorted(value - previous)
                    elif isinstance(value, bool):
                        added[f.name] = value
                    else:
                        added[f.name] = value - previous
                walk = (column, added)
        return TallyDelta(capture.site, {name: getattr(self, name) - n for name, n in zip(_COUNTS, counts)
                                         if getattr(self, name) != n},
                          self.rechecked.get(capture.site, 0) - rechecked, self.new_changes, walk)

    def replay(self, delta: TallyDelta) -> None:
        for name, n in delta.counts.items():
            setattr(self, name, getattr(self, name) + n)
        if delta.rechecked:
            self.rechecked[delta.site] = self.rechecked.get(delta.site, 0) + delta.rechecked
        for kind, change_id, site in delta.changes:
            RoundTally.count_change(self, kind, change_id, site)
        if delta.walk is not None:
            column, added = delta.walk
            walk = self.walk(delta.site, column)
            for name, value in added.items():
                current = getattr(walk, name)
                if isinstance(current, set):
                    current.update(value)
                elif isinstance(current, bool):
                    setattr(walk, name, current or value)
                else:
                    setattr(walk, name, current + value)


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
        server.delete(journal_key(keys, round_id))
        for pattern in keys.round_pattern(round_id):
            for key in server.scan_iter(match=pattern, count=1000):
                server.delete(key)


class Coordinator:
    """Runs rounds of a config's sites through Redis; see the module docstring."""

    def __init__(self, config: Config, redis_url: str, *, prefix: str = PREFIX,
                 grace: float = DEFAULT_REDIS_GRACE) -> None:
        self.config = config
        self.redis_url = redis_url
        self.server = connect(redis_url, grace)
        self.server.ping()
        self.keys = Keys(prefix)
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self.queue = ReliableQueue(self.server, None, prefix, worker_id="coordinator")
        self._applied = self.server.register_script(_APPLIED)
        self.interrupted = False

    def interrupt(self) -> None:
        """Stop feeding: drop what is still queued, store what workers already fetched."""
        self.interrupted = True

    def _holder_is_gone(self, holder: str) -> bool:
        """The lease's holder is a process of this machine that no longer runs (killed)."""
        host, _, pid = holder.rpartition(":")
        if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _take_lease(self) -> None:
        if self.server.set(self.keys.coordinator, self.identity, nx=True, ex=LEASE_SECONDS):
            return
        holder = (self.server.get(self.keys.coordinator) or b"?").decode()
        if holder == self.identity or self._holder_is_gone(holder):
            log.warning("taking over the lease of coordinator %s, which is no longer running", holder)
            self.server.set(self.keys.coordinator, self.identity, ex=LEASE_SECONDS)
            return
        raise CoordinatorBusy(f"another coordinator ({holder}) is using this Redis database")

    def _release_lease(self) -> None:
        try:
            if self.server.get(self.keys.coordinator) == self.identity.encode():
                self.server.delete(self.keys.coordinator)
        except RedisError as exc:
            log.warning("could not release the coordinator lease: %s", exc)

    def pending_round(self) -> PendingRound | None:
        """The round a stopped coordinator left in Redis, if any."""
        info = self.server.hgetall(self.keys.round)
        if b"id" not in info:
            return None
        return PendingRound(info[b"id"].decode(), tuple(info.get(b"sites", b"").decode().split()),
                            info.get(b"fed") == b"1")

    def run(self, names: list[str], *, recheck: str = "due", fast: bool = False,
            on_progress: Callable[[Progress], None] | None = None) -> RoundReport:
        """One round of ``names``; the round of the same sites a stopped coordinator left in
        Redis is resumed instead. Raises :class:`RoundPending` when Redis holds an unfinished
        round of other sites, :class:`CoordinatorBusy` when another coordinator is running."""
        self._take_lease()
        try:
            pending = self.pending_round()
            if pending is not None and not pending.fed:  # stopped while planning: nothing was stored
                log.warning("round %s stopped while being planned: planning it anew", pending.id)
                clear_round(self.server, self.keys, pending.id)
                pending = None
            if pending is not None and sorted(pending.sites) != sorted(names):
                raise RoundPending(pending)
            return asyncio.run(self._run(names, recheck, fast, on_progress, pending))
        finally:
            self._release_lease()

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
        self.server.hset(self.keys.round, "fed", 1)

    def _quiet(self) -> bool:
        """Nothing queued, in flight, or fetched and not yet stored: the round is over (an
        entry leaves Redis only with its result, after the requests its page led to)."""
        with self.server.pipeline(transaction=True) as pipe:
            pipe.hlen(self.keys.entries)
            pipe.llen(self.keys.results)
            pipe.llen(self.keys.applying)
            return not any(pipe.execute())

    def _resume(self, round_id: str, tally: JournalingTally, per_site: dict[str, int]) -> set[str]:
        """Rebuild the tally of a round from its journal; put the results that were being
        stored back at the head of the queue. Returns their capture ids: those whose
        transaction never ran may already be in the archive (looked up before storing)."""
        for data in self.server.lrange(journal_key(self.keys, round_id), 0, -1):
            delta = pickle.loads(data)
            tally.replay(delta)
            per_site[delta.site] = per_site.get(delta.site, 0) + 1
        tally.new_changes = []
        # Read before moving: a move retried after a lost reply still leaves each one named.
        unsure = {decode(data).capture_id for data in self.server.lrange(self.keys.applying, 0, -1)}
        while self.server.lmove(self.keys.applying, self.keys.results, "RIGHT", "LEFT") is not None:
            pass
        log.warning("resuming round %s: %d results already stored, %d being stored when it stopped",
                    round_id, sum(per_site.values()), len(unsure))
        return unsure

    @staticmethod
    def _already_stored(archive: Archive, capture: Capture) -> bool:
        """The archive has this very fetch (a notice's capture row with its fetch time)."""
        if capture.kind in ("listing", "probe"):
            return False  # storing these again changes nothing the round decides
        for url in {capture.url, capture.mirror_of or capture.url}:
            if archive.page_state(url) is not None and any(
                    stored.fetched_at == capture.fetched_at for stored in archive.captures(url)):
                return True
        return False

    async def _run(self, names: list[str], recheck: str, fast: bool,
                   on_progress: Callable[[Progress], None] | None, pending: PendingRound | None) -> RoundReport:
        from monitor.rounds import finish_round

        started = time.monotonic()
        Archive(self.config.archive).close()  # created and migrated before planning
        archive = Archive(self.config.archive)
        tally = JournalingTally()
        articles = WorkerArticles()
        recorder = Recorder(archive, self.config, articles, tally)  # type: ignore[arg-type]
        per_site: dict[str, int] = {}
        unsure: set[str] = set()
        error = None
        keep_round = False  # left in Redis for the next coordinator to resume
        round_id = pending.id if pending else None
        try:
            if pending is not None:
                unsure = self._resume(pending.id, tally, per_site)
                self.server.hset(self.keys.round, "coordinator", self.identity)
            else:
                round_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + os.urandom(3).hex()
                self.server.hset(self.keys.round, mapping={"id": round_id, "sites": " ".join(names),
                                                           "started": time.time(), "coordinator": self.identity})
                self._feed(round_id, archive, names, recheck, fast)
            done = self.keys.done(round_id)
            journal = journal_key(self.keys, round_id)
            last_maintenance = 0.0
            warned_alone = False
            stranded = None
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
                    stranded = self.server.lindex(self.keys.applying, 0)
                # A result left in `applying` (a move whose reply Redis lost as it stopped: the
                # client's retry moved the next one) is stored before any other.
                data = stranded or self.server.blmove(self.keys.results, self.keys.applying, MAINTENANCE_SECONDS,
                                                      "LEFT", "RIGHT")
                stranded = None
                if data is None:
                    continue
                applying_since = time.perf_counter()
                result = decode(data)
                delta = None
                if not self.server.sismember(done, result.capture_id):
                    result = BlobStore.load(result)
                    capture = result.capture
                    if capture is not None and not (result.capture_id in unsure
                                                    and self._already_stored(archive, capture)):
                        per_site[capture.site] = per_site.get(capture.site, 0) + 1
                        before = tally.before(capture)
                        articles.offer(capture, result.article)
                        await recorder.record(capture)
                        articles.offer(capture, None)
                        delta = tally.delta(capture, before)
                # Marked stored, journalled and taken off `applying` in one script, whose
                # journal entry is pushed only by the run that marks the capture id: a retry of
                # the script after a lost reply journals nothing twice. Also counted: the
                # coordinator's own cost per result (its ceiling: results/s it can store).
                self._applied(keys=[done, journal, self.keys.applying, self.keys.stats],
                              args=[result.capture_id,
                                    b"" if delta is None else pickle.dumps(delta, protocol=pickle.HIGHEST_PROTOCOL),
                                    data, repr(time.perf_counter() - applying_since)])
                BlobStore.discard(result)
            if not self.interrupted:
                for name in names:
                    finish_round(archive, self.config.site(name), tally)
        except RedisError as exc:
            keep_round = round_id is not None
            log.error("lost Redis at %s: %s", self.redis_url, exc)
            error = (f"lost Redis at {self.redis_url} ({type(exc).__name__}: {exc}); what was stored stays, and "
                     f"round {round_id} stays in Redis: run the same command again to resume it")
        except Exception as exc:
            log.exception("distributed round failed")
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if not keep_round:
                try:
                    clear_round(self.server, self.keys, round_id)
                except RedisError as exc:
                    log.warning("could not clear round %s from Redis: %s", round_id, exc)
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
