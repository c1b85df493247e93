"""Change detection across rounds on the sample portal: each kind raised exactly once,
furniture churn raises nothing."""
from __future__ import annotations

import pytest

from storage.archive import Archive
from tests.conftest import make_setup


def check(setup, *extra: str) -> dict:
    """One monitoring round through the real CLI; returns its JSON report."""
    import json

    return json.loads(setup.invoke("check", "--recheck", "all", "--workers", "0", "--json", *extra).output)


def changes(setup, **filters) -> list:
    with Archive(setup.archive_path, readonly=True) as archive:
        return archive.changes(**filters)


@pytest.fixture
def watched(portal, tmp_path):
    setup = make_setup(portal, tmp_path, retries=0, timeout=2)
    check(setup)
    return setup


def test_first_round_reports_every_notice_as_new(watched):
    kinds = {c.kind for c in changes(watched)}
    assert kinds == {"new"}
    assert len(changes(watched)) == sum(len(watched.portal.article_urls(s, listed_only=True)) for s in watched.portal.sites)


def test_boilerplate_churn_on_every_page_raises_nothing(watched):
    before = len(changes(watched))
    watched.portal.churn_boilerplate()
    report = check(watched)
    assert report["changes"] == {}
    watched.portal.churn_boilerplate()
    check(watched)
    assert len(changes(watched)) == before


def test_site_redesign_around_the_same_notices_is_not_an_edit(watched):
    before = len(changes(watched))
    for site in watched.portal.sites:
        watched.portal.redesign(site)
    report = check(watched)
    assert report["changes"] == {}, report
    assert len(changes(watched)) == before


def test_edit_in_body_raises_one_change_with_the_text_field(watched):
    portal = watched.portal
    url = portal.article_url("hunan", 1)
    portal.edit_notice("hunan", 1)
    portal.churn_boilerplate()
    report = check(watched)
    assert report["changes"] == {"edited": 1}
    edited = changes(watched, kinds=["edited"])
    assert [c.url for c in edited] == [url]
    assert edited[0].fields == ["text"]
    assert (edited[0].from_version, edited[0].to_version) == (1, 2)
    check(watched)
    assert len(changes(watched, kinds=["edited"])) == 1


def test_title_edit_names_the_title_field(watched):
    watched.portal.edit_title("govcn", 2, "关于调整2026年度示范项目名单的通知（修订）")
    check(watched)
    (edited,) = changes(watched, kinds=["edited"])
    assert edited.fields == ["title"]


@pytest.mark.parametrize("how", ["404", "410", "redirect_home", "soft404"])
def test_each_way_of_removing_a_notice_raises_one_removed(watched, how):
    portal = watched.portal
    url = portal.article_url("zhejiang", 3)
    portal.remove_notice("zhejiang", 3, how=how)
    report = check(watched)
    assert report["changes"].get("removed") == 1, report
    removed = changes(watched, kinds=["removed"])
    assert [c.url for c in removed] == [url]
    check(watched)
    assert len(changes(watched, kinds=["removed"])) == 1
    with Archive(watched.archive_path, readonly=True) as archive:
        assert archive.page_state(url).status == "removed"


def test_restored_after_removal(watched):
    portal = watched.portal
    portal.remove_notice("hunan", 2, how="404")
    check(watched)
    portal.restore_notice("hunan", 2)
    report = check(watched)
    assert report["changes"] == {"restored": 1}, report
    check(watched)
    assert len(changes(watched, kinds=["restored"])) == 1


def test_new_notice_on_the_listing_raises_new(watched):
    url = watched.portal.add_notice("govcn")
    report = check(watched)
    assert report["changes"] == {"new": 1}
    assert changes(watched, kinds=["new"])[-1].url == url


def test_delisted_notice_whose_page_still_answers(watched):
    portal = watched.portal
    url = portal.article_url("hunan", 1)
    portal.delist_notice("hunan", 1)
    report = check(watched)
    assert report["changes"] == {"delisted": 1}, report
    assert [c.url for c in changes(watched, kinds=["delisted"])] == [url]
    check(watched)
    assert len(changes(watched, kinds=["delisted"])) == 1


def test_repeated_failures_make_a_notice_unreachable_once_and_recovery_is_noted(watched):
    portal = watched.portal
    url = portal.article_url("govcn", 4)
    portal.set_failure("govcn", 4, "500")
    for _ in range(2):
        assert "unreachable" not in check(watched)["changes"]
    assert check(watched)["changes"] == {"unreachable": 1}
    check(watched)
    assert len(changes(watched, kinds=["unreachable"])) == 1
    portal.set_failure("govcn", 4, None)
    report = check(watched)
    assert report["changes"] == {}
    (unreachable,) = changes(watched, kinds=["unreachable"])
    assert unreachable.url == url and "recovered" in unreachable.note
    assert not changes(watched, kinds=["removed"])


def test_timeouts_count_as_failures_not_removals(watched):
    watched.portal.set_failure("hunan", 3, "timeout", seconds=4)
    report = check(watched)
    assert report["failed"] >= 1
    assert report["changes"] == {}


def test_changes_json_lines_contract(watched):
    watched.portal.edit_notice("hunan", 1)
    check(watched)
    rows = watched.json_lines("changes", "--kind", "edited")
    assert len(rows) == 1
    row = rows[0]
    assert {"id", "site", "url", "kind", "fields", "detected_at", "from_version", "to_version"} <= set(row)
    assert row["kind"] == "edited" and row["site"] == "hunan" and row["fields"] == ["text"]
    assert row["detected_at"][:4].isdigit() and "T" in row["detected_at"]


def test_diff_shows_the_changed_figure_at_character_level(watched):
    portal = watched.portal
    edit = portal.edit_notice("hunan", 1)
    check(watched)
    url = portal.article_url("hunan", 1)
    import json

    payload = json.loads(watched.invoke("diff", url, "--format", "json").output)
    inserted = "".join(op["text"] for op in payload["ops"] if op["op"] == "insert")
    deleted = "".join(op["text"] for op in payload["ops"] if op["op"] == "delete")
    _before, after = edit.changes[0]
    assert payload["chars_added"] > 0 and payload["chars_removed"] > 0
    # the figure edit is a few characters, not the whole sentence
    assert len(inserted) < len(after) + 80 and any(ch.isdigit() for ch in inserted + deleted)
    html = watched.invoke("diff", url, "--format", "html").output
    assert "<ins>" in html and "<del>" in html
    text = watched.invoke("diff", url).output
    assert "[+" in text and "[-" in text


def test_diff_names_changed_fields_like_changes_json(watched):
    portal = watched.portal
    portal.edit_notice("hunan", 1)
    check(watched)
    import json

    payload = json.loads(watched.invoke("diff", portal.article_url("hunan", 1), "--format", "json").output)
    assert payload["fields"] == ["text"] and payload["status"] is None


def test_diff_of_a_removed_notice_says_it_is_removed(watched):
    portal = watched.portal
    url = portal.article_url("hunan", 2)
    portal.remove_notice("hunan", 2, how="404")
    check(watched)
    text = watched.invoke("diff", url).output
    assert "now removed since" in text and "HTTP 404" in text
    import json

    payload = json.loads(watched.invoke("diff", url, "--format", "json").output)
    assert payload["status"]["status"] == "removed" and payload["status"]["kind"] == "removed"


def test_two_notices_redirected_to_the_home_page_are_both_removed(watched):
    portal = watched.portal
    urls = [portal.article_url("hunan", 2), portal.article_url("hunan", 3)]
    for index in (2, 3):
        portal.remove_notice("hunan", index, how="redirect_home")
    report = check(watched)
    assert report["changes"] == {"removed": 2}, report
    assert sorted(c.url for c in changes(watched, kinds=["removed"])) == sorted(urls)


def test_check_lists_each_change_with_kind_title_and_url(watched):
    portal = watched.portal
    portal.edit_notice("hunan", 1)
    out = watched.invoke("check", "--recheck", "all", "--workers", "0").output
    url = portal.article_url("hunan", 1)
    line = next(line for line in out.splitlines() if url in line)
    assert line.split()[0] == "edited" and "[text]" in line
