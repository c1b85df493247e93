"""Per-host politeness held across all workers together: ``concurrency_per_domain`` and
``download_delay``, as Scrapy's download slots hold them inside one process.

:class:`HostGate` is a downloader middleware placed last before the download (after the
robots.txt middleware, so that a robots.txt request it issues is gated on its own and never
waits for the slot of the request that asked for it). For each request it

1. takes one of the host's ``concurrency_per_domain`` slots: a Redis sorted set per host
   (``slots:<host>``) whose members are the fetches holding a slot, scored by a lease deadline
   on Redis's clock; one Lua script drops expired leases and adds the fetch when fewer than
   the limit remain, else the request polls (every 50–200 ms). The slot is given back when
   the response or the error comes back; a worker killed mid-fetch leaks its slots only
   until their lease (the request's download timeout + 30 s) runs out;
2. then reserves the host's next fetch time (``download_delay`` after the previous one,
   :class:`spiders.redis_queue.HostPoliteness`'s script) and waits for it. Taking the slot
   first keeps starts spaced by the delay even when requests queue up behind a slot.

Limits come from the plan of the request's round; a robots.txt request (which carries no
plan) takes those of the plans whose start URLs are on its host.
"""
from __future__ import annotations

import asyncio
import itertools
import os
from urllib.parse import urlsplit

from scrapy import Request

from spiders.redis_queue import DELAY_META, PLAN_META, PREFIX, HostPoliteness, Keys

SLOT_META = "pw_slot"
LEASE_MARGIN_SECONDS = 30.0

# KEYS[1]: the host's slot set. ARGV: limit, token, lease seconds. 1 when the slot is taken,
# or already held by this token (the client's retry of a call whose reply was lost).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 1 end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 60)
  return 1
end
return 0
"""


def slots_key(keys: Keys, host: str) -> str:
    return f"{keys.prefix}:slots:{host}"


class HostGate(HostPoliteness):
    """See the module docstring."""

    def __init__(self, server, keys: Keys, crawler=None) -> None:
        super().__init__(server, keys)
        self.crawler = crawler
        self._acquire = server.register_script(_ACQUIRE)
        self._tokens = itertools.count()
        self._prefix = f"{os.getpid()}:{os.urandom(3).hex()}"

    @classmethod
    def from_crawler(cls, crawler) -> HostGate:
        from scrapy_redis.connection import get_redis_from_settings

        return cls(get_redis_from_settings(crawler.settings),
                   Keys(crawler.settings.get("SCHEDULER_QUEUE_KEY", PREFIX)), crawler)

    def limits(self, request: Request, host: str) -> tuple[float, int]:
        """(download_delay, concurrency_per_domain) for ``request``: its plan's, or for a
        request without one (robots.txt), the strictest of the plans on its host."""
        spider = getattr(self.crawler, "spider", None)
        plans = getattr(spider, "_plans", {})
        plan_key = request.meta.get(PLAN_META)
        if plan_key is not None and plans.get(plan_key) is not None:
            plan = plans[plan_key].plan
            return float(request.meta.get(DELAY_META, plan.download_delay)), max(1, plan.concurrency_per_domain)
        same_host = [s.plan for s in plans.values() if s is not None and any(
            (urlsplit(u).hostname or "").lower() == host for u in s.plan.start_urls)]
        if not same_host:
            return float(request.meta.get(DELAY_META, 0.0)), 0  # 0: no limit known
        return (max(p.download_delay for p in same_host),
                max(1, min(p.concurrency_per_domain for p in same_host)))

    async def process_request(self, request: Request) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        delay, concurrency = self.limits(request, host)
        if concurrency > 0 and SLOT_META not in request.meta:
            token = f"{self._prefix}:{next(self._tokens)}"
            lease = float(request.meta.get("download_timeout") or 180) + delay + LEASE_MARGIN_SECONDS
            wait = 0.05
            while not self._acquire(keys=[slots_key(self.keys, host)], args=[concurrency, token, lease]):
                await asyncio.sleep(wait)
                wait = min(0.2, wait * 1.5)
            request.meta[SLOT_META] = (host, token)
        if delay > 0:
            wait = float(self._reserve(keys=[self.keys.next_allowed(host)], args=[delay]))
            if wait > 0:
                await asyncio.sleep(wait)

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot is not None:
            self.server.zrem(slots_key(self.keys, slot[0]), slot[1])

    def process_response(self, request: Request, response):
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
