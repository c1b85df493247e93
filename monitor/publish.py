"""After a round: tell people. Alerts, the JSON Lines change log, the Atom feed.

A site's first crawl is its baseline: stored, logged, never alerted. A mass change (see
:mod:`monitor.rounds`) is one alert and one change-log line for the site, not one per notice.

Alert delivery failures are retried and logged by :mod:`monitor.alerts` and never raise
here: the changes are already safe in the archive, and the feed and log are written whatever
the alert targets do.
"""
from __future__ import annotations

import logging

from monitor.config import Config
from monitor.crawl import RoundReport
from storage.archive import Archive

log = logging.getLogger(__name__)


def alertable(archive: Archive, change_ids: list[int]) -> list[int]:
    """Changes worth a message of their own: all but the "new" notices of a site's first
    crawl (its baseline) and the members of a mass change (told once by the batch's alert)."""
    from monitor.recorder import BASELINE_NOTE

    def worth(change) -> bool:
        return change.batch_id is None and not (change.kind == "new" and change.note == BASELINE_NOTE)

    return [cid for cid in change_ids if worth(archive.change(cid))]


def publish_round(config: Config, report: RoundReport) -> None:
    from monitor.alerts import deliver_changes, retry_pending
    from monitor.changelog import append_changes, changelog_path_for
    from monitor.feed import feed_path_for, write_feed

    with Archive(config.archive) as archive:
        try:
            if report.change_ids:
                append_changes(archive, changelog_path_for(config), report.change_ids)
            write_feed(archive, feed_path_for(config))
        except OSError as exc:
            log.error("could not write the change log or feed: %s", exc)
        try:
            retry_pending(archive, config)
            alerted = alertable(archive, report.change_ids)
            if alerted or report.batch_ids:
                deliver_changes(archive, config, alerted, batch_ids=report.batch_ids)
        except Exception:  # an alerting bug must not stop the watch
            log.exception("alert delivery failed")
