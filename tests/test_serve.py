"""`portalwatch serve`: the archive on Datasette, read-only, with a diff page per change.

The archive is built with the real Archive API; pages are fetched through Datasette's own
ASGI test client, so the hooks, templates and the CSP wrapper run as they do when served.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.browse import QUERIES, TABLES, build_datasette
from monitor.cli import cli
from storage.archive import Archive
from storage.records import VersionContent

NOTICE_URL = "http://www.example.gov.cn/art/2024/3/1/art_1_101.html"
REMOVED_URL = "http://www.example.gov.cn/art/2024/2/9/art_1_99.html"
TEXT_BEFORE = "各有关单位：\n报名截止时间为2024年3月5日。\n请按时提交材料。\n"
TEXT_AFTER = "各有关单位：\n报名截止时间为2024年3月9日。\n请按时提交材料。\n联系人：王科长。\n"
HOSTILE_TEXT = "附件说明<script>document.title='pwned'</script><img src=x onerror=\"alert(1)\">。\n"


@dataclass
class Built:
    path: Path
    edit_id: int
    removed_id: int
    hostile_id: int


def build_archive(path: Path) -> Built:
    """An archive with an edited notice, a removed one and one whose capture holds markup."""
    archive = Archive(path)
    with archive.transaction():
        page = archive.ensure_page("hunan", NOTICE_URL, "2024-03-01T08:00:00+08:00")
        first = archive.add_capture(page.id, fetched_at="2024-03-01T08:00:00+08:00", status=200, outcome="new",
                                    body=b"<html><body>v1</body></html>",
                                    headers={"content-type": "text/html; charset=utf-8"})
        v1 = archive.add_version(
            page.id,
            VersionContent(fingerprint="f1", text=TEXT_BEFORE, title="关于开展2024年度招标工作的通知",
                           published="2024-03-01", source="市财政局", issuer="市财政局", doc_number="财办〔2024〕3号"),
            created_at="2024-03-01T08:00:00+08:00", capture_id=first,
        )
        second = archive.add_capture(page.id, fetched_at="2024-03-02T08:00:00+08:00", status=200,
                                     outcome="changed", body=b"<html><body>v2</body></html>")
        v2 = archive.add_version(
            page.id,
            VersionContent(fingerprint="f2", text=TEXT_AFTER, title="关于开展2024年度招标工作的通知",
                           published="2024-03-01", source="市财政局办公室", issuer="市财政局",
                           doc_number="财办〔2024〕3号"),
            created_at="2024-03-02T08:00:00+08:00", capture_id=second,
        )
        edit_id = archive.add_change(page.id, "edited", detected_at="2024-03-02T08:00:05+08:00",
                                     fields=["text", "source"], from_version_id=v1.id, to_version_id=v2.id,
                                     capture_id=second)
        third = archive.add_capture(page.id, fetched_at="2024-03-03T08:00:00+08:00", status=200,
                                    outcome="changed", body=b"<html><script>alert(1)</script></html>")
        v3 = archive.add_version(
            page.id,
            VersionContent(fingerprint="f3", text=TEXT_AFTER + HOSTILE_TEXT, title="关于开展2024年度招标工作的通知",
                           published="2024-03-01", source="市财政局办公室", issuer="市财政局"),
            created_at="2024-03-03T08:00:00+08:00", capture_id=third,
        )
        hostile_id = archive.add_change(page.id, "edited", detected_at="2024-03-03T08:00:05+08:00",
                                        fields=["text"], from_version_id=v2.id, to_version_id=v3.id)

        gone = archive.ensure_page("zhejiang", REMOVED_URL, "2024-02-09T09:00:00+08:00")
        capture = archive.add_capture(gone.id, fetched_at="2024-02-09T09:00:00+08:00", status=200, outcome="new",
                                      body=b"<html>gone soon</html>")
        last = archive.add_version(
            gone.id, VersionContent(fingerprint="g1", text="本次采购项目已终止。", title="采购项目终止公告",
                                    issuer="省政府采购中心"),
            created_at="2024-02-09T09:00:00+08:00", capture_id=capture,
        )
        archive.add_capture(gone.id, fetched_at="2024-02-10T09:00:00+08:00", status=404, outcome="removed")
        removed_id = archive.add_change(gone.id, "removed", detected_at="2024-02-10T09:00:00+08:00",
                                        from_version_id=last.id, note="HTTP 404")
        archive.update_page(gone.id, status="removed")
    archive.close()
    return Built(path, edit_id, removed_id, hostile_id)


@pytest.fixture
def built(tmp_path) -> Built:
    return build_archive(tmp_path / "archive.db")


@pytest.fixture
def datasette(built):
    ds = build_datasette(built.path)
    yield ds
    for database in ds.databases.values():
        database.close()


def get(datasette, path: str):
    return asyncio.run(datasette.client.get(path))


def csp_of(response) -> str:
    return response.headers["content-security-policy"]


# -- the change page -------------------------------------------------------------------------


def test_change_page_shows_deleted_and_inserted_text(datasette, built):
    response = get(datasette, f"/-/change/{built.edit_id}")
    assert response.status_code == 200
    page = response.text
    assert "报名截止时间为2024年3月<del>5</del>日。" in page
    assert "报名截止时间为2024年3月<ins>9</ins>日。" in page
    assert "<ins>联系人：王科长。</ins>" in page
    assert 'class="pw-side-by-side"' in page


def test_change_page_states_notice_kind_fields_and_detection_time(datasette, built):
    page = get(datasette, f"/-/change/{built.edit_id}").text
    assert "<h1 class=\"pw-title\">关于开展2024年度招标工作的通知</h1>" in page
    assert f'<a href="{NOTICE_URL}" rel="noopener noreferrer nofollow">' in page
    assert 'class="pw-kind pw-kind-edited">edited<' in page
    assert '<dd class="pw-fields">text, source</dd>' in page
    assert "2024-03-02T08:00:05+08:00" in page


def test_change_page_shows_metadata_field_changes(datasette, built):
    page = get(datasette, f"/-/change/{built.edit_id}").text
    row = re.search(r'<tr class="pw-field-source">.*?</tr>', page, re.DOTALL)
    assert row, "the changed 来源 field has a row"
    assert "<td>市财政局</td>" in row.group(0)
    assert "<td>市财政局办公室</td>" in row.group(0)
    assert "<ins>办公室</ins>" in row.group(0)
    assert 'pw-field-issuer' not in page  # unchanged fields are not listed


def test_change_page_as_json_lists_the_text_edits(datasette, built):
    data = get(datasette, f"/-/change/{built.edit_id}?_format=json").json()
    assert data["kind"] == "edited" and data["url"] == NOTICE_URL
    assert {"op": "delete", "text": "5"} in data["text_diff"]
    assert {"op": "insert", "text": "9"} in data["text_diff"]
    assert data["before"]["source"] == "市财政局" and data["after"]["source"] == "市财政局办公室"


def test_removed_change_page_shows_the_last_text_as_deleted(datasette, built):
    page = get(datasette, f"/-/change/{built.removed_id}").text
    assert "pw-kind-removed" in page
    assert "HTTP 404" in page
    assert "<del>本次采购项目已终止。</del>" in page


def test_the_app_can_be_built_and_used_inside_a_running_event_loop(built):
    async def build_and_fetch():
        datasette = build_datasette(built.path)
        response = await datasette.client.get(f"/-/change/{built.edit_id}")
        return response.status_code, response.headers.get("content-security-policy", "")

    status, policy = asyncio.run(build_and_fetch())
    assert status == 200 and "'sha256-" in policy


def test_unknown_change_is_404(datasette):
    assert get(datasette, "/-/change/9999").status_code == 404


# -- captured markup never runs ----------------------------------------------------------------


def test_captured_markup_is_escaped_on_the_change_page(datasette, built):
    page = get(datasette, f"/-/change/{built.hostile_id}").text
    assert "<script>document.title" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_captured_markup_is_escaped_in_the_versions_table(datasette):
    page = get(datasette, "/archive/versions").text
    assert "<script>document.title" not in page
    assert "&lt;script&gt;document.title" in page


def test_a_javascript_url_is_not_made_a_link():
    from monitor.browse import safe_link

    assert "<a" not in safe_link("javascript:alert(1)")
    assert str(safe_link("javascript:alert(1)")) == "javascript:alert(1)"
    assert safe_link('http://x.gov.cn/?a="><script>').count("<script>") == 0


def test_raw_bodies_are_downloads_not_html(datasette):
    listing = get(datasette, "/archive/blobs").text
    link = re.search(r'class="blob-download" href="([^"]+)"', listing)
    assert link, "blob content is offered as a download"
    response = get(datasette, link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert not response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"


# -- content security policy ---------------------------------------------------------------------

PAGES = ["/", "/archive", "/archive/changes", "/archive/versions?_search=截止时间", "/archive/recent_changes",
         "/archive/search?q=招标工作", "/-/change/1", "/-/change/9999", "/-/static/app.css",
         "/-/portalwatch/portalwatch.css", "/archive/changes.json"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_a_script_blocking_csp(datasette, path):
    policy = csp_of(get(datasette, path))
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    script_sources = directives["script-src"].split()
    assert "'unsafe-inline'" not in script_sources and "'unsafe-eval'" not in script_sources
    assert all(s == "'self'" or s.startswith("'sha256-") for s in script_sources)


@pytest.mark.parametrize("path", ["/archive", "/archive/changes", "/archive/recent_changes", "/-/change/1"])
def test_datasette_inline_scripts_are_allowed_by_hash(datasette, path):
    response = get(datasette, path)
    inline = [m.group(2) for m in re.finditer(r"<script([^>]*)>(.*?)</script>", response.text, re.DOTALL)
              if "src=" not in m.group(1)]
    assert inline, "Datasette pages carry inline scripts"
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp_of(response), body[:80]


def test_change_page_loads_its_stylesheet(datasette, built):
    page = get(datasette, f"/-/change/{built.edit_id}").text
    assert "/-/portalwatch/portalwatch.css" in page
    css = get(datasette, "/-/portalwatch/portalwatch.css")
    assert css.status_code == 200 and ".pw-side-by-side" in css.text


# -- read-only -----------------------------------------------------------------------------------


def test_archive_is_opened_read_only(datasette, built):
    before = hashlib.sha256(built.path.read_bytes()).hexdigest()
    database = datasette.get_database("archive")

    async def write():
        await database.execute_write("INSERT INTO sites (name) VALUES ('intruder')")

    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        asyncio.run(write())
    response = get(datasette, "/archive.json?sql=delete+from+changes")
    assert response.status_code == 400
    assert get(datasette, "/archive/changes.json?_shape=array").json()
    assert hashlib.sha256(built.path.read_bytes()).hexdigest() == before


def test_read_connections_refuse_writes_too(datasette):
    database = datasette.get_database("archive")
    with pytest.raises(sqlite3.OperationalError):
        asyncio.run(database.execute("UPDATE pages SET status = 'live'"))
    rows = asyncio.run(database.execute("PRAGMA query_only")).rows
    assert rows[0][0] == 1


def test_changes_written_while_serving_show_up(datasette, built):
    """Read-only, not immutable: a crawl may write the archive while it is served."""
    assert len(get(datasette, "/archive/changes.json?_shape=array").json()) == 3
    writer = Archive(built.path)
    with writer.transaction():
        page = writer.page_state(NOTICE_URL)
        new_id = writer.add_change(page.id, "delisted", detected_at="2024-03-04T08:00:00+08:00")
    writer.close()
    newest = get(datasette, "/archive/recent_changes.json?_shape=array").json()[0]
    assert newest["change_id"] == new_id and newest["kind"] == "delisted"
    assert get(datasette, f"/-/change/{new_id}").status_code == 200


# -- metadata, links and canned queries ------------------------------------------------------------


def schema_tables(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'versions_fts%'"
            " AND name NOT LIKE 'attachments_fts%'"
            " AND name NOT LIKE 'sqlite_%'")]
        return {name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] for name in names}
    finally:
        conn.close()


def test_metadata_describes_every_table_and_column(built):
    tables = schema_tables(built.path)
    assert set(tables) == {"sites", "pages", "captures", "versions", "changes", "blobs", "header_sets",
                           "deliveries", "change_batches", "batch_deliveries", "not_found_pages",
                           "announcements", "announce_targets", "site_locks", "attachment_files",
                           "attachment_fetches"}
    for name, columns in tables.items():
        meta = TABLES[name]
        assert meta["title"] and meta["description"], name
        assert set(meta["columns"]) == set(columns), name
        assert all(meta["columns"].values()), name


def test_table_pages_show_descriptions(datasette):
    page = get(datasette, "/archive/versions").text
    assert TABLES["versions"]["description"].split(".")[0] in page
    assert "发布机关: the issuing body." in page


def test_index_hides_raw_bodies_and_the_search_index(datasette):
    tables = {t["name"]: t for t in get(datasette, "/archive.json").json()["tables"]}
    assert tables["blobs"]["hidden"] and tables["versions_fts"]["hidden"]
    assert all(t["hidden"] for name, t in tables.items() if name.startswith("versions_fts_"))
    assert not tables["changes"]["hidden"] and not tables["versions"]["hidden"]


def test_changes_table_links_each_kind_to_its_diff_page(datasette, built):
    page = get(datasette, "/archive/changes").text
    assert f'<a href="/-/change/{built.edit_id}">edited</a>' in page
    assert f'<a href="/-/change/{built.removed_id}">removed</a>' in page


def test_version_ids_link_to_the_version(datasette, built):
    page = get(datasette, "/archive/changes").text
    assert '<td class="col-from_version_id type-int"><a href="/archive/versions/1">1</a></td>' in page
    search = get(datasette, "/archive/search?q=王科长").text
    assert '<a href="/archive/versions/2">2</a>' in search


def test_recent_changes_lists_newest_first_with_links(datasette, built):
    rows = get(datasette, "/archive/recent_changes.json?_shape=array").json()
    assert [r["change_id"] for r in rows] == [built.hostile_id, built.edit_id, built.removed_id]
    page = get(datasette, "/archive/recent_changes").text
    assert f'<a href="/-/change/{built.edit_id}">{built.edit_id}</a>' in page


def test_removed_notices_query(datasette, built):
    rows = get(datasette, "/archive/removed_notices.json?_shape=array").json()
    assert [(r["change_id"], r["url"], r["note"], r["title"]) for r in rows] == [
        (built.removed_id, REMOVED_URL, "HTTP 404", "采购项目终止公告")
    ]


def test_edits_by_site_query(datasette):
    rows = get(datasette, "/archive/edits_by_site.json?_shape=array").json()
    assert {r["site"]: (r["edits"], r["notices_edited"]) for r in rows} == {"hunan": (2, 1), "zhejiang": (0, 0)}


def test_notices_by_issuer_query(datasette):
    rows = get(datasette, "/archive/notices_by_issuer.json?_shape=array").json()
    counts = {r["issuer"]: (r["notices"], r["removed"], r["edits"]) for r in rows}
    assert counts == {"市财政局": (1, 0, 2), "省政府采购中心": (1, 1, 0)}


def test_search_finds_a_phrase_in_any_version(datasette):
    rows = get(datasette, "/archive/search.json?_shape=array&q=联系人：王科长").json()
    assert {r["version"] for r in rows} == {2, 3}
    assert all("【联系人：王科长】" in r["excerpt"] for r in rows)


def test_search_in_traditional_characters_finds_simplified_text(datasette):
    rows = get(datasette, "/archive/search.json?_shape=array&q=聯繫人").json()
    assert {r["version"] for r in rows} == {2, 3}
    assert all("【联系人】" in r["excerpt"] for r in rows), rows


def test_search_with_two_characters_falls_back_to_a_scan(datasette):
    rows = get(datasette, "/archive/search.json?_shape=array&q=终止").json()
    assert [r["url"] for r in rows] == [REMOVED_URL]


def test_search_with_quotes_is_not_an_fts_syntax_error(datasette):
    response = get(datasette, '/archive/search.json?_shape=array&q=a"b OR c')
    assert response.status_code == 200 and response.json() == []


def test_every_canned_query_runs(datasette):
    for name in QUERIES:
        response = get(datasette, f"/archive/{name}.json?q=招标工作")
        assert response.status_code == 200, (name, response.text[:300])


# -- the command ---------------------------------------------------------------------------------


def test_serve_on_a_public_host_without_public_is_a_usage_error(built):
    result = CliRunner().invoke(cli, ["serve", "--archive", str(built.path), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--public" in result.output


def test_serve_without_an_archive_fails(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--archive", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert "no archive" in result.output


def test_serve_on_a_busy_port_fails_clearly(built):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--archive", str(built.path), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_public_flag(host):
    from monitor.commands.serve_cmds import check_host

    check_host(host, public=False)


def test_home_page_lists_only_the_archive(datasette):
    page = get(datasette, "/")
    assert page.status_code == 200
    assert "_memory" not in page.text
    assert "/archive" in page.text
