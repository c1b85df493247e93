"""The Atom feed and the JSON Lines change log, read back with feedparser and json."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from monitor.changelog import append_changes, changelog_path_for
from monitor.cli import cli
from monitor.config import parse_config
from monitor.feed import ATOM_NS, entry_id, feed_path_for, render_feed, write_feed
from storage.archive import Archive
from storage.records import VersionContent

SUBSIDY_URL = "http://www.demo.gov.cn/art/2024/5/1/art_1_100.html"
SUBSIDY_TITLE = "关于发放2024年春耕补贴的通知"
ROAD_URL = "http://www.other.gov.cn/xxgk/202405/t20240502_77.html"
ROAD_TITLE = "关于临时交通管制的通告"


class ArchiveBuilder:
    """Writes notices, versions and changes through the real Archive API."""

    def __init__(self, path: Path) -> None:
        self.archive = Archive(path)
        self.clock = 0

    def tick(self) -> str:
        self.clock += 1
        return f"2024-05-{self.clock:02d}T09:00:00+08:00"

    def version(self, site: str, url: str, title: str, text: str, *, reextracted: bool = False) -> int:
        at = self.tick()
        with self.archive.transaction():
            page = self.archive.ensure_page(site, url, at)
            capture = self.archive.add_capture(page.id, fetched_at=at, status=200, outcome="changed",
                                               body=text.encode())
            version = self.archive.add_version(page.id, VersionContent(fingerprint=text, text=text, title=title),
                                               created_at=at, capture_id=capture, reextracted=reextracted)
        return version.id

    def change(self, url: str, kind: str, *, old: int | None, new: int | None, fields=(), note=None) -> int:
        page = self.archive.page_state(url)
        with self.archive.transaction():
            return self.archive.add_change(page.id, kind, detected_at=self.tick(), fields=list(fields),
                                           from_version_id=old, to_version_id=new, note=note)


@pytest.fixture
def built(tmp_path):
    """Two sites: a subsidy notice created then edited (with a <script> in its text), a road notice removed."""
    b = ArchiveBuilder(tmp_path / "watch.db")
    v1 = b.version("demo", SUBSIDY_URL, SUBSIDY_TITLE,
                   "各乡镇：每亩补贴120元。\n页面代码<script>alert('x')</script>照录。\n特此通知。\n")
    b.ids = {"new": b.change(SUBSIDY_URL, "new", old=None, new=v1)}
    v2 = b.version("demo", SUBSIDY_URL, SUBSIDY_TITLE,
                   "各乡镇：每亩补贴185元。\n页面代码<script>alert('y')</script>照录。\n特此通知。\n")
    b.ids["edited"] = b.change(SUBSIDY_URL, "edited", old=v1, new=v2, fields=["text"])
    road = b.version("other", ROAD_URL, ROAD_TITLE, "5月3日起实行交通管制。\n")
    b.ids["removed"] = b.change(ROAD_URL, "removed", old=road, new=None, note="HTTP 404")
    yield b
    b.archive.close()


def test_feed_parses_and_lists_changes_newest_first_with_titles_links_and_diff(built):
    parsed = feedparser.parse(render_feed(built.archive))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    ids = built.ids
    assert [e.id for e in parsed.entries] == [entry_id(ids["removed"]), entry_id(ids["edited"]),
                                              entry_id(ids["new"])]
    removed, edited, new = parsed.entries
    assert removed.title == f"【删除】{ROAD_TITLE}" and removed.link == ROAD_URL
    assert "HTTP 404" in removed.content[0].value
    assert edited.title == f"【修改】{SUBSIDY_TITLE}" and edited.link == SUBSIDY_URL
    assert edited.updated == "2024-05-04T09:00:00+08:00"
    html = edited.content[0].value
    assert edited.content[0].type == "text/html"
    assert "补贴1<del>20</del><ins>85</ins>元" in html
    assert new.title == f"【新增】{SUBSIDY_TITLE}" and "每亩补贴120元" in new.content[0].value


def test_captured_script_text_is_escaped_not_a_live_element(built):
    xml = render_feed(built.archive)
    root = ET.fromstring(xml)
    contents = [c.text for c in root.iter(f"{{{ATOM_NS}}}content")]

    assert contents and all("<script" not in c for c in contents)  # the HTML a reader renders
    assert any("&lt;script&gt;alert(" in c for c in contents)  # shown as text
    parsed = feedparser.parse(xml)
    assert "&lt;script&gt;" in parsed.entries[1].content[0].value  # survived the sanitizer: it is text


def test_entry_ids_stay_the_same_when_the_feed_is_rewritten(built, tmp_path):
    first = [e.id for e in feedparser.parse(render_feed(built.archive)).entries]
    v3 = built.version("demo", SUBSIDY_URL, SUBSIDY_TITLE, "各乡镇：每亩补贴200元。\n特此通知。\n")
    latest = built.change(SUBSIDY_URL, "edited", old=None, new=v3, fields=["text"])

    second = [e.id for e in feedparser.parse(render_feed(built.archive)).entries]

    assert second == [entry_id(latest), *first]


def test_feed_of_one_site_with_a_limit(built):
    parsed = feedparser.parse(render_feed(built.archive, site="demo", limit=1))

    assert [e.id for e in parsed.entries] == [entry_id(built.ids["edited"])]
    assert "demo" in parsed.feed.title


def test_reextraction_changes_are_left_out_of_the_feed(built):
    again = built.version("demo", SUBSIDY_URL, SUBSIDY_TITLE, "各乡镇：每亩补贴185元。\n特此通知。\n",
                          reextracted=True)
    hidden = built.change(SUBSIDY_URL, "edited", old=None, new=again, fields=["text"])

    ids = [e.id for e in feedparser.parse(render_feed(built.archive)).entries]

    assert entry_id(hidden) not in ids and len(ids) == 3


def test_empty_archive_gives_a_valid_empty_feed(tmp_path):
    parsed = feedparser.parse(render_feed(Archive(tmp_path / "empty.db")))
    assert parsed.bozo == 0 and parsed.entries == []


def test_default_feed_and_changelog_paths_sit_next_to_the_archive(tmp_path):
    config = parse_config({}, archive=tmp_path / "data" / "gov.db")
    assert feed_path_for(config) == tmp_path / "data" / "gov.atom"
    assert changelog_path_for(config) == tmp_path / "data" / "gov.changes.jsonl"

    configured = parse_config({"feed": "out/feed.xml", "changelog": "out/log.jsonl"}, path=tmp_path / "sites.toml")
    assert feed_path_for(configured) == tmp_path / "out" / "feed.xml"
    assert changelog_path_for(configured) == tmp_path / "out" / "log.jsonl"


def test_write_feed_replaces_the_file(built, tmp_path):
    path = tmp_path / "feeds" / "watch.atom"
    write_feed(built.archive, path, limit=1)
    write_feed(built.archive, path)

    assert len(feedparser.parse(path.read_text(encoding="utf-8")).entries) == 3
    assert [p.name for p in path.parent.iterdir()] == ["watch.atom"]  # no temporary left behind


def test_changelog_appends_one_json_line_per_change_in_as_json_shape(built, tmp_path):
    path = tmp_path / "watch.changes.jsonl"
    ids = built.ids

    assert append_changes(built.archive, path, [ids["new"], ids["edited"]]) == 2
    assert append_changes(built.archive, path, [ids["removed"]]) == 1
    assert append_changes(built.archive, path, []) == 0

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines == [built.archive.change(i).as_json() for i in (ids["new"], ids["edited"], ids["removed"])]
    assert lines[1]["title"] == SUBSIDY_TITLE and lines[2]["kind"] == "removed"
    assert "关于" in path.read_text(encoding="utf-8")  # Chinese kept readable, not \\u-escaped


def test_feed_command_writes_to_stdout_or_a_file(built, tmp_path):
    db = str(built.archive.path)
    runner = CliRunner()

    printed = runner.invoke(cli, ["feed", "--archive", db, "--site", "other"])
    assert printed.exit_code == 0, printed.output
    entries = feedparser.parse(printed.output).entries
    assert [e.title for e in entries] == [f"【删除】{ROAD_TITLE}"]

    out = tmp_path / "out.atom"
    written = runner.invoke(cli, ["feed", "--archive", db, "--limit", "2", "-o", str(out)])
    assert written.exit_code == 0, written.output
    assert len(feedparser.parse(out.read_text(encoding="utf-8")).entries) == 2

    bad = runner.invoke(cli, ["feed", "--archive", db, "--limit", "0"])
    assert bad.exit_code == 2


def test_feed_file_mode_follows_the_umask(tmp_path):
    import os
    import stat

    from monitor.feed import write_feed
    from storage.archive import Archive

    with Archive(tmp_path / "a.db") as archive:
        old = os.umask(0o022)
        try:
            path = write_feed(archive, tmp_path / "changes.atom")
        finally:
            os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
