"""Chinese full-text search over versions (FTS5, trigram tokenizer).

Placeholder kept minimal until the search feature lands: :func:`index_version` keeps
``versions_fts`` in step with ``versions``.
"""
from __future__ import annotations

import sqlite3

from storage.records import StoredVersion


def index_version(conn: sqlite3.Connection, version: StoredVersion) -> None:
    conn.execute(
        "INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)",
        (version.id, version.title or "", version.text),
    )
