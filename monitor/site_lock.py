"""One writer per site: a round of a site runs only while its lock in the archive is held.

Two ``check``s from cron and a hand, or a ``watch`` and a ``crawl``, on one archive would
otherwise fetch the same notice twice and store the same edit twice. Before a round, the
process takes a lock per site (``site_locks`` in the archive, all sites of the round or none,
in one write transaction); a second command finds the lock held and waits for it or refuses,
naming the holder's PID. A lock whose holder is gone (``kill -9``, a crash; its PID is not
running, or is now another process) is taken over, with a warning. Locks are released when
the round's child process has finished, before publishing.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from monitor.watch import Watcher
from storage.archive import Archive
from storage.holders import Holder
from storage.records import SiteLock

log = logging.getLogger(__name__)

WAIT_POLL_SECONDS = 0.5


class SitesBusy(Exception):
    """A site's round is running in another process: the message names it and its PID."""

    def __init__(self, archive: Path, locks: list[SiteLock]) -> None:
        self.locks = locks
        names = ", ".join(lock.site for lock in locks)
        first = locks[0]
        pids = ", ".join(sorted({str(lock.pid) for lock in locks}))
        super().__init__(
            f"{archive}: site {names} is being crawled by PID {pids} ({first.command or 'portalwatch'},"
            f" since {first.acquired_at[:19]}); not starting a second round of it (wait for it, or use --wait)")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def command_name() -> str:
    """``portalwatch check`` and the like: what a busy message says holds the lock."""
    args = [a for a in sys.argv[1:] if not a.startswith("-")][:1]
    return " ".join(["portalwatch", *args])


@contextmanager
def hold_sites(archive_path: Path, sites: list[str], *, wait: float = 0.0,
               command: str | None = None) -> Iterator[Holder]:
    """Hold the locks of ``sites`` for the body of the ``with``; wait up to ``wait`` seconds
    for rounds already running, then raise :class:`SitesBusy`."""
    holder = Holder.current()
    deadline = time.monotonic() + wait
    with Archive(archive_path) as archive:
        while True:
            busy, taken = archive.acquire_site_locks(sites, holder, command=command or command_name(), at=_now())
            if not busy:
                break
            if time.monotonic() >= deadline:
                raise SitesBusy(archive_path, busy)
            time.sleep(WAIT_POLL_SECONDS)
    for lock in taken:
        log.warning("site %s: took over the lock of PID %s (%s), which is no longer running", lock.site, lock.pid,
                    lock.command or "portalwatch")
    try:
        yield holder
    finally:
        with Archive(archive_path) as archive:
            archive.release_site_locks(sites, holder)


class LockingWatcher(Watcher):
    """The watcher with one writer per site: each scheduled round of a site holds the site's
    lock; when another process is running that site, this run is skipped (the next one is on
    schedule) with a warning naming the other process."""

    def run_site(self, site_name: str) -> None:
        try:
            with hold_sites(self.config.archive, [site_name], command="portalwatch watch"):
                super().run_site(site_name)
        except SitesBusy as exc:
            log.warning("%s; this round of %s is skipped, the next one is on schedule", exc, site_name)
