"""Extraction off the crawl's event loop, on the machine's other cores.

Extraction (lxml + trafilatura) is CPU-bound and takes far longer per page than fetching
or storing, so a crawl that extracted inline would be limited to one core. A small process
pool keeps the Scrapy engine responsive and uses every core; with ``workers=0`` extraction
runs inline (tests of tiny sites, machines with one core).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor

from monitor.article import Article
from monitor.extraction import extract_article
from monitor.stopping import die_with_parent


def default_workers() -> int:
    """One core stays with the crawl (Scrapy, decoding, SQLite); the others extract."""
    cores = os.cpu_count() or 1
    return 0 if cores == 1 else min(8, cores - 1)


def _worker_start() -> None:
    """Workers leave stopping to the round (which finishes the pages in hand) and die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent(signal.SIGKILL)


def _extract(body: bytes, url: str, content_type: str | None, selector: str | None) -> Article:
    return extract_article(body, url, content_type=content_type, content_selector=selector)


class ExtractionPool:
    """Runs :func:`extract_article` in worker processes (or inline)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(method),
                                                 initializer=_worker_start)
        return self._executor

    def start(self) -> None:
        """Start the workers now, before the caller opens any SQLite connection: forked
        workers must not inherit one (SQLite's locks do not survive fork)."""
        if self.workers > 0:
            self._pool().submit(os.getpid).result()

    async def extract(self, body: bytes, url: str, content_type: str | None,
                      selector: str | None) -> Article:
        if self.workers == 0:
            return _extract(body, url, content_type, selector)
        future = self._pool().submit(_extract, body, url, content_type, selector)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
