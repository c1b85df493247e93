"""Tell people about stored changes: the outbox behind alerts, the change log and the feed.

Every change (and mass change) the archive holds is announced to every target: each alert
target (by its redacted label), ``changelog`` and ``feed``. Its state per target lives in the
archive (``announcements``), so nothing depends on the round that stored it having finished:
a ``check`` killed after storing 18 edits leaves 18 changes no target has been told about,
and the next round, or ``portalwatch publish``, tells them.

How a run goes (:func:`publish`):

1. every target is registered; a target seen for the first time starts with the changes
   stored from then on (a new webhook is not sent the archive's history);
2. announcements left "sending" by a process that died are put back to pending;
3. a pending announcement is added per target for each change stored since, except those of
   sites whose round is still running (a mass change must be told as one message);
4. the announcements due are *claimed* in one write transaction (``claimed_by`` = process,
   thread, token): two threads of a ``watch`` or two processes never claim the same one;
5. claimed ones are sent and marked sent, failed (tried again next run, then with backoff)
   or skipped (baseline notices, members of a mass change: nothing to tell that target).

Exactly once, as far as a target can tell: an alert is marked sent right after the target
accepted it; only a crash in between (a few milliseconds) sends it again on the next run.
The change log notes its size before appending and finds its own lines after such a crash.

A site's first crawl is its baseline: stored, logged, never alerted. A mass change (see
:mod:`monitor.rounds`) is one alert and one change-log line for the site, not one per notice.
Delivery failures never raise here: the changes are safe in the archive.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.alerts import DeliveryReport, RetryPolicy, _alerts_configured, alert_labels, send_claimed
from monitor.changelog import changelog_path_for, write_claimed
from monitor.config import Config
from monitor.crawl import RoundReport
from monitor.feed import feed_path_for, write_feed
from storage.archive import Archive
from storage.holders import Holder

log = logging.getLogger(__name__)

DEFAULT_POLICY = RetryPolicy()
CHANGELOG_TARGET = "changelog"
FEED_TARGET = "feed"


@dataclass
class PublishReport:
    """What one :func:`publish` did."""

    logged: int = 0  # change-log lines written
    feed_entries: int = 0  # announcements the feed now carries
    recovered: int = 0  # announcements a dead process left half-done
    alerts: DeliveryReport = field(default_factory=DeliveryReport)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.alerts.failed

    def summary(self) -> str:
        parts = [f"{self.alerts.delivered} alert(s) sent", f"{self.alerts.failed} failed",
                 f"{self.logged} change-log line(s)", f"feed {'updated' if self.feed_entries else 'unchanged'}"]
        if self.recovered:
            parts.append(f"{self.recovered} recovered from an interrupted run")
        return ", ".join(parts)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def targets(config: Config) -> list[str]:
    """Every place a change is told: the alert targets' labels, then the log and the feed."""
    return [*alert_labels(config), CHANGELOG_TARGET, FEED_TARGET]


def register_targets(config: Config) -> None:
    """Make the configured targets known to the archive before a round stores changes, so a
    round killed midway has its changes announced by the next run."""
    with Archive(config.archive) as archive:
        archive.register_targets(targets(config), at=_now())


def publish(config: Config, *, due_only: bool = True, policy: RetryPolicy = DEFAULT_POLICY, environ=None,
            finished_sites: list[str] | tuple[str, ...] = ()) -> PublishReport:
    """Announce every change still unannounced to each target (see the module docstring).
    ``due_only=False`` retries failed alerts now, whatever their backoff says;
    ``finished_sites``: sites whose round this process just finished, still locked by it."""
    report = PublishReport()
    holder = Holder.current()
    with Archive(config.archive) as archive:
        names = targets(config)
        archive.register_targets(names, at=_now())
        recovered = archive.recover_claims()
        report.recovered = len(recovered)
        archive.enqueue_announcements(names, finished_sites=finished_sites)
        try:
            claimed = archive.claim_announcements(holder, [CHANGELOG_TARGET], now=_now(), due_only=False)
            try:
                report.logged = write_claimed(archive, changelog_path_for(config), holder, claimed,
                                              [a for a in recovered if a.target == CHANGELOG_TARGET])
            except OSError as exc:
                report.errors.append(f"could not write the change log: {exc}")
                log.error("could not write the change log %s: %s", changelog_path_for(config), exc)
            claimed = archive.claim_announcements(holder, [FEED_TARGET], now=_now(), due_only=False)
            try:
                write_feed(archive, feed_path_for(config))
                for announcement in claimed:
                    archive.mark_announcement(announcement.id, holder, "sent", at=_now())
                report.feed_entries = len(claimed)
            except OSError as exc:
                report.errors.append(f"could not write the feed: {exc}")
                log.error("could not write the feed %s: %s", feed_path_for(config), exc)
            if _alerts_configured(config):
                claimed = archive.claim_announcements(holder, alert_labels(config), now=_now(), due_only=due_only)
                send_claimed(archive, config, holder, claimed, report=report.alerts, policy=policy, environ=environ)
        except Exception as exc:  # an alerting bug must not stop the watch
            log.exception("publishing failed")
            report.errors.append(f"publishing failed: {exc}")
        finally:
            archive.release_claims(holder)
    return report


def publish_round(config: Config, report: RoundReport | None = None) -> PublishReport:
    """After a round (finished, interrupted or failed): announce whatever is unannounced."""
    try:
        return publish(config, finished_sites=report.sites if report is not None else ())
    except Exception as exc:  # a bad archive after the round: the watch goes on
        log.exception("publishing failed")
        return PublishReport(errors=[str(exc)])
