"""Delisting after a partial read of a column: only what the pages read can vouch for."""
from __future__ import annotations

from monitor.config import parse_config
from monitor.recorder import ColumnWalk, RoundTally
from monitor.rounds import finish_round
from storage.archive import Archive
from storage.records import VersionContent

COLUMN = "http://127.0.0.1:9/col/index.html"
PREVIOUS_ROUND = "2024-03-06T00:00:00+00:00"
THIS_ROUND = "2024-03-06T01:00:00+00:00"


def notice(archive: Archive, url: str, published: str) -> None:
    page = archive.ensure_page("s", url, "2024-03-01T00:00:00+00:00", listed_in=COLUMN)
    capture = archive.add_capture(page.id, fetched_at=THIS_ROUND, status=200, outcome="new", body=url.encode())
    archive.add_version(page.id, VersionContent(fingerprint=url, text="通知正文。", title=url, published=published),
                        created_at=THIS_ROUND, capture_id=capture)
    archive.update_page(page.id, status="live", last_checked=THIS_ROUND, published=published)


def test_notice_of_the_oldest_day_shown_is_not_delisted_by_a_partial_read(tmp_path):
    """Page 1 shows notices down to 3 March; a 3 March notice missing from it may simply be the
    first one on page 2, which this round did not read: it is not taken off the listing."""
    config = parse_config({"archive": str(tmp_path / "a.db"),
                           "site": [{"name": "s", "start_urls": [COLUMN], "full_walk_every": 10}]})
    site = config.sites[0]
    with Archive(config.archive) as archive:
        with archive.transaction():
            for url, day in (("http://127.0.0.1:9/a.html", "2024-03-05"), ("http://127.0.0.1:9/b.html", "2024-03-03"),
                             ("http://127.0.0.1:9/c.html", "2024-03-03"), ("http://127.0.0.1:9/d.html", "2024-03-04")):
                notice(archive, url, day)
            archive.mark_site_crawled("s", PREVIOUS_ROUND)  # not the first round: a partial read
        tally = RoundTally()
        tally.walks["s"] = {COLUMN: ColumnWalk(pages_ok=1, stopped=True,
                                               listed={"http://127.0.0.1:9/a.html", "http://127.0.0.1:9/b.html"},
                                               first_page={"http://127.0.0.1:9/a.html",
                                                           "http://127.0.0.1:9/b.html"})}
        delisted = finish_round(archive, site, tally)
        urls = [archive.change(change_id).url for change_id in delisted]
    # d (4 March, newer than anything page 1 still shows) is gone from the listing; c is not known to be.
    assert urls == ["http://127.0.0.1:9/d.html"]
