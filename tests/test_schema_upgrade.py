"""An archive written before mass changes and not-found pages opens, read-only too."""
from __future__ import annotations

import sqlite3

from storage.archive import Archive
from storage.schema import MIGRATIONS, SCHEMA_VERSION, _statements


def test_an_older_archive_is_upgraded_before_a_read_only_command_reads_it(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for sql in MIGRATIONS[:2]:
        for statement in _statements(sql):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO sites (name) VALUES ('hunan')")
    conn.execute("INSERT INTO pages (site_id, url, first_seen) VALUES (1, 'http://a.gov.cn/t20240101_1.html', 'x')")
    conn.execute("INSERT INTO changes (page_id, kind, detected_at) VALUES (1, 'new', 'x')")
    conn.close()
    with Archive(path, readonly=True) as archive:
        [change] = archive.changes()
        assert change.batch_id is None and change.as_json()["batch_id"] is None
        assert archive.not_found_page("hunan") is None
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
