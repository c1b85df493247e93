"""Mass changes: when a large share of a site's re-checked notices is edited in one round, the
edits are stored as usual, grouped in one batch, and alerted once for the site."""
from __future__ import annotations

import json

import pytest

from storage.archive import Archive
from tests.conftest import make_setup
from tests.test_alerts import Receiver
from tests.test_monitor import check

SITE = "hunan"  # 12 notices in the default sample portal


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def watched_with_alerts(portal, tmp_path, receiver, **overrides):
    setup = make_setup(portal, tmp_path, retries=0, timeout=5,
                       alerts=[f"json://127.0.0.1:{receiver.port}/hook"], **overrides)
    check(setup)
    assert receiver.requests == []  # the first crawl is the baseline: stored, not alerted
    return setup


def edit(portal, count: int) -> list[str]:
    urls = portal.article_urls(SITE, listed_only=True)[:count]
    for url in urls:
        portal.edit_notice(SITE, url)
    return urls


def test_many_edits_in_one_round_are_one_site_alert_and_one_batch(portal, tmp_path, receiver):
    setup = watched_with_alerts(portal, tmp_path, receiver)
    edited = edit(portal, 5)  # 5 of 12 re-checked: 42%
    report = check(setup)
    assert report["changes"] == {"edited": 5}
    assert len(report["batch_ids"]) == 1

    # One message for the site: count, fields, the template hint and a sample diff.
    [message] = receiver.messages()
    assert "批量" in message["title"] and SITE in message["title"] and "5 条" in message["title"]
    body = message["message"]
    assert "模板" in body and "正文 5" in body and "本轮复查 12 条" in body
    assert "—— 示例 ——" in body and "—— 正文变动 ——" in body and "[+" in body
    assert sum(url in body for url in edited) >= 2  # a few of the notices, by URL

    # Stored one by one, each with its versions, all marked as part of the batch.
    with Archive(setup.archive_path, readonly=True) as archive:
        changes = archive.changes(kinds=["edited"])
        assert sorted(c.url for c in changes) == sorted(edited)
        assert {c.batch_id for c in changes} == set(report["batch_ids"])
        assert all((c.from_version, c.to_version) == (1, 2) for c in changes)

    # `changes` shows the batch as one line with the count; --expand lists each change.
    lines = setup.invoke("changes", "--kind", "edited").output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("B") and "×5" in lines[0] and "text 5" in lines[0]
    assert "--expand" in lines[1]
    expanded = setup.invoke("changes", "--kind", "edited", "--expand").output
    assert sum(line.startswith("#") for line in expanded.splitlines()) == 5
    assert all(url in expanded for url in edited)

    # JSON: one batch object, or with --expand each change carrying its batch_id.
    [batch] = setup.json_lines("changes", "--kind", "edited")
    assert batch["batch_id"] == report["batch_ids"][0] and batch["id"] is None and batch["url"] is None
    assert (batch["kind"], batch["site"], batch["count"], batch["rechecked"]) == ("edited", SITE, 5, 12)
    assert batch["fields"] == ["text"] and batch["field_counts"] == {"text": 5}
    assert sorted(batch["change_ids"]) == sorted(c.id for c in changes)
    rows = setup.json_lines("changes", "--batch", str(batch["batch_id"]), "--expand")
    assert [r["batch_id"] for r in rows] == [batch["batch_id"]] * 5 and {r["url"] for r in rows} == set(edited)

    # The change log has one line for the batch, not five.
    log = setup.archive_path.with_name("archive.changes.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(log[-1])["change_ids"] == batch["change_ids"]
    assert not any(json.loads(line).get("kind") == "edited" and json.loads(line)["id"] for line in log)

    # A quiet round after it alerts nothing more.
    check(setup)
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("edits, overrides", [
    (4, {}),  # 33% of the site, but fewer than mass_change_min = 5
    (5, {"mass_change_share": 0.5}),  # 42% < 50%
])
def test_edits_below_the_mass_change_thresholds_are_alerted_one_by_one(portal, tmp_path, receiver, edits,
                                                                       overrides):
    setup = watched_with_alerts(portal, tmp_path, receiver, **overrides)
    edit(portal, edits)
    report = check(setup)
    assert report["changes"] == {"edited": edits} and report["batch_ids"] == []
    assert len(receiver.messages()) == edits
    assert all(m["title"].startswith("【修改】") for m in receiver.messages())
    assert len(setup.json_lines("changes", "--kind", "edited")) == edits


def test_site_wide_outage_is_one_site_level_alert(portal, tmp_path, receiver):
    """Every notice of a site failing three rounds in a row is one 'site down' alert, not one per notice."""
    setup = make_setup(portal, tmp_path, sites=[SITE], retries=0, timeout=5,
                       alerts=[f"json://127.0.0.1:{receiver.port}/hook"], recheck={"unreachable_after": 2})
    check(setup)
    urls = portal.article_urls(SITE)
    for url in urls:
        portal.set_failure(SITE, url, "500")
    check(setup)  # first failure of each: nothing to tell yet
    report = check(setup)  # second in a row: unreachable
    assert report["changes"].get("unreachable", 0) >= 5 and len(report["batch_ids"]) == 1, report
    [message] = receiver.messages()
    assert "批量" in message["title"] and "无法访问" in message["title"]
    assert "网站可能整体无法访问" in message["message"]
    with Archive(setup.archive_path, readonly=True) as archive:
        unreachable = archive.changes(kinds=["unreachable"])
        assert len(unreachable) == report["changes"]["unreachable"]
        assert {c.batch_id for c in unreachable} == set(report["batch_ids"])
