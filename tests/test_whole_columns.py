"""Whole columns by default: the first crawl walks every list page, later rounds stop at the
first list page with nothing new, and every ``full_walk_every``-th round walks everything again
(so notices taken off deep list pages are still seen as delisted)."""
from __future__ import annotations

import json

import pytest

from sampleportal import SamplePortal
from storage.archive import Archive
from tests.conftest import make_setup

SITE = "govcn"  # one column; 20 notices per list page
PAGES = 15


@pytest.fixture
def column_portal():
    with SamplePortal(articles_per_site=20 * PAGES) as portal:
        yield portal


def round_(setup, *args: str) -> dict:
    result = setup.invoke("check", "--workers", "0", "--json", *args)
    return json.loads(result.output)


def list_reads(portal) -> list[int]:
    """How often each list page of the column was requested since the last reset."""
    return [portal.request_count(SITE, portal.list_url(SITE, page=n)) for n in range(PAGES)]


def stored_urls(setup) -> set[str]:
    with Archive(setup.archive_path, readonly=True) as archive:
        return {page.url for page in archive.pages(SITE)}


def test_first_crawl_archives_a_fifteen_page_column_with_the_minimal_config(column_portal, tmp_path):
    setup = make_setup(column_portal, tmp_path, sites=[SITE])
    assert "max_list_pages" not in setup.config_path.read_text()
    assert column_portal.state.list_pages(SITE, "zuixin") == PAGES
    report = round_(setup)
    assert list_reads(column_portal) == [1] * PAGES
    assert stored_urls(setup) == set(column_portal.article_urls(SITE, listed_only=True))
    assert report["changes"] == {"new": 20 * PAGES}


def test_later_rounds_stop_at_the_first_list_page_without_an_unknown_notice(column_portal, tmp_path):
    setup = make_setup(column_portal, tmp_path, sites=[SITE])
    round_(setup)
    column_portal.reset_requests()
    # Nothing new: the first list page holds only known notices, so it is the only one read.
    assert round_(setup, "--recheck", "none")["changes"] == {}
    assert list_reads(column_portal) == [1] + [0] * (PAGES - 1)
    # One new notice heads page 1 (pushing one known notice to page 2): page 1 has something
    # unknown, page 2 has not, so the walk stops there.
    column_portal.reset_requests()
    url = column_portal.add_notice(SITE)
    assert round_(setup, "--recheck", "none")["changes"] == {"new": 1}
    assert list_reads(column_portal) == [1, 1] + [0] * (PAGES - 2)
    assert url in stored_urls(setup)


def test_every_nth_round_walks_every_list_page(column_portal, tmp_path):
    setup = make_setup(column_portal, tmp_path, sites=[SITE], full_walk_every=3)
    round_(setup)  # round 1: full
    reads = []
    for _ in range(4):  # rounds 2, 3 (incremental), 4 (full), 5 (incremental)
        column_portal.reset_requests()
        round_(setup, "--recheck", "none")
        reads.append(sum(list_reads(column_portal)))
    assert reads == [1, 1, PAGES, 1]


def test_notice_taken_off_a_deep_list_page_is_delisted_by_the_next_full_walk_only(column_portal, tmp_path):
    setup = make_setup(column_portal, tmp_path, sites=[SITE], full_walk_every=3)
    round_(setup)
    deep = column_portal.article_urls(SITE, listed_only=True)[20 * 10 + 3]  # on list page 11
    recent = column_portal.article_urls(SITE, listed_only=True)[2]  # on list page 1
    column_portal.delist_notice(SITE, deep)
    column_portal.delist_notice(SITE, recent)
    # An incremental round reads page 1 only: the recent notice is missing from the part of
    # the column it read; the deep one is beyond it, so nothing is said about it yet. (Every
    # notice is re-fetched: "delisted" says the page still answers, so it must have been fetched.)
    report = round_(setup, "--recheck", "all")
    assert report["changes"] == {"delisted": 1}, report
    assert round_(setup, "--recheck", "all")["changes"] == {}
    # Round 4 walks the whole column and finds the deep one gone.
    assert round_(setup, "--recheck", "all")["changes"] == {"delisted": 1}
    with Archive(setup.archive_path, readonly=True) as archive:
        delisted = [c.url for c in archive.changes(kinds=["delisted"])]
    assert delisted == [recent, deep]


def test_max_list_pages_caps_every_round_and_unread_pages_are_not_delisted(column_portal, tmp_path):
    setup = make_setup(column_portal, tmp_path, sites=[SITE], max_list_pages=4, full_walk_every=1)
    for _ in range(3):
        column_portal.reset_requests()
        report = round_(setup)
        assert sum(list_reads(column_portal)) == 4
        assert column_portal.request_count(SITE, column_portal.list_url(SITE, page=0)) == 1
        # A capped walk (which follows 下一页 and 尾页 alike) is not the whole column: notices
        # on list pages it did not reach this time are not delisted for being unseen.
        assert "delisted" not in report["changes"], report


def test_list_page_cap_stops_a_whole_column_walk(column_portal, tmp_path):
    setup = make_setup(column_portal, tmp_path, sites=[SITE], list_page_cap=6)
    round_(setup)
    assert sum(list_reads(column_portal)) == 6
    assert len(stored_urls(setup)) == 20 * 6
