"""The archive-reading commands: human output and --json."""
from __future__ import annotations

import json
import subprocess
import sys

from storage.archive import Archive


def test_pages_json_lists_every_notice_with_its_state(crawled):
    rows = crawled.json_lines("pages")
    with Archive(crawled.archive_path, readonly=True) as archive:
        assert len(rows) == archive.counts()["pages"]
    row = rows[0]
    assert {"site", "url", "title", "published", "versions", "last_checked", "status"} <= set(row)
    assert all(r["status"] == "live" and r["versions"] == 1 for r in rows)


def test_pages_human_output_ends_with_a_count(crawled):
    out = crawled.invoke("pages", "--site", "govcn").output
    assert out.strip().endswith(f"{len(crawled.portal.article_urls('govcn', listed_only=True))} notices")
    assert "govcn" in out


def test_history_json_shows_captures_and_versions(crawled):
    url = crawled.portal.article_url("zhejiang", 0)
    history = json.loads(crawled.invoke("history", url, "--json").output)
    assert history["url"] == url
    assert history["versions"][0]["number"] == 1
    assert history["captures"][0]["status"] == 200 and history["captures"][0]["version"] == 1


def test_show_prints_clean_text_with_metadata_header(crawled):
    url = crawled.portal.article_url("zhejiang", 0)
    notice = crawled.portal.notice("zhejiang", url)
    out = crawled.invoke("show", url).output
    assert notice.title in out and notice.paragraphs[0][:20] in out
    assert "文号" in out if notice.doc_number else True


def test_show_raw_writes_the_bytes_as_fetched(crawled):
    url = crawled.portal.article_url("zhejiang", 0)
    raw = subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()", "show", url, "--raw",
                          "--config", str(crawled.config_path)], capture_output=True, check=True).stdout
    assert crawled.portal.notice("zhejiang", url).title.encode("gbk") in raw


def test_unknown_url_is_a_clear_failure(crawled):
    result = crawled.invoke("history", "http://nowhere.invalid/x.html", ok=False)
    assert result.exit_code == 1 and "no page" in result.output


def test_extract_prints_one_json_object_per_file(tmp_path):
    page = tmp_path / "a.html"
    page.write_bytes("<html><head><meta charset=gbk><title>关于开展安全检查的通知_某某市人民政府</title></head><body>"
                     "<h1>关于开展安全检查的通知</h1><div>发布时间：2024-03-05 10:30 来源：市应急管理局</div>"
                     "<div id=zoom><p>各区县：为切实做好安全生产工作，现就开展安全检查有关事项通知如下。</p>"
                     "<p>一、检查时间为3月10日至3月20日，各单位要认真组织自查。</p></div></body></html>".encode("gbk"))
    from click.testing import CliRunner

    from monitor.cli import cli

    result = CliRunner().invoke(cli, ["extract", str(page), str(tmp_path / "missing.html"), "--explain"])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 1  # one file could not be read, the other was still extracted
    good, missing = lines
    assert good["title"] == "关于开展安全检查的通知"
    assert good["published"].startswith("2024-03-05T10:30")
    assert good["source"] == "市应急管理局"
    assert "安全检查有关事项" in good["text"] and good["explanation"]
    assert missing["error"] and missing["text"] == ""
