"""Crawling on several machines: fetch-and-extract workers and one archive writer.

``portalwatch worker --redis URL`` runs a Scrapy process whose scheduler and duplicate
filter are scrapy-redis's (:mod:`monitor.distributed.worker`); ``portalwatch check --redis
URL`` plans each site round from the archive exactly as a single-machine round does, feeds
it to Redis, and stores the workers' results through the same
:class:`~monitor.recorder.Recorder` (:mod:`monitor.distributed.coordinator`), resuming a round
a stopped coordinator left; ``watch --redis`` schedules such rounds
(:mod:`monitor.distributed.watch`). The queue and the duplicate filter are in
:mod:`spiders.redis_queue`; a host's delay and concurrency across workers in
:mod:`monitor.distributed.host_slots`.

Redis must be reachable only by these processes: requests and results travel pickled, as
they do in scrapy-redis itself. See docs/scale.md.
"""
from __future__ import annotations

# A worker without a heartbeat for this long is dead: its requests go to other workers.
DEFAULT_HEARTBEAT_TTL = 10.0
# A request a (live) worker took and has not finished by then is handed to another worker.
DEFAULT_VISIBILITY_TIMEOUT = 600.0
# How long a process waits for Redis to come back (a restart, a failover) before giving up.
DEFAULT_REDIS_GRACE = 60.0


def redis_params(grace: float = DEFAULT_REDIS_GRACE) -> dict:
    """Client options under which every command waits for Redis to come back for about
    ``grace`` seconds (reconnecting with backoff up to 1 s) instead of failing at once: a
    Redis restart with persistence on is a pause, not an error."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError
    from redis.retry import Retry

    return {"retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=max(1, int(grace) + 5)),
            "retry_on_error": [ConnectionError, TimeoutError], "socket_connect_timeout": 5, "socket_timeout": 30}


def connect(url: str, grace: float = DEFAULT_REDIS_GRACE):
    """A Redis client for ``url`` that rides out restarts (see :func:`redis_params`)."""
    import redis

    return redis.Redis.from_url(url, **redis_params(grace))


def require_redis():
    """The redis module, or a one-line error naming the extra to install."""
    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError:
        import click

        raise click.ClickException("distributed mode needs Redis support: pip install 'portalwatch[distributed]'")\
            from None
    return redis
