"""The long-running watcher: re-crawls each site on its schedule (APScheduler 3).

Each site is one job: an interval (with jitter) or a cron expression from sites.toml.
``max_instances=1`` means two runs of one site never overlap; ``coalesce`` folds runs missed
while the machine slept into one. A round itself runs in a child process (see
:mod:`monitor.crawl`), so the watcher survives any number of rounds. SIGINT/SIGTERM ask the
running rounds to finish the items in hand and publish them, then the watcher exits 130/143;
a second signal kills the rounds and exits at once.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Config, SiteConfig
from monitor.crawl import RoundReport, RoundRunner
from monitor.publish import publish_round
from monitor.stopping import STOP_SIGNALS, exit_code

log = logging.getLogger(__name__)
# Site rounds run at once by default: each is a process with an extraction worker, and two
# keep both cores of a small machine busy while memory stays well under 400 MB.
PARALLEL_ROUNDS = 2


def trigger_for(site: SiteConfig):
    schedule = site.schedule
    jitter = int(schedule.jitter_seconds) or None
    if schedule.cron:
        # APScheduler 3's from_crontab() takes no jitter: build the trigger from the five fields.
        minute, hour, day, month, day_of_week = schedule.cron.split()
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week,
                           jitter=jitter, timezone=UTC)
    return IntervalTrigger(seconds=schedule.every_seconds or 3600, jitter=jitter)


class Watcher:
    def __init__(self, config: Config, sites: list[SiteConfig], *, max_rounds: int | None = None,
                 workers: int | None = None, recheck: str = "due",
                 on_round: Callable[[RoundReport], None] | None = None,
                 parallel: int = PARALLEL_ROUNDS) -> None:
        self.config = config
        self.sites = sites
        self.max_rounds = max_rounds
        self.workers = workers
        self.recheck = recheck
        self.on_round = on_round
        self.rounds_done = 0
        self.signum: int | None = None  # the signal that stopped the watcher, if one did
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._runners: set[RoundRunner] = set()
        # Each running round is a process with its own extraction worker (~100 MB): at most
        # ``parallel`` of them at once, so memory stays bounded however many sites are watched
        # (rounds due meanwhile wait their turn; more than the cores would only share them).
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=parallel)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 3600},
            timezone=UTC,
        )

    def run_site(self, site_name: str) -> None:
        if self.stopping.is_set():
            return
        runner = self.new_runner()
        with self._lock:
            self._runners.add(runner)
        try:
            report = runner.run(self.config, [site_name], workers=self.workers, recheck=self.recheck)
        except Exception:
            log.exception("round of %s could not run; the next one is on schedule", site_name)
            return
        finally:
            with self._lock:
                self._runners.discard(runner)
        if report.error:
            log.error("round of %s failed: %s", site_name, report.error)
        publish_round(self.config, report)
        if self.on_round:
            self.on_round(report)
        with self._lock:
            self.rounds_done += 1
            if self.max_rounds and self.rounds_done >= self.max_rounds:
                self.stopping.set()

    def new_runner(self) -> RoundRunner:
        """What runs one round (``watch --redis`` runs it through a coordinator instead)."""
        return RoundRunner()

    def stop(self, *_: object) -> None:
        """Ask running rounds to finish the notice in hand, then stop scheduling."""
        self.stopping.set()
        with self._lock:
            for runner in self._runners:
                runner.interrupt()

    def _on_signal(self, signum: int, _frame: object) -> None:
        """First SIGINT/SIGTERM: :meth:`stop` (rounds finish and publish what they hold).
        Second: kill the rounds and exit at once (SQLite keeps the archive consistent)."""
        if self.signum is None:
            self.signum = signum
            self.stop()
            return
        with self._lock:
            for runner in self._runners:
                runner.kill()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code(self.signum))

    def run(self) -> int:
        now = datetime.now(UTC)
        for site in self.sites:
            self.scheduler.add_job(self.run_site, trigger_for(site), args=[site.name], id=site.name,
                                   name=f"crawl {site.name}", next_run_time=now)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        self.scheduler.start()
        try:
            while not self.stopping.wait(0.2):
                pass
        finally:
            self.stop()
            self.scheduler.shutdown(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.rounds_done
