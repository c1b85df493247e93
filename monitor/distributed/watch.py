"""``watch --redis``: the watcher's schedule (APScheduler, one job per site, as ``watch``) with
each round run by a coordinator (:class:`~monitor.distributed.coordinator.Coordinator`)
instead of a child process.

One Redis database carries one round at a time (the queue, the results and the round's keys
are shared), so rounds of sites due together run one after the other in the watcher; each
still holds its site's lock in the archive (:class:`~monitor.site_lock.LockingWatcher`). A
round a stopped coordinator left in Redis is resumed by the next scheduled round: the same
site's round resumes it, another site's round resumes and publishes it first.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from monitor.config import Config
from monitor.crawl import Progress, RoundReport
from monitor.distributed.coordinator import Coordinator, RoundPending
from monitor.site_lock import LockingWatcher

log = logging.getLogger(__name__)


class CoordinatorRunner:
    """Runs one round through a coordinator, with :class:`~monitor.crawl.RoundRunner`'s interface."""

    def __init__(self, redis_url: str, one_at_a_time: threading.Lock,
                 on_resumed: Callable[[RoundReport], None]) -> None:
        self.redis_url = redis_url
        self.one_at_a_time = one_at_a_time
        self.on_resumed = on_resumed
        self.coordinator: Coordinator | None = None
        self.interrupted = False

    def run(self, config: Config, names: list[str], *, workers: int | None = None, recheck: str = "due",
            on_progress: Callable[[Progress], None] | None = None) -> RoundReport:
        with self.one_at_a_time:
            if self.interrupted:
                return RoundReport(sites=names, interrupted=True)
            self.coordinator = Coordinator(config, self.redis_url)
            try:
                return self.coordinator.run(names, recheck=recheck, on_progress=on_progress)
            except RoundPending as exc:
                log.warning("resuming round %s of %s before the round of %s", exc.pending.id,
                            ", ".join(exc.pending.sites), ", ".join(names))
                self.on_resumed(self.coordinator.run(list(exc.pending.sites), on_progress=on_progress))
                if self.interrupted:
                    return RoundReport(sites=names, interrupted=True)
                return self.coordinator.run(names, recheck=recheck, on_progress=on_progress)

    def interrupt(self) -> None:
        self.interrupted = True
        if self.coordinator is not None:
            self.coordinator.interrupt()

    def kill(self) -> None:
        """The watcher exits at once after this: what was stored stays, the round stays in Redis."""
        self.interrupt()


class DistributedWatcher(LockingWatcher):
    """The watcher whose rounds are coordinated through Redis (see the module docstring)."""

    def __init__(self, *args, redis_url: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.redis_url = redis_url
        self._one_round = threading.Lock()

    def new_runner(self) -> CoordinatorRunner:  # type: ignore[override]
        return CoordinatorRunner(self.redis_url, self._one_round, self._resumed)

    def _resumed(self, report: RoundReport) -> None:
        from monitor.publish import publish_round

        if report.error:
            log.error("resumed round of %s failed: %s", ", ".join(report.sites), report.error)
        publish_round(self.config, report)
        if self.on_round:
            self.on_round(report)
