"""End-of-round bookkeeping that needs the whole round: notices gone from their listing.

A notice is ``delisted`` when its column listing was read this round, the notice is no
longer on it, its own page still answers, and it is recent enough that it *should* still be
listed (at least as new as the oldest known notice the listing shows now). Notices that just
scrolled past the last listing page read are not delisted.
"""
from __future__ import annotations

from datetime import UTC, datetime

from monitor.config import SiteConfig
from monitor.recorder import RoundTally
from storage.archive import Archive


def finish_round(archive: Archive, site: SiteConfig, tally: RoundTally) -> list[int]:
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    change_ids: list[int] = []
    with archive.transaction():
        if tally.listings_ok.get(site.name):
            listed = tally.listed.get(site.name, set())
            states = archive.page_states(site.name)
            shown = [s.published[:10] for s in states if s.url in listed and s.published]
            oldest_shown = min(shown) if shown else None
            for state in states:
                if state.url in listed or not state.listed or state.status != "live":
                    continue
                if state.current_version_id is None:
                    continue
                if oldest_shown is None or not state.published or state.published[:10] < oldest_shown:
                    continue  # scrolled off the pages read, not taken off the listing
                change_id = archive.add_change(
                    state.id, "delisted", detected_at=now, from_version_id=state.current_version_id,
                    note="no longer on its column listing; the page still answers",
                )
                archive.update_page(state.id, listed=0)
                tally.count_change("delisted", change_id)
                change_ids.append(change_id)
        archive.mark_site_crawled(site.name, now)
    return change_ids
