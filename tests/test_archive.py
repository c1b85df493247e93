"""The archive file: schema, transactions, blob dedup, history reads."""
from __future__ import annotations

import sqlite3

import pytest

from storage.archive import Archive, ArchiveError
from storage.records import VersionContent
from storage.schema import SCHEMA_VERSION

AT = "2026-01-01T00:00:00+00:00"


def content(text: str, fingerprint: str | None = None, **fields) -> VersionContent:
    return VersionContent(fingerprint=fingerprint or str(hash(text)), text=text, **fields)


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        yield archive


def test_new_archive_is_migrated_and_in_wal_mode(archive):
    assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"sites", "pages", "captures", "versions", "changes", "blobs"} <= set(archive.db.table_names())


def test_identical_raw_bodies_are_stored_once(archive):
    with archive.transaction():
        page = archive.ensure_page("s", "http://a/1", AT)
        for _ in range(3):
            archive.add_capture(page.id, fetched_at=AT, status=200, outcome="new", body="同一页面".encode() * 100)
    assert archive.counts()["blobs"] == 1
    assert archive.counts()["captures"] == 3
    sha = archive.captures("http://a/1")[0].body_sha256
    assert archive.raw_body(sha) == "同一页面".encode() * 100


def test_failed_item_rolls_back_completely(archive):
    with pytest.raises(RuntimeError), archive.transaction():
        page = archive.ensure_page("s", "http://a/1", AT)
        archive.add_capture(page.id, fetched_at=AT, status=200, outcome="new", body=b"x")
        raise RuntimeError("crash mid-item")
    assert archive.counts() == {"sites": 0, "pages": 0, "captures": 0, "versions": 0, "changes": 0, "blobs": 0}


def test_versions_are_numbered_per_page_and_become_current(archive):
    with archive.transaction():
        page = archive.ensure_page("s", "http://a/1", AT)
        archive.add_version(page.id, content("一", title="甲"), created_at=AT, capture_id=None)
        second = archive.add_version(page.id, content("二", title="乙"), created_at=AT, capture_id=None)
    assert second.number == 2
    assert archive.page_state("http://a/1").current_version_id == second.id
    assert [v.text for v in archive.versions("http://a/1")] == ["一", "二"]
    assert archive.version("http://a/1", 1).title == "甲"
    with pytest.raises(ArchiveError, match="no version 7"):
        archive.version("http://a/1", 7)


def test_unknown_url_is_a_clear_error(archive):
    with pytest.raises(ArchiveError, match="no page"):
        archive.captures("http://nowhere/")


def test_readonly_open_of_missing_archive_says_how_to_make_one(tmp_path):
    with pytest.raises(ArchiveError, match="portalwatch crawl"):
        Archive(tmp_path / "missing.db", readonly=True)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ArchiveError, match="not an SQLite database"):
        Archive(path)


def test_archive_from_a_newer_portalwatch_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(RuntimeError, match="upgrade portalwatch"):
        Archive(path)


def test_reopening_keeps_data_and_schema(tmp_path):
    with Archive(tmp_path / "a.db") as archive, archive.transaction():
        page = archive.ensure_page("s", "http://a/1", AT)
        archive.add_version(page.id, content("正文"), created_at=AT, capture_id=None)
    with Archive(tmp_path / "a.db") as archive:
        assert archive.version("http://a/1").text == "正文"


def test_unchanged_capture_row_is_small(tmp_path):
    """An unchanged re-fetch adds a captures row only: measure bytes per row on disk."""
    path = tmp_path / "a.db"
    with Archive(path) as archive:
        with archive.transaction():
            page = archive.ensure_page("s", "http://www.hunan.gov.cn/zwdt/202403/t20240305_123456.html", AT)
            sha = archive.store_blob(b"<html>" + b"x" * 5000)
        archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = path.stat().st_size
        for _ in range(2000):
            with archive.transaction():
                archive.add_capture(page.id, fetched_at=AT, status=200, outcome="unchanged", body_sha256=sha,
                                    headers={"etag": '"abc"', "content-type": "text/html"})
        archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        per_row = (path.stat().st_size - before) / 2000
    assert per_row < 300


def test_archives_opened_at_the_same_moment_are_migrated_once(tmp_path):
    import threading

    path = tmp_path / "race.db"
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def open_it() -> None:
        barrier.wait()
        try:
            Archive(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Archive(path) as archive:
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
