"""Request plumbing for crawls spread over several machines: a reliable request queue in Redis
for scrapy-redis's scheduler, a duplicate filter scoped to one round of one site, the round's
shared spider state, and politeness (``download_delay``) held per host across all workers.

Every key lives under one prefix (:class:`Keys`); one Redis database serves one archive.

The queue (:class:`ReliableQueue`) never loses a request: popping moves an entry from
``pending`` to ``inflight`` (with a deadline and its owner); the entry leaves Redis only when
its result is pushed (:meth:`Keys.acknowledge`, in the same transaction). An entry whose
worker stops sending heartbeats, or whose deadline passes (the visibility timeout), goes back
to ``pending`` (:meth:`ReliableQueue.reclaim`) and another worker fetches it. The entry id is
the capture id: a request fetched twice yields two results with one id, stored once.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from collections.abc import Callable

from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base

log = logging.getLogger(__name__)

PREFIX = "portalwatch"
# Meta keys a distributed request carries: its entry (capture) id, the round-and-site its plan
# is stored under, and the site's download_delay for the politeness middleware.
ENTRY_META = "pw_entry"
PLAN_META = "pw_plan"
DELAY_META = "pw_delay"
# Scores put higher-priority requests first and keep insertion order within one priority.
_PRIORITY_SPAN = 2.0 ** 40


class Keys:
    """The names of every Redis key portalwatch uses, under one prefix."""

    def __init__(self, prefix: str = PREFIX) -> None:
        self.prefix = prefix
        self.pending = f"{prefix}:pending"  # zset entry id -> order (priority, then arrival)
        self.entries = f"{prefix}:entries"  # hash entry id -> encoded request
        self.scores = f"{prefix}:scores"  # hash entry id -> its order in pending
        self.inflight = f"{prefix}:inflight"  # zset entry id -> deadline (Redis clock, seconds)
        self.owner = f"{prefix}:owner"  # hash entry id -> worker id
        self.popped = f"{prefix}:popped"  # hash worker id -> "<pop token> <entry id>" of its last pop
        self.sequence = f"{prefix}:sequence"
        self.results = f"{prefix}:results"  # list of encoded results, pushed by workers
        self.applying = f"{prefix}:applying"  # results the coordinator is storing (reliable pop)
        self.round = f"{prefix}:round"  # hash describing the round in progress
        self.coordinator = f"{prefix}:coordinator"  # the coordinator's lease (expires)
        self.workers = f"{prefix}:workers"  # set of worker ids ever seen (pruned when dead)
        self.stats = f"{prefix}:stats"  # hash of counters: round trips, bytes

    def acknowledge(self, pipe, entry: str) -> None:
        """Queue the removal of a finished entry on ``pipe`` (a transaction, or the server)."""
        pipe.zrem(self.pending, entry)
        pipe.zrem(self.inflight, entry)
        pipe.hdel(self.owner, entry)
        pipe.hdel(self.entries, entry)
        pipe.hdel(self.scores, entry)

    def options(self, plan_key: str) -> str:
        return f"{self.prefix}:options:{plan_key}"  # hash: what workers need beyond the plan

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"  # heartbeat hash, expires

    def plan(self, plan_key: str) -> str:
        return f"{self.prefix}:plan:{plan_key}"

    def last_bodies(self, plan_key: str) -> str:
        return f"{self.prefix}:lastsha:{plan_key}"  # hash notice URL -> sha256 of its last body

    def done(self, round_id: str) -> str:
        return f"{self.prefix}:done:{round_id}"  # set of capture ids stored

    def seen(self, plan_key: str) -> str:
        return f"{self.prefix}:seen:{plan_key}"  # hash URL -> claim token: the round's duplicate filter

    def requested(self, plan_key: str) -> str:
        return f"{self.prefix}:requested:{plan_key}"  # hash URL -> claim token ("" when only added)

    def column(self, plan_key: str, column: str) -> str:
        return f"{self.prefix}:column:{plan_key}:{hashlib.sha1(column.encode()).hexdigest()}"

    def list_pages(self, plan_key: str) -> str:
        return f"{self.prefix}:listpages:{plan_key}"

    def next_allowed(self, host: str) -> str:
        return f"{self.prefix}:next:{host}"

    def round_pattern(self, round_id: str) -> list[str]:
        """Patterns of the keys one round leaves behind (deleted when it ends)."""
        return [f"{self.prefix}:{kind}:{round_id}:*" for kind in
                ("plan", "options", "lastsha", "seen", "requested", "column", "listpages")] + [self.done(round_id)]


def claim_token() -> str:
    """A token naming one claim (or pop): the client's retry of that command carries the same one."""
    return os.urandom(8).hex()


# Claim a member of a hash used as a set: KEYS[1] the hash, ARGV[1] the member, ARGV[2] the
# claimer's token. 1 when the member was free or is already this token's: a command Redis ran
# just before it stopped may lose its reply, and the client's retry runs it again; the retry
# must answer as the first run did, not "already there".
CLAIM_SCRIPT = """
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if not holder then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
if holder == ARGV[2] then return 1 end
return 0
"""

# ARGV: worker id, visibility timeout, pop token. A pop records its token (KEYS[5]); the retry
# of a pop whose reply was lost returns the entry that pop took (still in flight and this
# worker's) instead of taking a second one and leaving the first in flight until its deadline.
_POP = """
local last = redis.call('HGET', KEYS[5], ARGV[1])
if last then
  local space = string.find(last, ' ', 1, true)
  if space and string.sub(last, 1, space - 1) == ARGV[3] then
    local id = string.sub(last, space + 1)
    if redis.call('HGET', KEYS[3], id) == ARGV[1] then
      return {id, redis.call('HGET', KEYS[4], id)}
    end
  end
end
local ids = redis.call('ZRANGE', KEYS[1], 0, 0)
if #ids == 0 then return false end
local id = ids[1]
redis.call('ZREM', KEYS[1], id)
local t = redis.call('TIME')
redis.call('ZADD', KEYS[2], tonumber(t[1]) + tonumber(t[2]) / 1e6 + tonumber(ARGV[2]), id)
redis.call('HSET', KEYS[3], id, ARGV[1])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[3] .. ' ' .. id)
return {id, redis.call('HGET', KEYS[4], id)}
"""

# Put back (to pending, at their old place) entries whose deadline passed, and those of the
# workers named in ARGV (dead: no heartbeat). Returns how many.
_RECLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local back = {}
-- (a dead worker's record of its last pop goes too)
for _, w in ipairs(ARGV) do redis.call('HDEL', KEYS[6], w) end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do back[id] = true end
if #ARGV > 0 then
  local dead = {}
  for _, w in ipairs(ARGV) do dead[w] = true end
  local owners = redis.call('HGETALL', KEYS[3])
  for i = 1, #owners, 2 do
    if dead[owners[i + 1]] then back[owners[i]] = true end
  end
end
local n = 0
for id, _ in pairs(back) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  if redis.call('HEXISTS', KEYS[5], id) == 1 then
    redis.call('ZADD', KEYS[1], tonumber(redis.call('HGET', KEYS[4], id)), id)
    n = n + 1
  end
end
return n
"""

# Politeness: reserve the next fetch slot of a host. ARGV: delay. Returns seconds to wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next)
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 60000)
return tostring(slot - now)
"""


class ReliableQueue(Base):
    """scrapy-redis queue whose popped requests stay in Redis until acknowledged.

    Requests are decoded against the spider of their plan (``spider_for(plan_key)``), so one
    worker serves every site of every round. A request re-queued while its entry is in flight
    (a retry or a redirect hop) keeps the entry id: it is the same fetch, the same capture.
    """

    def __init__(self, server, spider, key: str = PREFIX, serializer=None, *,
                 worker_id: str | None = None, visibility_timeout: float | None = None,
                 spider_for: Callable[[str], object | None] | None = None) -> None:
        class _Named:  # Base formats the key with the spider's name
            name = "portalwatch"

        super().__init__(server, spider or _Named(), key, serializer)
        self.keys = Keys(self.key)
        self.worker_id = worker_id or getattr(spider, "worker_id", "coordinator")
        self.visibility_timeout = visibility_timeout or getattr(spider, "visibility_timeout", 300.0)
        self.spider_for = spider_for or getattr(spider, "spider_for", None)
        self._pop = server.register_script(_POP)
        self._reclaim = server.register_script(_RECLAIM)

    def _encode_request(self, request: Request) -> bytes:
        owner = getattr(request.callback, "__self__", None) or self.spider
        return self.serializer.dumps(request.to_dict(spider=owner))

    def __len__(self) -> int:
        return int(self.server.zcard(self.keys.pending))

    def push(self, request: Request) -> str:
        encoded = self._encode_request(request)
        entry = request.meta.get(ENTRY_META)
        score = None
        if entry is not None and self.server.hexists(self.keys.entries, entry):
            score = float(self.server.hget(self.keys.scores, entry))  # a hop of a fetch in flight: its place
        else:
            entry = hashlib.sha1(f"{time.time_ns()}:{id(request)}:{self.worker_id}".encode()).hexdigest()[:20]
            sequence = int(self.server.incr(self.keys.sequence))
            score = -request.priority * _PRIORITY_SPAN + sequence
        with self.server.pipeline() as pipe:
            pipe.hset(self.keys.entries, entry, encoded)
            pipe.hset(self.keys.scores, entry, repr(score))
            pipe.zrem(self.keys.inflight, entry)
            pipe.hdel(self.keys.owner, entry)
            pipe.zadd(self.keys.pending, {entry: score})
            pipe.execute()
        return entry

    def pop(self, timeout: float = 0) -> Request | None:
        claimed = self._pop(keys=[self.keys.pending, self.keys.inflight, self.keys.owner, self.keys.entries,
                                  self.keys.popped],
                            args=[self.worker_id, self.visibility_timeout, claim_token()])
        if not claimed:
            return None
        entry, encoded = claimed[0].decode(), claimed[1]
        obj = self.serializer.loads(encoded)
        spider = self.spider_for(obj["meta"][PLAN_META]) if self.spider_for else None
        if spider is None:  # its round is over: nothing to fetch
            self.keys.acknowledge(self.server, entry)
            return None
        request = request_from_dict(obj, spider=spider)
        request.meta[ENTRY_META] = entry
        return request

    def reclaim(self, dead_workers: list[str] = ()) -> int:
        """Hand back entries whose visibility timeout passed or whose worker is dead."""
        return int(self._reclaim(keys=[self.keys.pending, self.keys.inflight, self.keys.owner, self.keys.scores,
                                       self.keys.entries, self.keys.popped], args=list(dead_workers)))

    def clear(self) -> None:
        self.server.delete(self.keys.pending, self.keys.entries, self.keys.scores, self.keys.inflight,
                           self.keys.owner, self.keys.popped)


class RoundDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter, by URL within one round of one site.

    A redirect hop or a retry is the continuation of a fetch already admitted, never a
    duplicate (two notices that both redirect to the home page are two fetches). Each URL is
    claimed with a token of its own (:data:`CLAIM_SCRIPT`): the client's retry of a claim whose
    reply was lost finds its own token and admits the request, as the lost reply would have."""

    def __init__(self, server, key: str, debug: bool = False) -> None:
        super().__init__(server, key, debug)
        self._claim = server.register_script(CLAIM_SCRIPT)

    def request_seen(self, request: Request) -> bool:
        if request.meta.get("redirect_urls") or request.meta.get("retry_times"):
            return False
        plan_key = request.meta.get(PLAN_META)
        if plan_key is None:
            return super().request_seen(request)
        seen = Keys(self.key.split(":", 1)[0]).seen(plan_key)
        return not self._claim(keys=[seen], args=[request.url, claim_token()])

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: the round outlives any one worker (the coordinator clears them)."""


def plan_key(round_id: str, site: str) -> str:
    return f"{round_id}:{site}"


def dumps_plan(plan) -> bytes:
    return pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL)


def loads_plan(data: bytes):
    return pickle.loads(data)


class HostPoliteness:
    """Downloader middleware: ``download_delay`` between any two fetches from one host by all
    workers together. Each request reserves the host's next slot in Redis (one atomic script:
    the next-allowed time moves on by the delay) and waits for it. Scrapy's own per-slot delay
    is off in workers; this is its distributed form (per host, like Scrapy's download slots).
    robots.txt requests carry no site; they take the delay of the host's last site request."""

    def __init__(self, server, keys: Keys) -> None:
        self.server = server
        self.keys = keys
        self._reserve = server.register_script(_RESERVE)
        self._host_delay: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler) -> HostPoliteness:
        from scrapy_redis.connection import get_redis_from_settings

        return cls(get_redis_from_settings(crawler.settings), Keys(crawler.settings.get("SCHEDULER_QUEUE_KEY", PREFIX)))

    async def process_request(self, request: Request) -> None:
        import asyncio
        from urllib.parse import urlsplit

        host = (urlsplit(request.url).hostname or "").lower()
        delay = request.meta.get(DELAY_META)
        if delay is None:
            delay = self._host_delay.get(host, 0.0)
        else:
            self._host_delay[host] = delay
        if delay > 0:
            wait = float(self._reserve(keys=[self.keys.next_allowed(host)], args=[delay]))
            if wait > 0:
                await asyncio.sleep(wait)
