"""A change is only claimed from what was fetched in that round."""
from __future__ import annotations

from storage.archive import Archive
from tests.test_monitor import check


def kinds(setup) -> list[tuple[str, str]]:
    with Archive(setup.archive_path, readonly=True) as archive:
        return [(c.kind, c.url) for c in archive.changes() if c.kind != "new"]


def test_a_removed_notice_not_fetched_this_round_is_never_called_delisted(setup):
    portal = setup.portal
    check(setup)
    url = portal.article_url("hunan", 1)
    portal.remove_notice("hunan", 1, how="404")  # off the listing, and its page answers 404

    report = check(setup, "--site", "hunan", "--recheck", "none")  # the listing is read, the page is not
    assert report["changes"] == {}, "nothing may be said of a page that was not fetched"

    report = check(setup, "--site", "hunan")  # --recheck all: now the page is fetched
    assert report["changes"] == {"removed": 1}
    assert kinds(setup) == [("removed", url)]


def test_a_delisted_notice_is_reported_when_its_page_is_fetched_and_answers(setup):
    portal = setup.portal
    check(setup)
    url = portal.article_url("govcn", 2)
    portal.delist_notice("govcn", 2)
    assert check(setup, "--site", "govcn", "--recheck", "none")["changes"] == {}
    assert check(setup, "--site", "govcn")["changes"] == {"delisted": 1}
    with Archive(setup.archive_path, readonly=True) as archive:
        [change] = archive.changes(kinds=["delisted"])
    assert change.url == url and "still answers" in change.note
