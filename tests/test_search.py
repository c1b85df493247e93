"""portalwatch search: Chinese substrings, short words, either script, ranked notices."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from storage.archive import Archive
from storage.records import VersionContent
from storage.search import HIGHLIGHT_END, HIGHLIGHT_START, rebuild_index, search, to_simplified

SAFETY = "http://zj.example.cn/art/2024/3/5/art_1_1.html"
FLOOD = "http://zj.example.cn/art/2024/3/9/art_1_2.html"
TAIWAN = "http://tw.example.org/news/3.html"
HUNAN = "http://hn.example.cn/c/2024-04/01/content_4.htm"
TWIN_OLD = "http://hn.example.cn/c/2024-01/01/content_5.htm"
TWIN_NEW = "http://hn.example.cn/c/2024-01/02/content_6.htm"


def store(archive: Archive, site: str, url: str, versions: list[tuple[str, str, str]]) -> None:
    """A notice with versions given as (captured_at, title, text)."""
    with archive.transaction():
        page = archive.ensure_page(site, url, versions[0][0])
        for n, (at, title, text) in enumerate(versions):
            capture = archive.add_capture(page.id, fetched_at=at, status=200, outcome="new",
                                          body=text.encode())
            archive.add_version(page.id, VersionContent(fingerprint=f"{url}#{n}", text=text, title=title),
                                created_at=at, capture_id=capture)


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "portalwatch.db"
    with Archive(path) as archive:
        store(archive, "zj", SAFETY, [
            ("2024-03-05T02:00:00+00:00", "关于做好安全生产工作的通知",
             "各县（市、区）应急管理局：为切实做好安全生产工作，现将有关事项通知如下。"),
            ("2024-03-20T02:00:00+00:00", "关于做好安全生产工作的通知",
             "各县（市、区）应急管理局：为切实做好安全生产工作，现将有关事项通知如下。请于3月底前报送。"),
        ])
        store(archive, "zj", FLOOD, [
            ("2024-03-10T02:00:00+00:00", "防汛防台工作部署", "各地要落实防汛责任，加强值班值守。"),
        ])
        store(archive, "tw", TAIWAN, [
            ("2024-03-12T02:00:00+00:00", "勞動部公告", "為加強職業安全衛生，請各單位落實安全生產管理規定。"),
        ])
        store(archive, "hn", HUNAN, [
            ("2024-04-02T02:00:00+00:00", "湖南省人民政府办公厅关于印发方案的通知",
             "各市州人民政府：现将《湖南省数字政府建设方案》印发给你们，请认真贯彻执行。"),
        ])
        store(archive, "hn", TWIN_OLD, [("2024-01-01T02:00:00+00:00", "候鸟保护", "加强候鸟迁徙通道保护管理。")])
        store(archive, "hn", TWIN_NEW, [("2024-01-02T02:00:00+00:00", "候鸟保护", "加强候鸟迁徙通道保护管理。")])
    return path


def found(path: Path, query: str, **kwargs) -> list[str]:
    with Archive(path, readonly=True) as archive:
        return [hit.url for hit in search(archive, query, **kwargs)]


def test_a_chinese_substring_finds_the_notice(archive_path):
    assert found(archive_path, "数字政府建设") == [HUNAN]
    assert found(archive_path, "值班值守") == [FLOOD]
    assert found(archive_path, "不存在的词语") == []


def test_a_notice_appears_once_through_its_latest_matching_version(archive_path):
    with Archive(archive_path, readonly=True) as archive:
        hits = search(archive, "应急管理局")
        assert [(h.url, h.version) for h in hits] == [(SAFETY, 2)]
        hits = search(archive, "应急管理局", since="2024-03-01", limit=5)
        assert hits[0].captured_at == "2024-03-20T02:00:00+00:00"


def test_a_two_character_query_falls_back_to_like(archive_path):
    urls = found(archive_path, "防汛")
    assert urls == [FLOOD]
    with Archive(archive_path, readonly=True) as archive:
        hit = search(archive, "防汛")[0]
    assert hit.score is None
    assert f"{HIGHLIGHT_START}防汛{HIGHLIGHT_END}" in hit.snippet


def test_a_two_character_query_lists_newest_notices_first(archive_path):
    assert found(archive_path, "候鸟") == [TWIN_NEW, TWIN_OLD]
    assert found(archive_path, "通知") == [HUNAN, SAFETY]


def test_a_traditional_query_finds_simplified_text(archive_path):
    assert found(archive_path, "數字政府") == [HUNAN]
    assert found(archive_path, "應急管理局") == [SAFETY]


def test_a_simplified_query_finds_traditional_text(archive_path):
    assert found(archive_path, "职业安全卫生") == [TAIWAN]
    assert found(archive_path, "劳动部") == [TAIWAN]  # title only
    assert set(found(archive_path, "安全生产")) == {SAFETY, TAIWAN}


def test_snippet_marks_the_match_in_context(archive_path):
    with Archive(archive_path, readonly=True) as archive:
        hit = search(archive, "有关事项")[0]
    assert f"{HIGHLIGHT_START}有关事项{HIGHLIGHT_END}" in hit.snippet
    assert "现将" in hit.snippet


def test_site_filter(archive_path):
    assert found(archive_path, "安全生产", site="tw") == [TAIWAN]
    assert found(archive_path, "安全生产", site="hn") == []
    assert found(archive_path, "通知", site="zj") == [SAFETY]


def test_equal_scores_list_the_newest_first(archive_path):
    assert found(archive_path, "候鸟迁徙通道") == [TWIN_NEW, TWIN_OLD]


def test_the_notice_matching_in_title_and_body_ranks_first(archive_path):
    # SAFETY has 安全生产 in its title and body, TAIWAN once in its body
    assert found(archive_path, "安全生产")[0] == SAFETY


def test_all_words_of_a_query_must_occur(archive_path):
    assert found(archive_path, "安全生产 报送") == [SAFETY]
    assert found(archive_path, "安全生产 防汛") == []
    assert found(archive_path, "候鸟 保护") == [TWIN_NEW, TWIN_OLD]


def test_like_wildcards_in_a_query_are_literal(archive_path):
    assert found(archive_path, "%") == []
    assert found(archive_path, "_") == []


def test_folding_keeps_every_character_in_place():
    text = "為加強職業安全衛生，請各單位落實規定。"
    assert to_simplified(text) == "为加强职业安全卫生，请各单位落实规定。"
    assert len(to_simplified(text)) == len(text)


def test_reindex_makes_an_unindexed_archive_searchable(archive_path):
    with Archive(archive_path) as archive:
        archive.conn.execute("DELETE FROM versions_fts")  # as written before the index existed
    assert found(archive_path, "数字政府") == []
    result = CliRunner().invoke(cli, ["search", "--archive", str(archive_path), "--reindex", "数字政府"])
    assert result.exit_code == 0, result.output
    assert HUNAN in result.output
    assert found(archive_path, "數字政府") == [HUNAN]


def test_rebuild_index_replaces_rows_indexed_in_traditional_script(archive_path):
    with Archive(archive_path) as archive:
        archive.conn.execute(
            "UPDATE versions_fts SET text = (SELECT text FROM versions WHERE versions.id = versions_fts.rowid)"
        )
        assert rebuild_index(archive) == 7
        count = archive.conn.execute("SELECT COUNT(*) FROM versions_fts").fetchone()[0]
    assert count == 7
    assert found(archive_path, "职业安全卫生") == [TAIWAN]


def test_cli_marks_matches_with_brackets_when_not_a_terminal(archive_path):
    result = CliRunner().invoke(cli, ["search", "--archive", str(archive_path), "值班值守"])
    assert result.exit_code == 0, result.output
    assert "【值班值守】" in result.output
    assert FLOOD in result.output
    assert "防汛防台工作部署" in result.output


def test_cli_json_lines_use_mark_tags(archive_path):
    result = CliRunner().invoke(cli, ["search", "--archive", str(archive_path), "通知", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["url"] for line in lines] == [HUNAN, SAFETY]
    assert "<mark>通知</mark>" in lines[0]["snippet"]
    assert lines[1]["version"] == 2


def test_cli_without_a_query_is_a_usage_error(archive_path):
    result = CliRunner().invoke(cli, ["search", "--archive", str(archive_path)])
    assert result.exit_code == 2


def test_cli_reports_no_match(archive_path):
    result = CliRunner().invoke(cli, ["search", "--archive", str(archive_path), "不存在的词语"])
    assert result.exit_code == 0
    assert "no notices match" in result.output


def test_snippets_keep_the_script_the_notice_is_written_in(archive_path):
    with Archive(archive_path, readonly=True) as archive:
        indexed = search(archive, "安全生产", site="tw")[0].snippet
        scanned = search(archive, "职业", site="tw")[0].snippet
    assert f"{HIGHLIGHT_START}安全生產{HIGHLIGHT_END}" in indexed
    assert indexed.startswith("為加強職業")
    assert f"{HIGHLIGHT_START}職業{HIGHLIGHT_END}" in scanned


def test_snippet_of_a_long_traditional_notice_is_cut_around_the_match(tmp_path):
    path = tmp_path / "long.db"
    text = "各單位應依規定辦理。" * 20 + "本次颱風災害應變措施如下。" + "請各單位確實遵照辦理。" * 20
    with Archive(path) as archive:
        store(archive, "tw", TAIWAN, [("2024-03-12T02:00:00+00:00", "颱風", text)])
    with Archive(path, readonly=True) as archive:
        snippet = search(archive, "台风灾害应变")[0].snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert f"{HIGHLIGHT_START}颱風災害應變{HIGHLIGHT_END}" in snippet
    plain = snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    assert plain.strip("…") in text


@pytest.mark.parametrize("query", ["", "   ", "\u3000"])
def test_blank_query_is_a_usage_error(archive_path, query):
    result = CliRunner().invoke(cli, ["search", query, "--archive", str(archive_path)])
    assert result.exit_code == 2, result.output
    assert "QUERY" in result.output
