"""portalwatch export: every format reads back as the archive holds it; filters; flat memory."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from storage.archive import Archive
from storage.records import VersionContent

NOTICE_A = "http://gov.example.cn/art/2024/3/5/art_1_1.html"
NOTICE_B = "http://gov.example.cn/art/2024/3/9/art_1_2.html"
NOTICE_C = "http://other.example.cn/c/2024-04/01/content_3.htm"


def content(text: str, fingerprint: str, **fields) -> VersionContent:
    return VersionContent(fingerprint=fingerprint, text=text, **fields)


def store(archive: Archive, site: str, url: str, versions: list[tuple[str, VersionContent]],
          *, status: str = "live") -> None:
    """One notice with its versions, each from its own capture, as a crawl would store it."""
    with archive.transaction():
        page = archive.ensure_page(site, url, versions[0][0])
        for at, version in versions:
            capture = archive.add_capture(page.id, fetched_at=at, status=200, outcome="new",
                                          body=f"<html>{version.text}</html>".encode())
            archive.add_version(page.id, version, created_at=at, capture_id=capture)
        archive.update_page(page.id, status=status, last_checked=versions[-1][0])


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "portalwatch.db"
    with Archive(path) as archive:
        store(archive, "zj", NOTICE_A, [
            ("2024-03-05T02:00:00+00:00", content(
                "各县（市、区）应急管理局：\n为切实做好安全生产工作，现将有关事项通知如下。", "a1",
                title="关于做好安全生产工作的通知", published="2024-03-05", source="省应急管理厅",
                editor="王五", doc_number="浙应急〔2024〕12号", index_number="002482-07-2024-0012",
                issuer="浙江省应急管理厅",
                attachments=[{"url": "http://gov.example.cn/att/1.pdf", "text": "附件1：检查表"}])),
            ("2024-03-20T02:00:00+00:00", content(
                "各县（市、区）应急管理局：\n为切实做好安全生产工作，现将有关事项通知如下（修订）。", "a2",
                title="关于做好安全生产工作的通知", published="2024-03-05", source="省应急管理厅",
                editor="王五", doc_number="浙应急〔2024〕12号", index_number="002482-07-2024-0012",
                issuer="浙江省应急管理厅",
                attachments=[{"url": "http://gov.example.cn/att/1.pdf", "text": "附件1：检查表"}])),
        ], status="removed")
        store(archive, "zj", NOTICE_B, [
            ("2024-03-10T02:00:00+00:00", content("防汛防台工作部署，\"引号\",逗号。", "b1",
                                                  title="防汛通知", published="2024-03-09 10:30")),
        ])
        store(archive, "hn", NOTICE_C, [
            ("2024-04-02T02:00:00+00:00", content("湖南省人民政府办公厅关于印发方案的通知", "c1",
                                                  title="印发方案", author="李四")),
        ])
    return path


def expected_records(path: Path, *, all_versions: bool = False) -> list[dict]:
    """What an export must hold, read through the archive's own API."""
    records = []
    with Archive(path, readonly=True) as archive:
        pages = sorted(archive.pages(), key=lambda p: p.id)
        for page in pages:
            versions = archive.versions(page.url)
            for version in versions if all_versions else versions[-1:]:
                records.append({
                    "page_id": page.id, "url": page.url, "site": page.site, "title": version.title,
                    "published": version.published, "source": version.source, "editor": version.editor,
                    "author": version.author, "doc_number": version.doc_number,
                    "index_number": version.index_number, "issuer": version.issuer,
                    "attachments": version.attachments, "first_seen": page.first_seen,
                    "last_seen": page.last_checked, "status": page.status, "version": version.number,
                    "captured_at": version.created_at, "text": version.text,
                })
    return records


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def export_jsonl(path: Path, *args: str) -> list[dict]:
    code, output = run("export", "--archive", str(path), *args)
    assert code == 0, output
    return [json.loads(line) for line in output.splitlines() if line]


def test_jsonl_export_holds_the_latest_version_of_every_notice(archive_path):
    records = export_jsonl(archive_path)
    assert records == expected_records(archive_path)
    assert [r["version"] for r in records] == [2, 1, 1]
    assert records[0]["status"] == "removed"
    assert records[0]["attachments"] == [{"url": "http://gov.example.cn/att/1.pdf", "text": "附件1：检查表"}]


def test_all_versions_gives_one_record_per_version(archive_path):
    records = export_jsonl(archive_path, "--all-versions")
    assert records == expected_records(archive_path, all_versions=True)
    assert [(r["url"], r["version"]) for r in records][:2] == [(NOTICE_A, 1), (NOTICE_A, 2)]


def test_csv_starts_with_a_bom_and_reads_back_with_utf8_sig(archive_path, tmp_path):
    out = tmp_path / "notices.csv"
    code, output = run("export", "--archive", str(archive_path), "--format", "csv", "--all-versions",
                       "-o", str(out))
    assert code == 0, output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = expected_records(archive_path, all_versions=True)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected):
        assert json.loads(row.pop("attachments")) == want.pop("attachments")
        assert int(row.pop("page_id")) == want.pop("page_id")
        assert int(row.pop("version")) == want.pop("version")
        assert row == {k: "" if v is None else v for k, v in want.items()}


def test_csv_on_stdout_also_has_the_bom(archive_path):
    result = CliRunner().invoke(cli, ["export", "--archive", str(archive_path), "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfpage_id,url,site,")
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"), newline="")))
    assert len(rows) == 4


def test_parquet_reads_back_with_pyarrow(archive_path, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "notices.parquet"
    code, output = run("export", "--archive", str(archive_path), "--format", "parquet", "--all-versions",
                       "-o", str(out))
    assert code == 0, output
    table = pq.read_table(out)
    assert str(table.schema.field("version").type) == "int32"
    assert table.to_pylist() == expected_records(archive_path, all_versions=True)


def test_parquet_without_pyarrow_says_how_to_install_it(archive_path, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.modules["pyarrow"] = None  # as if pyarrow were not installed
        from monitor.cli import cli
        cli(["export", "--archive", {str(archive_path)!r}, "--format", "parquet",
             "-o", {str(tmp_path / "x.parquet")!r}])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "portalwatch[parquet]" in done.stderr


def test_txt_export_writes_site_year_month_tree_with_a_header(archive_path, tmp_path):
    folder = tmp_path / "txt"
    code, output = run("export", "--archive", str(archive_path), "--format", "txt", "-o", str(folder))
    assert code == 0, output
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.txt"))
    # published when known, else the month of capture (NOTICE_C has no published date)
    assert files == ["hn/2024/04/3.txt", "zj/2024/03/1.txt", "zj/2024/03/2.txt"]
    document = (folder / "zj/2024/03/1.txt").read_text(encoding="utf-8")
    header, _, body = document.partition("\n\n")
    assert header.splitlines()[:3] == ["标题: 关于做好安全生产工作的通知", "发布时间: 2024-03-05",
                                       "来源: 省应急管理厅"]
    assert f"URL: {NOTICE_A}" in header
    assert "附件: 附件1：检查表 http://gov.example.cn/att/1.pdf" in header
    assert body == expected_records(archive_path)[0]["text"] + "\n"


def test_txt_export_of_all_versions_names_files_by_version(archive_path, tmp_path):
    folder = tmp_path / "txt"
    code, _ = run("export", "--archive", str(archive_path), "--format", "txt", "--all-versions",
                  "--site", "zj", "-o", str(folder))
    assert code == 0
    assert sorted(p.name for p in folder.rglob("*.txt")) == ["1-v1.txt", "1-v2.txt", "2-v1.txt"]


def test_site_filter_keeps_one_site(archive_path):
    assert {r["site"] for r in export_jsonl(archive_path, "--site", "hn")} == {"hn"}
    assert len(export_jsonl(archive_path, "--site", "zj")) == 2


def test_since_and_until_bound_the_capture_time(archive_path):
    records = export_jsonl(archive_path, "--all-versions", "--since", "2024-03-10", "--until", "2024-03-20")
    assert [(r["url"], r["version"]) for r in records] == [(NOTICE_A, 2), (NOTICE_B, 1)]
    records = export_jsonl(archive_path, "--all-versions", "--until", "2024-03-20T01:59:59+00:00")
    assert [(r["url"], r["version"]) for r in records] == [(NOTICE_A, 1), (NOTICE_B, 1)]


def test_latest_with_until_gives_the_notice_as_it_stood_then(archive_path):
    records = export_jsonl(archive_path, "--until", "2024-03-15")
    assert [(r["url"], r["version"]) for r in records] == [(NOTICE_A, 1), (NOTICE_B, 1)]


def test_changed_only_keeps_notices_with_several_versions(archive_path):
    assert [(r["url"], r["version"]) for r in export_jsonl(archive_path, "--changed-only")] == [(NOTICE_A, 2)]
    assert len(export_jsonl(archive_path, "--changed-only", "--all-versions")) == 2


def test_txt_and_parquet_need_an_output_path(archive_path):
    for fmt in ("txt", "parquet"):
        code, output = run("export", "--archive", str(archive_path), "--format", fmt)
        assert code == 2
        assert "-o PATH" in output


def test_a_bad_date_is_a_usage_error(archive_path):
    code, output = run("export", "--archive", str(archive_path), "--since", "2024-02-30")
    assert code == 2
    assert "--since" in output


def test_missing_archive_fails_clearly(tmp_path):
    code, output = run("export", "--archive", str(tmp_path / "none.db"))
    assert code == 1
    assert "no archive" in output


# -- memory: the export streams ----------------------------------------------------------------

SYNTHETIC_TEXT = "为进一步加强安全生产工作，切实做好防汛防台各项准备，现就有关事项通知如下。" * 6


def build_synthetic_archive(path: Path, versions: int) -> None:
    """``versions`` versions (two per notice) written straight into a real archive's tables."""
    with Archive(path) as archive:
        conn = archive.conn
        site_id = archive.site_id("big")
        pages = versions // 2
        with archive.transaction():
            conn.executemany(
                "INSERT INTO pages (id, site_id, url, first_seen, status, title, published)"
                " VALUES (?, ?, ?, '2024-01-01T00:00:00+00:00', 'live', ?, '2024-01-01')",
                ((i, site_id, f"http://big.example.cn/art/{i}.html", f"通知{i}") for i in range(1, pages + 1)),
            )
            conn.executemany(
                "INSERT INTO versions (page_id, number, created_at, fingerprint, title, published, text,"
                " attachments) VALUES (?, ?, ?, ?, ?, '2024-01-01', ?, ?)",
                ((n % pages + 1, n // pages + 1, f"2024-01-01T00:00:00.{n:06d}+00:00", f"fp{n}",
                  f"关于第{n}项工作的通知", f"{n} {SYNTHETIC_TEXT}",
                  '[{"url": "http://big.example.cn/a.pdf", "text": "附件"}]') for n in range(versions)),
            )


def peak_rss_of_export(path: Path, until: str | None) -> int:
    """Peak RSS (KB) of a fresh interpreter exporting every version to /dev/null."""
    args = ["export", "--archive", str(path), "--all-versions", "-o", "/dev/null"]
    if until:
        args += ["--until", until]
    script = textwrap.dedent(f"""
        import resource
        from monitor.cli import cli
        cli.main({args!r}, standalone_mode=False)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


def test_export_memory_does_not_grow_with_archive_size(tmp_path):
    path = tmp_path / "big.db"
    build_synthetic_archive(path, 100_000)
    small = peak_rss_of_export(path, until="2024-01-01T00:00:00.020000+00:00")  # first 20,000
    large = peak_rss_of_export(path, until=None)
    assert (large - small) / 1024 < 30, f"peak RSS {small // 1024} MB for 20k, {large // 1024} MB for 100k"
