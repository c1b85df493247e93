"""Archive schema as an ordered list of migrations.

The schema version lives in SQLite's ``PRAGMA user_version``. Each migration runs once, in
its own transaction, so an archive written by an older portalwatch opens with a newer one
(later features add tables and columns by appending a migration; never edit an old one).
"""
from __future__ import annotations

import sqlite3

INITIAL = """
        CREATE TABLE sites (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            first_crawled TEXT,
            last_crawled TEXT,
            rounds INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES sites(id),
            url TEXT NOT NULL UNIQUE,
            first_seen TEXT NOT NULL,
            last_checked TEXT,
            last_http_status INTEGER,
            status TEXT NOT NULL DEFAULT 'pending',
            listed INTEGER NOT NULL DEFAULT 1,
            listed_in TEXT,
            last_listed_at TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            etag TEXT,
            last_modified TEXT,
            last_body_sha256 TEXT,
            current_version_id INTEGER,
            title TEXT,
            published TEXT
        );
        CREATE INDEX pages_site ON pages(site_id);
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            compression TEXT NOT NULL,
            content BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE header_sets (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            headers TEXT NOT NULL
        );
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            fetched_at TEXT NOT NULL,
            status INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            body_sha256 TEXT,
            header_set_id INTEGER,
            final_url TEXT,
            version_id INTEGER,
            error TEXT,
            warc_record_id TEXT
        );
        CREATE INDEX captures_page ON captures(page_id);
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            number INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            capture_id INTEGER,
            fingerprint TEXT NOT NULL,
            title TEXT,
            published TEXT,
            source TEXT,
            editor TEXT,
            author TEXT,
            doc_number TEXT,
            index_number TEXT,
            issuer TEXT,
            attachments TEXT,
            text TEXT NOT NULL,
            extractor TEXT,
            reextracted INTEGER NOT NULL DEFAULT 0,
            UNIQUE (page_id, number)
        );
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            kind TEXT NOT NULL,
            fields TEXT,
            detected_at TEXT NOT NULL,
            from_version_id INTEGER,
            to_version_id INTEGER,
            capture_id INTEGER,
            note TEXT
        );
        CREATE INDEX changes_page ON changes(page_id);
        CREATE INDEX changes_detected ON changes(detected_at);
"""

# Full-text search (Chinese has no spaces: the trigram tokenizer matches any substring of 3+
# characters) over a Simplified-Chinese form of each version, so that a query in either
# script finds text written in the other; rowid = versions.id. Kept in step by
# storage.search.index_version, called by Archive.add_version. And a log of alert
# deliveries, so a failing target is retried and never loses a change.
SEARCH_AND_DELIVERIES = """
CREATE VIRTUAL TABLE versions_fts USING fts5(title, text, tokenize = 'trigram');
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES changes(id),
    target TEXT NOT NULL,
    attempted_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX deliveries_change ON deliveries(change_id);
"""

# Mass changes and not-found pages. When a large share of a site's re-checked notices is
# edited in one round (usually a template redesign), the changes are recorded as usual and
# grouped in one ``change_batches`` row (``changes.batch_id``), alerted once per batch
# (``batch_deliveries``, the batch counterpart of ``deliveries``). ``not_found_pages`` keeps,
# per site, what the site answered last to a URL that cannot exist: a fingerprint (JSON list
# of normalised text lines) when it answered 200, NULL when it answered a real 404/410.
BATCHES_AND_NOT_FOUND = """
CREATE TABLE change_batches (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    kind TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    changes INTEGER NOT NULL,
    rechecked INTEGER NOT NULL,
    fields TEXT NOT NULL,
    note TEXT
);
ALTER TABLE changes ADD COLUMN batch_id INTEGER REFERENCES change_batches(id);
CREATE INDEX changes_batch ON changes(batch_id);
CREATE TABLE batch_deliveries (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES change_batches(id),
    target TEXT NOT NULL,
    attempted_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX batch_deliveries_batch ON batch_deliveries(batch_id);
CREATE TABLE not_found_pages (
    site_id INTEGER PRIMARY KEY REFERENCES sites(id),
    url TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    fingerprint TEXT
)
"""

# Traditional mirrors: a notice published at two addresses (its primary URL and a 繁體
# mirror such as /big5/...) is one page; ``captures.address`` keeps the address a capture
# was fetched at when it is not the page's own URL (NULL: the page URL).
MIRROR_ADDRESSES = """
ALTER TABLE captures ADD COLUMN address TEXT
"""

# The outbox and one writer per site. ``announce_targets`` holds every place a change is told
# (an alert target by its redacted label, ``changelog``, ``feed``) with the last change and
# batch id enqueued for it: a target starts at the changes stored after it was first seen.
# ``announcements`` is each change's (or batch's) state per target: pending, sending (claimed
# by ``claimed_by``, a process and thread), sent, failed (retried at ``next_attempt_at``) or
# skipped (nothing to tell that target: a baseline notice, a member of a mass change).
# ``marker`` keeps the change log's size before an append, so a run killed between writing
# and marking finds its lines instead of writing them twice. ``site_locks`` is one row per
# site whose round is running: who holds it (PID and its start time, so a dead or reused PID
# is recognised) and the last change id before the round began. Failed deliveries recorded
# by an older portalwatch become failed announcements.
OUTBOX_AND_SITE_LOCKS = """
CREATE TABLE announce_targets (
    target TEXT PRIMARY KEY,
    through_change_id INTEGER NOT NULL,
    through_batch_id INTEGER NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    change_id INTEGER REFERENCES changes(id),
    batch_id INTEGER REFERENCES change_batches(id),
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    claimed_by TEXT,
    claimed_at TEXT,
    done_at TEXT,
    error TEXT,
    marker INTEGER
);
CREATE UNIQUE INDEX announcements_change ON announcements(change_id, target) WHERE change_id IS NOT NULL;
CREATE UNIQUE INDEX announcements_batch ON announcements(batch_id, target) WHERE batch_id IS NOT NULL;
CREATE INDEX announcements_state ON announcements(state, target);
INSERT INTO announcements (change_id, target, state, attempts, error)
    SELECT change_id, target, 'failed', attempts, error FROM deliveries
    WHERE id IN (SELECT MAX(id) FROM deliveries GROUP BY change_id, target) AND ok = 0;
INSERT INTO announcements (batch_id, target, state, attempts, error)
    SELECT batch_id, target, 'failed', attempts, error FROM batch_deliveries
    WHERE id IN (SELECT MAX(id) FROM batch_deliveries GROUP BY batch_id, target) AND ok = 0;
CREATE TABLE site_locks (
    site TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    pid INTEGER NOT NULL,
    pid_started TEXT,
    command TEXT,
    before_change_id INTEGER NOT NULL,
    acquired_at TEXT NOT NULL
)
"""

# WARC files (storage.warc): where each capture's record is. ``warc_record_id`` (reserved
# since the first schema) is its WARC-Record-ID; ``warc_file`` a file name in the archive's
# WARC directory (or an absolute path, for an imported file), ``warc_offset``/``warc_length``
# its gzip member. ``warc_payload_digest`` is set for a response record (the digest a later
# identical fetch is compared with); ``warc_refers_to`` for a revisit record: the record id of
# the response it stands for.
WARC_POINTERS = """
ALTER TABLE captures ADD COLUMN warc_file TEXT;
ALTER TABLE captures ADD COLUMN warc_offset INTEGER;
ALTER TABLE captures ADD COLUMN warc_length INTEGER;
ALTER TABLE captures ADD COLUMN warc_payload_digest TEXT;
ALTER TABLE captures ADD COLUMN warc_refers_to TEXT
"""

# Attachments (monitor.attachments): the files linked from notices. The bytes go to ``blobs``
# once per SHA-256 like page bodies; ``attachment_files`` is one row per distinct file: its
# size, type, and the text read from it (``readable``: 'text', 'no text' (read, nothing in it,
# e.g. a scanned PDF), 'unreadable' (corrupt, password; ``note`` says why) or 'unsupported').
# ``attachment_fetches`` logs each fetch of an attachment for a notice: the validators for the
# next conditional request, the hash it answered (NULL when it failed), its WARC record.
# ``attachments_fts`` indexes the text (rowid = attachment_files.id), Simplified like versions_fts.
ATTACHMENTS = """
CREATE TABLE attachment_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    content_type TEXT,
    file_type TEXT,
    readable TEXT NOT NULL,
    note TEXT,
    text TEXT
);
CREATE TABLE attachment_fetches (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    sha256 TEXT,
    etag TEXT,
    last_modified TEXT,
    error TEXT,
    warc_record_id TEXT,
    warc_file TEXT,
    warc_offset INTEGER,
    warc_length INTEGER,
    warc_payload_digest TEXT,
    warc_refers_to TEXT
);
CREATE INDEX attachment_fetches_url ON attachment_fetches(url);
CREATE INDEX attachment_fetches_sha ON attachment_fetches(sha256);
CREATE VIRTUAL TABLE attachments_fts USING fts5(text, tokenize = 'trigram')
"""

# Each entry is SQL run in one transaction; append, never edit.
MIGRATIONS: list[str] = [INITIAL, SEARCH_AND_DELIVERIES, BATCHES_AND_NOT_FOUND, MIRROR_ADDRESSES,
                         OUTBOX_AND_SITE_LOCKS, WARC_POINTERS, ATTACHMENTS]
SCHEMA_VERSION = len(MIGRATIONS)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (migrations hold no ';' inside literals)."""
    return [part.strip() for part in sql.split(";") if part.strip()]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn`` up to :data:`SCHEMA_VERSION`; return the version it started at.

    Each step takes the write lock first and then re-reads the version, so processes or
    threads opening a new archive at the same moment migrate it exactly once.
    """
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    if start > SCHEMA_VERSION:
        raise RuntimeError(
            f"archive schema version {start} is newer than this portalwatch understands "
            f"({SCHEMA_VERSION}); upgrade portalwatch"
        )
    for number in range(start, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == number:
                for statement in _statements(MIGRATIONS[number]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return start
