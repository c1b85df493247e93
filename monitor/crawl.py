"""One crawl round: every selected site crawled once into the archive.

Each round runs in a child process. Scrapy runs on a Twisted reactor, which can never be
restarted inside a process; a child per round lets ``portalwatch watch`` run any number of
rounds (and lets tests and the CLI call a round repeatedly) with memory returned to the
system after each one. The parent only plans, waits, shows progress and reports. The child
finishes the items in hand and closes the archive cleanly on SIGTERM.
"""
from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import secrets
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from monitor.config import Config, SiteConfig
from monitor.stopping import die_with_parent
from monitor.vocabulary import ATTACHMENT_EXTENSIONS
from spiders.plan import CrawlPlan, KnownNotice
from storage.archive import Archive
from storage.records import PageState

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# A round whose command died (kill -9) finishes the items in hand for at most this long.
ORPHAN_GRACE_SECONDS = 5.0


@dataclass
class RoundReport:
    """What a round did, summed over its sites."""

    sites: list[str]
    fetched: int = 0
    listings: int = 0
    unchanged: int = 0
    extracted: int = 0
    failed: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    change_ids: list[int] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)  # mass changes: edits told as one event per site
    seconds: float = 0.0
    interrupted: bool = False
    error: str | None = None


@dataclass
class Progress:
    fetched: int
    listings: int
    extracted: int
    unchanged: int
    failed: int
    elapsed: float


def _due(state: PageState, policy, round_number: int, now: datetime) -> bool:
    """Is this known notice re-fetched this round? Recent notices always; older every N rounds."""
    if state.status in ("removed", "unreachable", "pending") or state.current_version_id is None:
        return True
    reference = state.published or state.first_seen
    try:
        when = datetime.fromisoformat(reference[:10])
    except (TypeError, ValueError):
        return True
    age_days = (now.replace(tzinfo=None) - when).days
    if age_days <= policy.recent_days:
        return True
    return (round_number + state.id) % policy.older_every == 0


RECHECK_CHOICES = ("due", "all", "none")


def is_full_walk(site: SiteConfig, rounds_done: int) -> bool:
    """Does this round read every list page of every column? The first round of a site does
    (an archive should hold whole columns), then every ``full_walk_every``-th, so notices
    taken off any page of a listing are seen; the rounds between stop at the first list page
    that holds no notice the archive does not know."""
    return rounds_done % site.full_walk_every == 0


# The probe's name: nothing a CMS would publish, and recognisable in a server's logs.
PROBE_PREFIX = "pw-probe-"
PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".jhtml")


def probe_url_for(site: SiteConfig, notice_urls: list[str]) -> str:
    """A URL on the site that cannot exist: a random name in one of its columns' directories,
    with the extension its notices use (most common among ``notice_urls``; before any is
    known, the column page's own, such as .htm for ``home.htm``; else .html)."""
    column = secrets.choice(site.start_urls)
    directory = column.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    suffixes = Counter(PurePosixPath(urlsplit(url).path).suffix for url in notice_urls)
    suffixes.pop("", None)
    column_suffix = PurePosixPath(urlsplit(column).path).suffix
    fallback = column_suffix if column_suffix in PAGE_SUFFIXES else ".html"
    extension = suffixes.most_common(1)[0][0] if suffixes else fallback
    return f"{directory}{PROBE_PREFIX}{secrets.token_hex(8)}{extension}"


def plan_for(site: SiteConfig, archive: Archive, *, fast: bool = False, recheck_mode: str = "due") -> CrawlPlan:
    """The spider's plan for one round of ``site``: its listings plus the known notices due
    (``recheck_mode``: ``due`` by the site's recheck policy, ``all`` known notices, ``none``)."""
    now = datetime.now(UTC)
    round_number = archive.rounds_done(site.name)
    recheck, skip = [], set()
    for state in archive.page_states(site.name):
        if recheck_mode == "all" or (recheck_mode == "due" and _due(state, site.recheck, round_number, now)):
            recheck.append(KnownNotice(state.url, state.etag, state.last_modified))
        else:
            skip.add(state.url)
    known_urls = [notice.url for notice in recheck] + sorted(skip)
    return CrawlPlan(
        site=site.name, start_urls=site.start_urls, allowed_domains=site.allowed_domains,
        attachment_extensions=ATTACHMENT_EXTENSIONS, article_pattern=site.article_pattern,
        list_pattern=site.list_pattern, mirrors=tuple((m.prefix, m.of) for m in site.mirrors),
        list_pages_per_column=site.list_pages_per_column, full_walk=is_full_walk(site, round_number),
        probe_url=probe_url_for(site, known_urls) if site.not_found_probe else None,
        max_articles=site.max_articles, recheck=tuple(recheck),
        skip=frozenset(skip), download_delay=0 if fast else site.download_delay,
        concurrency_per_domain=site.concurrency_per_domain, obey_robots=site.obey_robots,
        allow_private=site.allow_private, user_agent=site.user_agent, timeout=site.timeout, retries=site.retries,
    )


# The item pipeline that stores a crawl's captures in the archive.
ARCHIVE_PIPELINE = {"monitor.pipeline.ArchivePipeline": 300}


def scrapy_settings(plan: CrawlPlan, recorder: str, fast: bool) -> dict:
    from spiders import settings as defaults

    values = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    values.update(
        DOWNLOAD_DELAY=plan.download_delay,
        CONCURRENT_REQUESTS_PER_DOMAIN=max(plan.concurrency_per_domain, 32 if fast else 0),
        CONCURRENT_REQUESTS=64 if fast else 16,
        ROBOTSTXT_OBEY=plan.obey_robots,
        USER_AGENT=plan.user_agent,
        DOWNLOAD_TIMEOUT=plan.timeout,
        RETRY_TIMES=plan.retries,
        PORTALWATCH_RECORDER=recorder,
        ITEM_PIPELINES=ARCHIVE_PIPELINE,
    )
    return values


def _child_main(config: Config, names: list[str], workers: int | None, fast: bool, recheck_mode: str,
                messages) -> None:
    """Entry point of the round's child process."""
    import asyncio

    from scrapy.utils.reactor import install_reactor

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it sends SIGTERM
    # The parent is the fork server, which exits with the command: then this round stops as if
    # asked (SIGTERM), and is cut short after ORPHAN_GRACE_SECONDS (see stop below).
    parent = os.getppid()
    die_with_parent(signal.SIGTERM)
    # A failed fetch or listing is worth one line on stderr (the spider and the recorder say
    # which URL and why); Scrapy's and Twisted's own tracebacks for the same failure are not.
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    for noisy in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    install_reactor(REACTOR)
    from scrapy.crawler import AsyncCrawlerRunner, Crawler
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    from monitor.extraction_pool import ExtractionPool
    from monitor.recorder import Recorder, RoundTally
    from monitor.rounds import finish_round
    from spiders.portal import PortalSpider

    started = time.monotonic()
    pool = ExtractionPool(workers)
    pool.start()
    archive = Archive(config.archive)
    tally = RoundTally()
    recorder = Recorder(archive, config, pool, tally)
    from monitor.pipeline import RECORDERS

    RECORDERS["round"] = recorder
    runner = AsyncCrawlerRunner()
    state = {"interrupted": False}

    def stop(*_: object) -> None:
        if os.getppid() != parent:  # orphaned: nobody waits for this round's report
            reactor.callFromThread(reactor.callLater, ORPHAN_GRACE_SECONDS, os._exit, 1)
        if state["interrupted"]:
            return
        state["interrupted"] = True
        reactor.callFromThread(lambda: asyncio.ensure_future(runner.stop()))

    signal.signal(signal.SIGTERM, stop)

    async def report_progress() -> None:
        while True:
            await asyncio.sleep(0.5)
            messages.put(("progress", Progress(tally.fetched, tally.listings, tally.extracted, tally.unchanged,
                                               tally.failed, time.monotonic() - started)))

    async def main() -> None:
        ticker = asyncio.ensure_future(report_progress())
        try:
            sites = [config.site(name) for name in names]
            crawls = []
            for site in sites:
                plan = plan_for(site, archive, fast=fast, recheck_mode=recheck_mode)
                crawler = Crawler(PortalSpider, scrapy_settings(plan, "round", fast))
                crawls.append(runner.crawl(crawler, plan=plan))
            await asyncio.gather(*crawls)
            if not state["interrupted"]:
                for site in sites:
                    finish_round(archive, site, tally)
        finally:
            ticker.cancel()

    outcome: dict[str, object] = {}

    def done(result: object) -> None:
        if hasattr(result, "getTraceback"):
            outcome["error"] = result.getTraceback()  # type: ignore[union-attr]
        reactor.stop()

    def begin() -> None:
        Deferred.fromFuture(asyncio.ensure_future(main())).addBoth(done)

    reactor.callWhenRunning(begin)
    reactor.run(installSignalHandlers=False)
    pool.close()
    archive.close()
    messages.put(("done", RoundReport(
        sites=names, fetched=tally.fetched, listings=tally.listings, unchanged=tally.unchanged,
        extracted=tally.extracted, failed=tally.failed, changes=dict(tally.changes),
        change_ids=list(tally.change_ids), batch_ids=list(tally.batch_ids), seconds=time.monotonic() - started,
        interrupted=state["interrupted"], error=outcome.get("error"),
    )))


# Imported once by the fork server, so that each round's child starts in milliseconds: our
# modules, and the Scrapy components a crawler loads when its engine is built (otherwise
# imported again by every round, about 0.25 s a site). Missing names are skipped by the fork
# server, so a Scrapy release that moves one costs only speed. Never twisted.internet.reactor:
# importing it installs the default reactor.
PRELOAD = [
    "scrapy.crawler", "trafilatura", "monitor.extraction", "monitor.recorder", "spiders.portal",
    "scrapy.core.engine", "scrapy.core.scraper", "scrapy.core.scheduler", "scrapy.core.downloader",
    "scrapy.core.downloader.handlers.http11", "spiders.scope", "scrapy.core.downloader.contextfactory",
    "scrapy.core.downloader.tls",
    "scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.downloadtimeout",
    "scrapy.downloadermiddlewares.defaultheaders", "scrapy.downloadermiddlewares.useragent",
    "scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.redirect",
    "scrapy.downloadermiddlewares.httpcompression", "scrapy.downloadermiddlewares.httpproxy",
    "scrapy.spidermiddlewares.start", "scrapy.spidermiddlewares.httperror", "scrapy.spidermiddlewares.referer",
    "scrapy.spidermiddlewares.metacopy", "scrapy.extensions.corestats", "scrapy.extensions.logcount",
    "scrapy.extensions.telnet", "scrapy.extensions.closespider", "scrapy.extensions.throttle",
    "scrapy.robotstxt", "scrapy.resolver", "scrapy.logformatter", "scrapy.statscollectors",
    "protego", "tldextract", "twisted.web.client", "twisted.internet.endpoints", "monitor.pipeline",
    "monitor.rounds", "monitor.extraction_pool",
]


def round_context():
    """Children are started by a fork server, never forked from this process: the watcher's
    threads may hold an open SQLite connection at any moment, and SQLite's locks do not
    survive fork (a child would believe it held locks it does not, and corrupt the archive)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


class RoundRunner:
    """Runs rounds in child processes; :meth:`interrupt` asks the current one to finish."""

    def __init__(self) -> None:
        self.child: multiprocessing.Process | None = None
        self.interrupted = False
        self.killed = False
        self.last_progress: Progress | None = None

    def run(self, config: Config, sites: list[str], *, workers: int | None = None, fast: bool = False,
            recheck: str = "due", on_progress: Callable[[Progress], None] | None = None) -> RoundReport:
        # Make sure the archive exists and is migrated before the child opens it.
        Archive(config.archive).close()
        context = round_context()
        messages = context.Queue()
        self.child = context.Process(target=_child_main, args=(config, sites, workers, fast, recheck, messages),
                                     name="portalwatch-round")
        self.child.start()
        report: RoundReport | None = None
        try:
            while report is None:
                try:
                    kind, payload = messages.get(timeout=0.5)
                except queue_module.Empty:
                    if not self.child.is_alive():
                        break
                    continue
                if kind == "progress":
                    self.last_progress = payload
                    if on_progress:
                        on_progress(payload)
                elif kind == "done":
                    report = payload
        finally:
            self.child.join()
        if report is None and self.killed:
            # Stopped at once: what the last progress message counted is all that is known.
            p = self.last_progress or Progress(0, 0, 0, 0, 0, 0.0)
            report = RoundReport(sites=sites, fetched=p.fetched, listings=p.listings, extracted=p.extracted,
                                 unchanged=p.unchanged, failed=p.failed, seconds=p.elapsed, interrupted=True)
        elif report is None:
            report = RoundReport(sites=sites, error=f"crawl process died (exit code {self.child.exitcode})")
        report.interrupted = report.interrupted or self.interrupted
        return report

    def interrupt(self) -> None:
        """Stop scheduling requests; the round finishes the items in hand and reports."""
        self.interrupted = True
        if self.child is not None and self.child.is_alive():
            os.kill(self.child.pid, signal.SIGTERM)

    def kill(self) -> None:
        """Stop the round at once (its extraction workers die with it; see die_with_parent)."""
        self.interrupted = self.killed = True
        if self.child is not None and self.child.is_alive():
            os.kill(self.child.pid, signal.SIGKILL)


def run_round(config: Config, sites: list[str], **kwargs) -> RoundReport:
    return RoundRunner().run(config, sites, **kwargs)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def since_days(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run rounds through `portalwatch crawl`")
