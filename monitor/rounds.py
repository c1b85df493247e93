"""End-of-round bookkeeping that needs the whole round: notices gone from their listing, and
mass changes.

**Delisted.** A notice is ``delisted`` when its column listings were read this round, the
notice is on none of them, its own page still answers, and it *should* have been seen. Which
notices should have been seen depends on how far each column was read:

- a column read to its end (every list page, none failed, no page left unread by the cap or
  by an incremental walk) shows every notice it lists;
- a column read in part shows, listings being newest first, the notices at least as new as
  the oldest notice on its first pages: in an incremental round (read page by page from the
  first, until a page holds nothing new, or up to the cap) the pages read; in a full walk
  cut by ``max_list_pages`` or ``list_page_cap`` (which follows every pager link at once, so
  it may read the last page before the second) only the first page.

A notice's column is not recorded, so a notice is expected only if it is expected in *every*
column: at least as new as the newest of the partial columns' oldest shown notices (any date
when every column was read to its end). If a column's listing failed or was not read at all,
nothing is delisted this round. Notices that merely scrolled past the pages read are never
delisted; the full walk every ``full_walk_every`` rounds sees the rest.

Only a notice whose own page was fetched in this round, and answered, is delisted: a notice
not due for re-checking waits for the round that fetches it (the claim "the page still
answers" is never made from an older fetch).

**Mass change.** When at least ``mass_change_share`` of the site's re-checked notices (and at
least ``mass_change_min`` of them) were edited in this round — or removed, or became
unreachable (a site-wide outage) — those changes are grouped in one batch per kind: stored as
usual, alerted once for the site (see :mod:`monitor.batches`).
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from monitor.config import SiteConfig
from monitor.crawl import is_full_walk
from monitor.recorder import RoundTally
from storage.archive import Archive
from storage.records import PageState

DELISTED_NOTE = "no longer on its column listing; the page still answers"
# Where a batch says why it is one: what a site-wide change of each kind in one round almost
# always means. Kinds not listed here are never batched.
MASS_CHANGE_NOTES = {
    "edited": "{count} of {rechecked} re-checked notices edited in one round: the site's template probably changed",
    "removed": "{count} of {rechecked} re-checked notices removed in one round: the site probably moved or"
               " withdrew its columns",
    "unreachable": "{count} of {rechecked} re-checked notices unreachable in one round: the site is probably down",
}


def is_mass_change(edited: int, rechecked: int, share: float, minimum: int) -> bool:
    """Are ``edited`` edits among ``rechecked`` re-checked notices one site-wide event?"""
    return edited >= minimum and rechecked > 0 and edited >= share * rechecked


def fetched_this_round(state: PageState, previous_round: str | None) -> bool:
    """Was the notice's own page fetched in this round, and did it answer? Only then can the
    round claim that it "still answers". ``previous_round``: when the site's last finished
    round ended (rounds of a site never overlap, see monitor.site_lock); times are UTC ISO."""
    if state.last_checked is None or state.failures:
        return False
    return previous_round is None or state.last_checked > previous_round


def delisting_threshold(site: SiteConfig, tally: RoundTally, published: dict[str, str], *,
                        full_walk: bool) -> tuple[bool, str | None]:
    """(can delist at all, the publication day a missing notice must be newer than to be delisted;
    None: any day). ``published`` maps notice URLs to their publication day; ``full_walk``
    says whether this round followed every pager link (else it read page by page)."""
    walks = tally.walks.get(site.name, {})
    oldest_days: list[str] = []
    for column in site.start_urls:
        walk = walks.get(column)
        if walk is None or walk.failed or walk.pages_ok == 0:
            return False, None
        if walk.complete:
            continue
        prefix = walk.first_page if full_walk else walk.listed
        shown = [published[url] for url in prefix if url in published]
        if not shown:
            return False, None
        oldest_days.append(min(shown))
    return True, max(oldest_days) if oldest_days else None


def finish_round(archive: Archive, site: SiteConfig, tally: RoundTally) -> list[int]:
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    change_ids: list[int] = []
    with archive.transaction():
        states = archive.page_states(site.name)
        published = {s.url: s.published[:10] for s in states if s.published}
        full_walk = is_full_walk(site, archive.rounds_done(site.name))
        can_delist, threshold = delisting_threshold(site, tally, published, full_walk=full_walk)
        if can_delist:
            listed = set().union(*(walk.listed for walk in tally.walks.get(site.name, {}).values()))
            previous_round = archive.last_crawled(site.name)
            for state in states:
                if state.url in listed or not state.listed or state.last_listed_at is None or state.status != "live":
                    continue  # on a listing now, already delisted, never on one, or not live
                if not fetched_this_round(state, previous_round):
                    continue  # whether the page still answers is not known this round: decided when it is
                if state.current_version_id is None:
                    continue
                # Scrolled off the pages read, not taken off the listing. Days, not times, are compared:
                # a notice of the oldest day shown may sit on the next, unread page, so that day
                # is not enough (a partial read delists only notices newer than it; full walks see the rest).
                if threshold is not None and (state.url not in published or published[state.url] <= threshold):
                    continue
                change_id = archive.add_change(state.id, "delisted", detected_at=now,
                                               from_version_id=state.current_version_id, note=DELISTED_NOTE)
                archive.update_page(state.id, listed=0)
                tally.count_change("delisted", change_id, site.name)
                change_ids.append(change_id)
        rechecked = tally.rechecked.get(site.name, 0)
        for kind, note in MASS_CHANGE_NOTES.items():
            members = tally.site_changes.get(site.name, {}).get(kind, [])
            if not is_mass_change(len(members), rechecked, site.mass_change_share, site.mass_change_min):
                continue
            field_counts = Counter(name for change_id in members for name in archive.change(change_id).fields)
            batch_id = archive.add_batch(
                site.name, kind, detected_at=now, change_ids=members, rechecked=rechecked,
                field_counts=dict(field_counts.most_common()), note=note.format(count=len(members), rechecked=rechecked),
            )
            tally.batch_ids.append(batch_id)
        archive.mark_site_crawled(site.name, now)
    return change_ids
