"""The recorder's judgement on awkward answers: blocked pages and pages without notice text
are failed fetches, never edits or removals."""
from __future__ import annotations

import asyncio
import json

from monitor.config import load_config
from monitor.extraction_pool import ExtractionPool
from monitor.recorder import Recorder
from spiders.capture import Capture
from storage.archive import Archive
from tests.conftest import make_setup
from tests.test_monitor import check

NOTICE = ("<html><head><meta charset=utf-8><title>关于开展防汛检查的通知</title></head><body>"
          "<h1>关于开展防汛检查的通知</h1><div>发布时间：2024-06-01 09:00 来源：市水利局</div>"
          "<div id=zoom><p>各区县水利局：为做好今年防汛工作，现就开展汛前检查有关事项通知如下。</p>"
          "<p>一、检查范围包括全市中小型水库、堤防和山洪灾害防治设施，共计126处。</p></div></body></html>")
CHALLENGE = "<html><head><meta charset=utf-8></head><body><script>var a=1;</script></body></html>"
URL = "https://www.example.gov.cn/art/2024/6/1/art_1_1.html"


def capture(body: str, at: str) -> Capture:
    return Capture(site="demo", url=URL, final_url=URL, status=200, fetched_at=at,
                   headers={"content-type": "text/html; charset=utf-8"}, body=body.encode())


def test_a_page_that_loses_all_notice_text_is_a_failed_fetch_not_an_edit(tmp_path):
    config_path = tmp_path / "sites.toml"
    config_path.write_text('archive = "a.db"\n[[site]]\nname = "demo"\nstart_urls = ["https://www.example.gov.cn/"]\n'
                           "recheck = { unreachable_after = 2 }\n", encoding="utf-8")
    config = load_config(config_path)
    with Archive(config.archive) as archive:
        recorder = Recorder(archive, config, ExtractionPool(0))
        asyncio.run(recorder.record(capture(NOTICE, "2026-01-01T00:00:00+00:00")))
        asyncio.run(recorder.record(capture(CHALLENGE, "2026-01-02T00:00:00+00:00")))
        assert [c.kind for c in archive.changes()] == ["new"]
        assert len(archive.versions(URL)) == 1
        assert archive.captures(URL)[-1].outcome == "error"
        assert "no notice text" in archive.captures(URL)[-1].error
        # Still the challenge page next time: unreachable, with its raw bytes kept.
        asyncio.run(recorder.record(capture(CHALLENGE + " ", "2026-01-03T00:00:00+00:00")))
        assert [c.kind for c in archive.changes()] == ["new", "unreachable"]
        assert archive.raw_body(archive.captures(URL)[-1].body_sha256).startswith(b"<html>")
        # The notice comes back unchanged: no edit, the unreachable change notes the recovery.
        asyncio.run(recorder.record(capture(NOTICE + "\n", "2026-01-04T00:00:00+00:00")))
        assert [c.kind for c in archive.changes()] == ["new", "unreachable"]
        assert "recovered" in archive.changes(kinds=["unreachable"])[0].note


def test_forbidden_answers_count_towards_unreachable_not_removed(portal, tmp_path):
    setup = make_setup(portal, tmp_path, retries=0)
    check(setup)
    url = portal.base_url("hunan") + "/_test/status/403"
    with Archive(setup.archive_path) as archive, archive.transaction():
        # A notice that was live, now answered by a WAF with 403.
        page = archive.ensure_page("hunan", url, "2026-01-01T00:00:00+00:00")
        source = archive.version(portal.article_url("hunan", 0))
        from storage.records import VersionContent

        archive.add_version(page.id, VersionContent(fingerprint=source.fingerprint, text=source.text,
                                                    title=source.title), created_at="2026-01-01T00:00:00+00:00",
                            capture_id=None)
        archive.update_page(page.id, status="live")
    reports = [check(setup) for _ in range(3)]
    assert [r["changes"] for r in reports] == [{}, {}, {"unreachable": 1}]
    rows = setup.json_lines("changes", "--url", url)
    assert [r["kind"] for r in rows] == ["unreachable"]
    assert json.dumps(rows[0]["note"]).find("403") > 0
