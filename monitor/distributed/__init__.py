"""Crawling on several machines: fetch-and-extract workers and one archive writer.

``portalwatch worker --redis URL`` runs a Scrapy process whose scheduler and duplicate
filter are scrapy-redis's (:mod:`monitor.distributed.worker`); ``portalwatch check --redis
URL`` plans each site round from the archive exactly as a single-machine round does, feeds
it to Redis, and stores the workers' results through the same
:class:`~monitor.recorder.Recorder` (:mod:`monitor.distributed.coordinator`). The queue, the
duplicate filter and politeness across workers are in :mod:`spiders.redis_queue`.

Redis must be reachable only by these processes: requests and results travel pickled, as
they do in scrapy-redis itself. See docs/scale.md.
"""
from __future__ import annotations

# A worker without a heartbeat for this long is dead: its requests go to other workers.
DEFAULT_HEARTBEAT_TTL = 10.0
# A request a (live) worker took and has not finished by then is handed to another worker.
DEFAULT_VISIBILITY_TIMEOUT = 600.0


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
