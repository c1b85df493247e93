"""The archive file: open, migrate, write captures/versions/changes, read history.

One :class:`Archive` wraps one SQLite file in WAL mode with a busy timeout, so a crawl can
write while ``portalwatch serve`` or a second command reads. Every stored item is written in
one transaction (:meth:`Archive.transaction`): a crash or SIGTERM leaves either the whole
item or none of it. Raw bodies go to ``blobs`` once per SHA-256 (zlib-compressed); an
unchanged re-fetch costs only a small ``captures`` row.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import sqlite_utils

from storage.holders import Holder, claim_alive, process_alive
from storage.records import (
    Announcement,
    NotFoundPage,
    PageState,
    PageSummary,
    ReextractCandidate,
    SiteLock,
    StoredBatch,
    StoredCapture,
    StoredChange,
    StoredVersion,
    VersionContent,
)
from storage.schema import SCHEMA_VERSION, migrate
from storage.search import index_version
from storage.warc import (
    RevisitOf,
    WarcError,
    WarcPointer,
    WarcRecord,
    read_record,
    warc_date,
    warc_directory,
)

BUSY_TIMEOUT_MS = 30_000


class ArchiveError(Exception):
    """The archive file cannot be opened or does not hold what was asked for."""


class BadArchive(ArchiveError):
    """The archive file cannot be used at all: not SQLite, damaged, or not writable where a
    command must write. The message is one line naming the file and what is wrong."""


SQLITE_HEADER = b"SQLite format 3\x00"


def _writable(path: Path) -> bool:
    """Can we write ``path``? For root, whom permissions do not stop, a file or folder with no
    write bit at all counts as read-only too: that is what its owner meant."""
    if not os.access(path, os.W_OK):
        return False
    return os.geteuid() != 0 or bool(path.stat().st_mode & 0o222)


def inspect_archive_file(path: Path, *, write: bool) -> None:
    """Raise :class:`BadArchive` when ``path`` cannot serve as an archive (for writing when
    ``write``): checked on the file itself, before any command starts its work.

    Call it before the process opens the archive, never while a connection to it is open:
    closing any file descriptor of the archive drops every POSIX lock the process holds on it,
    the SQLite connections' included."""
    if path.is_dir():
        raise BadArchive(f"{path}: is a folder, not an archive file")
    folder = path.parent if str(path.parent) else Path(".")
    if not path.exists():
        if not write:
            raise BadArchive(f"{path}: no archive here (run `portalwatch crawl` first)")
        existing = folder
        while not existing.exists():
            existing = existing.parent
        if not _writable(existing):
            raise BadArchive(f"{path}: cannot create the archive, the folder {existing} is read-only")
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise BadArchive(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not header:
        if write and not _writable(path):
            raise BadArchive(f"{path}: the archive file is read-only")
        return  # an empty file is a new archive
    if not header.startswith(SQLITE_HEADER[: len(header)]) or len(header) < 100:
        if header.startswith(SQLITE_HEADER[: len(header)]):
            raise BadArchive(f"{path}: truncated SQLite file ({size} bytes, shorter than its own header)")
        raise BadArchive(f"{path}: not an SQLite database (a portalwatch archive is one)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]
    if valid and pages and size < pages * page_size:
        raise BadArchive(f"{path}: truncated archive ({size} bytes, its header says {pages * page_size})")
    wal = header[18] == 2
    if write:
        if not _writable(path):
            raise BadArchive(f"{path}: the archive file is read-only (a crawl must write to it)")
        if not _writable(folder):
            raise BadArchive(f"{path}: its folder {folder} is read-only; SQLite must create {path.name}-wal"
                             f" and {path.name}-shm next to the archive")
    elif wal and not _writable(folder) and not Path(f"{path}-shm").exists():
        raise BadArchive(f"{path}: a WAL-mode archive in the read-only folder {folder}; SQLite must create"
                         f" {path.name}-shm there even to read it: make the folder writable or copy the archive")


def _one_line(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text:
        return f"{path}: not an SQLite database (a portalwatch archive is one)"
    if "malformed" in text or "corrupt" in text:
        return f"{path}: the archive is damaged ({text}); restore it from a copy"
    if "readonly" in text or "read-only" in text:
        return f"{path}: the archive cannot be written ({text})"
    if "unable to open" in text:
        return f"{path}: cannot be opened ({text}); check the file and its folder"
    return f"{path} is not a usable portalwatch archive: {text}"


def _upgrade_if_older(path: Path) -> None:
    """Bring an archive written by an older portalwatch up to this schema before reading it
    (a read-only command would otherwise fail on a column a newer migration adds)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if 0 < version < SCHEMA_VERSION:
        try:
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            migrate(conn)
            conn.close()
        except sqlite3.OperationalError as exc:
            raise ArchiveError(f"{path} was written by an older portalwatch and cannot be upgraded here"
                               f" ({exc}); run `portalwatch crawl` once where it is writable") from exc


class Archive:
    """A portalwatch archive file."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly and not self.path.exists():
            raise ArchiveError(f"no archive at {self.path} (run `portalwatch crawl` first)")
        try:
            if readonly:
                _upgrade_if_older(self.path)
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                migrate(conn)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except ArchiveError:
            raise
        except sqlite3.DatabaseError as exc:
            raise BadArchive(_one_line(self.path, exc)) from exc
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._site_ids: dict[str, int] = {}
        self._header_set_ids: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self.conn is not None:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None  # type: ignore[assignment]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. Nested use joins the outer one."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- writes ----------------------------------------------------------------------------

    def site_id(self, name: str) -> int:
        if name not in self._site_ids:
            row = self.conn.execute("SELECT id FROM sites WHERE name = ?", (name,)).fetchone()
            if row is None:
                cur = self.conn.execute("INSERT INTO sites (name) VALUES (?)", (name,))
                row = (cur.lastrowid,)
            self._site_ids[name] = row[0]
        return self._site_ids[name]

    def mark_site_crawled(self, name: str, at: str) -> None:
        """A round of this site finished: stamp it and count it."""
        site_id = self.site_id(name)
        self.conn.execute(
            "UPDATE sites SET last_crawled = ?, first_crawled = COALESCE(first_crawled, ?),"
            " rounds = rounds + 1 WHERE id = ?",
            (at, at, site_id),
        )

    def last_crawled(self, name: str) -> str | None:
        """When the site's last finished round ended (UTC ISO), None before the first."""
        row = self.conn.execute("SELECT last_crawled FROM sites WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def rounds_done(self, name: str) -> int:
        row = self.conn.execute("SELECT rounds FROM sites WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

    def ensure_page(self, site: str, url: str, at: str, listed_in: str | None = None) -> PageState:
        state = self.page_state(url)
        if state is None:
            self.conn.execute(
                "INSERT INTO pages (site_id, url, first_seen, listed_in, last_listed_at, listed)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                (self.site_id(site), url, at, listed_in, at if listed_in else None),
            )
            state = self.page_state(url)
            assert state is not None
        return state

    def mark_listed(self, site: str, urls: Iterable[str], listing_url: str, at: str) -> None:
        """Note that ``urls`` appeared on a listing now (creates unknown pages as pending)."""
        for url in urls:
            state = self.ensure_page(site, url, at, listed_in=listing_url)
            self.conn.execute(
                "UPDATE pages SET listed = 1, last_listed_at = ?, listed_in = COALESCE(listed_in, ?)"
                " WHERE id = ?",
                (at, listing_url, state.id),
            )

    def store_blob(self, body: bytes) -> str:
        sha = hashlib.sha256(body).hexdigest()
        exists = self.conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        if not exists:
            self.conn.execute(
                "INSERT INTO blobs (sha256, size, compression, content) VALUES (?, ?, 'zlib', ?)",
                (sha, len(body), zlib.compress(body, 6)),
            )
        return sha

    def _header_set_id(self, headers: dict[str, str]) -> int | None:
        if not headers:
            return None
        text = json.dumps(headers, sort_keys=True, ensure_ascii=False)
        sha = hashlib.sha256(text.encode()).hexdigest()
        if sha not in self._header_set_ids:
            self.conn.execute(
                "INSERT OR IGNORE INTO header_sets (sha256, headers) VALUES (?, ?)", (sha, text)
            )
            row = self.conn.execute("SELECT id FROM header_sets WHERE sha256 = ?", (sha,)).fetchone()
            self._header_set_ids[sha] = row[0]
        return self._header_set_ids[sha]

    def add_capture(
        self,
        page_id: int,
        *,
        fetched_at: str,
        status: int,
        outcome: str,
        body: bytes | None = None,
        body_sha256: str | None = None,
        headers: dict[str, str] | None = None,
        final_url: str | None = None,
        error: str | None = None,
        address: str | None = None,
        warc: WarcPointer | None = None,
    ) -> int:
        """Log one fetch. ``body`` is stored (once per SHA-256) unless only its hash is given.
        ``address``: the URL fetched when it is not the page's own (a mirror address).
        ``warc``: where the fetch's record is in the WARC files, when it was written there."""
        if body is not None:
            body_sha256 = self.store_blob(body)
        if warc is None:
            cur = self.conn.execute(
                "INSERT INTO captures (page_id, fetched_at, status, outcome, body_sha256, header_set_id,"
                " final_url, error, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (page_id, fetched_at, status, outcome, body_sha256, self._header_set_id(headers or {}),
                 final_url, error, address),
            )
        else:
            cur = self.conn.execute(
                "INSERT INTO captures (page_id, fetched_at, status, outcome, body_sha256, header_set_id,"
                " final_url, error, address, warc_record_id, warc_file, warc_offset, warc_length,"
                " warc_payload_digest, warc_refers_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (page_id, fetched_at, status, outcome, body_sha256, self._header_set_id(headers or {}),
                 final_url, error, address, warc.record_id, warc.file, warc.offset, warc.length,
                 warc.payload_digest, warc.refers_to),
            )
        return cur.lastrowid

    def last_body_at(self, page_id: int, address: str) -> str | None:
        """SHA-256 of the last body fetched from ``address`` (a mirror address of the page)."""
        row = self.conn.execute(
            "SELECT body_sha256 FROM captures WHERE page_id = ? AND address = ? AND body_sha256 IS NOT NULL"
            " ORDER BY id DESC LIMIT 1", (page_id, address),
        ).fetchone()
        return row[0] if row else None

    def add_version(
        self,
        page_id: int,
        content: VersionContent,
        *,
        created_at: str,
        capture_id: int | None,
        reextracted: bool = False,
    ) -> StoredVersion:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(number), 0) FROM versions WHERE page_id = ?", (page_id,)
        ).fetchone()
        number = row[0] + 1
        cur = self.conn.execute(
            "INSERT INTO versions (page_id, number, created_at, capture_id, fingerprint, title, published,"
            " source, editor, author, doc_number, index_number, issuer, attachments, text, extractor,"
            " reextracted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (page_id, number, created_at, capture_id, content.fingerprint, content.title,
             content.published, content.source, content.editor, content.author, content.doc_number,
             content.index_number, content.issuer,
             json.dumps(content.attachments, ensure_ascii=False) if content.attachments else None,
             content.text, content.extractor, int(reextracted)),
        )
        version_id = cur.lastrowid
        self.conn.execute(
            "UPDATE pages SET current_version_id = ?, title = ?, published = ? WHERE id = ?",
            (version_id, content.title, content.published, page_id),
        )
        if capture_id is not None:
            self.conn.execute("UPDATE captures SET version_id = ? WHERE id = ?", (version_id, capture_id))
        version = StoredVersion(
            id=version_id, page_id=page_id, url="", number=number, created_at=created_at, capture_id=capture_id,
            fingerprint=content.fingerprint, text=content.text, title=content.title, published=content.published,
            source=content.source, editor=content.editor, author=content.author, doc_number=content.doc_number,
            index_number=content.index_number, issuer=content.issuer, attachments=list(content.attachments),
            extractor=content.extractor, reextracted=reextracted,
        )
        index_version(self.conn, version)
        return version

    def add_change(
        self,
        page_id: int,
        kind: str,
        *,
        detected_at: str,
        fields: Iterable[str] = (),
        from_version_id: int | None = None,
        to_version_id: int | None = None,
        capture_id: int | None = None,
        note: str | None = None,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO changes (page_id, kind, fields, detected_at, from_version_id, to_version_id,"
            " capture_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (page_id, kind, json.dumps(list(fields)), detected_at, from_version_id, to_version_id,
             capture_id, note),
        )
        return cur.lastrowid

    _PAGE_COLUMNS = frozenset(
        {"last_checked", "last_http_status", "status", "listed", "failures", "etag", "last_modified",
         "last_body_sha256", "title", "published"}
    )

    def update_page(self, page_id: int, **columns: object) -> None:
        unknown = set(columns) - self._PAGE_COLUMNS
        if unknown:
            raise ValueError(f"not page columns: {sorted(unknown)}")
        if not columns:
            return
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.conn.execute(f"UPDATE pages SET {assignments} WHERE id = ?", (*columns.values(), page_id))

    def set_current_version(self, page_id: int, version: StoredVersion) -> None:
        """Make an earlier version the page's current one again: the page shows what it showed
        then (no new version is stored for content the archive already has)."""
        self.conn.execute("UPDATE pages SET current_version_id = ?, title = ?, published = ? WHERE id = ?",
                          (version.id, version.title, version.published, page_id))

    # -- reads -----------------------------------------------------------------------------

    _STATE_SQL = (
        "SELECT pages.id, sites.name, pages.url, pages.status, pages.listed, pages.failures, pages.etag,"
        " pages.last_modified, pages.last_body_sha256, pages.current_version_id, versions.fingerprint,"
        " pages.first_seen, pages.published, pages.last_listed_at, pages.last_checked FROM pages JOIN sites ON sites.id = pages.site_id"
        " LEFT JOIN versions ON versions.id = pages.current_version_id"
    )

    @staticmethod
    def _state(row: tuple) -> PageState:
        return PageState(
            id=row[0], site=row[1], url=row[2], status=row[3], listed=bool(row[4]), failures=row[5],
            etag=row[6], last_modified=row[7], last_body_sha256=row[8], current_version_id=row[9],
            current_fingerprint=row[10], first_seen=row[11], published=row[12], last_listed_at=row[13],
            last_checked=row[14],
        )

    def page_state(self, url: str) -> PageState | None:
        row = self.conn.execute(self._STATE_SQL + " WHERE pages.url = ?", (url,)).fetchone()
        return self._state(row) if row else None

    def page_states(self, site: str) -> list[PageState]:
        rows = self.conn.execute(self._STATE_SQL + " WHERE sites.name = ? ORDER BY pages.id", (site,))
        return [self._state(row) for row in rows]

    def site_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sites ORDER BY name")]

    def pages(self, site: str | None = None) -> list[PageSummary]:
        sql = (
            "SELECT pages.id, sites.name, pages.url, pages.title, pages.published,"
            " (SELECT COUNT(*) FROM versions WHERE versions.page_id = pages.id),"
            " (SELECT COUNT(*) FROM captures WHERE captures.page_id = pages.id),"
            " pages.first_seen, pages.last_checked, pages.last_http_status, pages.status, pages.listed"
            " FROM pages JOIN sites ON sites.id = pages.site_id"
        )
        params: tuple = ()
        if site:
            sql += " WHERE sites.name = ?"
            params = (site,)
        sql += " ORDER BY sites.name, pages.published DESC, pages.url"
        return [
            PageSummary(id=r[0], site=r[1], url=r[2], title=r[3], published=r[4], versions=r[5],
                        captures=r[6], first_seen=r[7], last_checked=r[8], last_http_status=r[9],
                        status=r[10], listed=bool(r[11]))
            for r in self.conn.execute(sql, params)
        ]

    def _page_id(self, url: str) -> int:
        row = self.conn.execute("SELECT id FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            raise ArchiveError(f"the archive holds no page {url}")
        return row[0]

    _VERSION_SQL = (
        "SELECT versions.id, versions.page_id, pages.url, versions.number, versions.created_at,"
        " versions.capture_id, versions.fingerprint, versions.text, versions.title, versions.published,"
        " versions.source, versions.editor, versions.author, versions.doc_number, versions.index_number,"
        " versions.issuer, versions.attachments, versions.extractor, versions.reextracted"
        " FROM versions JOIN pages ON pages.id = versions.page_id"
    )

    @staticmethod
    def _version(r: tuple) -> StoredVersion:
        return StoredVersion(
            id=r[0], page_id=r[1], url=r[2], number=r[3], created_at=r[4], capture_id=r[5],
            fingerprint=r[6], text=r[7], title=r[8], published=r[9], source=r[10], editor=r[11],
            author=r[12], doc_number=r[13], index_number=r[14], issuer=r[15],
            attachments=json.loads(r[16]) if r[16] else [], extractor=r[17] or "", reextracted=bool(r[18]),
        )

    def version_by_id(self, version_id: int) -> StoredVersion | None:
        row = self.conn.execute(self._VERSION_SQL + " WHERE versions.id = ?", (version_id,)).fetchone()
        return self._version(row) if row else None

    def versions(self, url: str) -> list[StoredVersion]:
        page_id = self._page_id(url)
        rows = self.conn.execute(
            self._VERSION_SQL + " WHERE versions.page_id = ? ORDER BY versions.number", (page_id,)
        )
        return [self._version(r) for r in rows]

    def version(self, url: str, number: int | None = None) -> StoredVersion:
        versions = self.versions(url)
        if not versions:
            raise ArchiveError(f"{url} has no stored version yet")
        if number is None:
            return versions[-1]
        for version in versions:
            if version.number == number:
                return version
        raise ArchiveError(f"{url} has no version {number} (it has 1..{versions[-1].number})")

    def captures(self, url: str) -> list[StoredCapture]:
        page_id = self._page_id(url)
        rows = self.conn.execute(
            "SELECT captures.id, captures.page_id, captures.fetched_at, captures.status, captures.outcome,"
            " captures.body_sha256, blobs.size, captures.final_url, captures.version_id, versions.number,"
            " captures.error, header_sets.headers, captures.warc_record_id, captures.address FROM captures"
            " LEFT JOIN blobs ON blobs.sha256 = captures.body_sha256"
            " LEFT JOIN versions ON versions.id = captures.version_id"
            " LEFT JOIN header_sets ON header_sets.id = captures.header_set_id"
            " WHERE captures.page_id = ? ORDER BY captures.id",
            (page_id,),
        )
        return [
            StoredCapture(id=r[0], page_id=r[1], url=url, fetched_at=r[2], status=r[3], outcome=r[4],
                          body_sha256=r[5], size=r[6], final_url=r[7] or url, version_id=r[8],
                          version_number=r[9], error=r[10], headers=json.loads(r[11]) if r[11] else {},
                          warc_record_id=r[12], address=r[13] or url)
            for r in rows
        ]

    def reextract_candidates(self, site: str | None = None) -> list[ReextractCandidate]:
        """Every notice with a current version, with the capture that holds its latest raw body."""
        rows = self.conn.execute(
            "SELECT pages.id, pages.url, sites.name, pages.last_body_sha256, pages.current_version_id,"
            " versions.fingerprint,"
            " (SELECT captures.id FROM captures WHERE captures.page_id = pages.id"
            "  AND captures.body_sha256 = pages.last_body_sha256 ORDER BY captures.id DESC LIMIT 1)"
            " FROM pages JOIN sites ON sites.id = pages.site_id"
            " JOIN versions ON versions.id = pages.current_version_id"
            + (" WHERE sites.name = ?" if site else "") + " ORDER BY pages.id",
            (site,) if site else (),
        ).fetchall()
        return [ReextractCandidate(*row) for row in rows]

    def capture_headers(self, capture_id: int) -> dict[str, str]:
        """The response headers kept for a capture ({} when none were kept, as for a 304)."""
        found = self.conn.execute(
            "SELECT header_sets.headers FROM captures JOIN header_sets ON header_sets.id = captures.header_set_id"
            " WHERE captures.id = ?", (capture_id,)).fetchone()
        return json.loads(found[0]) if found else {}

    def link_capture_to_current_version(self, page_id: int, capture_id: int) -> None:
        """Point a capture at its page's current version (after a re-extraction stored one)."""
        self.conn.execute("UPDATE captures SET version_id = (SELECT current_version_id FROM pages WHERE id = ?)"
                          " WHERE id = ?", (page_id, capture_id))

    def newest_change_ids(self, *, site: str | None = None, limit: int = 50) -> list[int]:
        """Ids of the newest changes (by detection order), without those of re-extracted versions."""
        sql = (
            "SELECT changes.id FROM changes JOIN pages ON pages.id = changes.page_id"
            " JOIN sites ON sites.id = pages.site_id"
            " LEFT JOIN versions ON versions.id = COALESCE(changes.to_version_id, changes.from_version_id)"
            " WHERE COALESCE(versions.reextracted, 0) = 0"
        )
        params: list[object] = []
        if site:
            sql += " AND sites.name = ?"
            params.append(site)
        sql += " ORDER BY changes.id DESC LIMIT ?"
        params.append(max(int(limit), 0))
        return [row[0] for row in self.conn.execute(sql, params)]

    def raw_body(self, sha256: str) -> bytes:
        row = self.conn.execute(
            "SELECT compression, content FROM blobs WHERE sha256 = ?", (sha256,)
        ).fetchone()
        if row is None:
            # Not kept in the archive file: read it from the WARC files, if a capture has it there.
            found = self.conn.execute(
                "SELECT id FROM captures WHERE body_sha256 = ? AND warc_record_id IS NOT NULL"
                " ORDER BY warc_refers_to IS NOT NULL, id LIMIT 1", (sha256,)).fetchone()
            if found is not None:
                return self.warc_body(found[0])
            raise ArchiveError(f"no stored body with SHA-256 {sha256}")
        compression, content = row
        return zlib.decompress(content) if compression == "zlib" else bytes(content)

    def capture_of_version(self, version: StoredVersion) -> StoredCapture | None:
        for capture in self.captures(version.url):
            if capture.id == version.capture_id:
                return capture
        return None

    _CHANGE_SQL = (
        "SELECT changes.id, sites.name, pages.url, changes.kind, changes.fields, changes.detected_at,"
        " fv.number, tv.number, changes.from_version_id, changes.to_version_id, changes.capture_id,"
        " changes.note, COALESCE(tv.title, fv.title, pages.title), changes.batch_id"
        " FROM changes JOIN pages ON pages.id = changes.page_id JOIN sites ON sites.id = pages.site_id"
        " LEFT JOIN versions fv ON fv.id = changes.from_version_id"
        " LEFT JOIN versions tv ON tv.id = changes.to_version_id"
    )

    @staticmethod
    def _change(r: tuple) -> StoredChange:
        return StoredChange(
            id=r[0], site=r[1], url=r[2], kind=r[3], fields=json.loads(r[4]) if r[4] else [],
            detected_at=r[5], from_version=r[6], to_version=r[7], from_version_id=r[8],
            to_version_id=r[9], capture_id=r[10], note=r[11], title=r[12], batch_id=r[13],
        )

    def changes(
        self,
        *,
        site: str | None = None,
        since: str | None = None,
        kinds: Iterable[str] = (),
        url: str | None = None,
        after_id: int | None = None,
        limit: int | None = None,
        batch_id: int | None = None,
    ) -> list[StoredChange]:
        where, params = [], []
        if batch_id is not None:
            where.append("changes.batch_id = ?")
            params.append(batch_id)
        if site:
            where.append("sites.name = ?")
            params.append(site)
        if since:
            where.append("changes.detected_at >= ?")
            params.append(since)
        kinds = list(kinds)
        if kinds:
            where.append(f"changes.kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        if url:
            where.append("pages.url = ?")
            params.append(url)
        if after_id is not None:
            where.append("changes.id > ?")
            params.append(after_id)
        sql = self._CHANGE_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY changes.id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._change(r) for r in self.conn.execute(sql, params)]

    def change(self, change_id: int) -> StoredChange:
        row = self.conn.execute(self._CHANGE_SQL + " WHERE changes.id = ?", (change_id,)).fetchone()
        if row is None:
            raise ArchiveError(f"no change with id {change_id}")
        return self._change(row)

    # -- mass changes ----------------------------------------------------------------------

    def add_batch(self, site: str, kind: str, *, detected_at: str, change_ids: list[int], rechecked: int,
                  field_counts: dict[str, int], note: str | None = None) -> int:
        """Group ``change_ids`` (changes already stored) into one batch; return its id."""
        cur = self.conn.execute(
            "INSERT INTO change_batches (site_id, kind, detected_at, changes, rechecked, fields, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.site_id(site), kind, detected_at, len(change_ids), rechecked,
             json.dumps(field_counts, ensure_ascii=False), note),
        )
        batch_id = cur.lastrowid
        self.conn.executemany("UPDATE changes SET batch_id = ? WHERE id = ?",
                              [(batch_id, change_id) for change_id in change_ids])
        return batch_id

    def batch(self, batch_id: int) -> StoredBatch:
        row = self.conn.execute(
            "SELECT change_batches.id, sites.name, kind, detected_at, changes, rechecked, fields, note"
            " FROM change_batches JOIN sites ON sites.id = change_batches.site_id WHERE change_batches.id = ?",
            (batch_id,),
        ).fetchone()
        if row is None:
            raise ArchiveError(f"no batch with id {batch_id}")
        ids = [r[0] for r in self.conn.execute("SELECT id FROM changes WHERE batch_id = ? ORDER BY id", (batch_id,))]
        return StoredBatch(id=row[0], site=row[1], kind=row[2], detected_at=row[3], count=row[4], rechecked=row[5],
                           field_counts=json.loads(row[6]), note=row[7], change_ids=ids)

    def add_batch_delivery(self, batch_id: int, target: str, *, attempted_at: str, attempts: int, ok: bool,
                           error: str | None) -> None:
        """Log one attempt to alert ``target`` about a batch (the batch form of ``deliveries``)."""
        self.conn.execute(
            "INSERT INTO batch_deliveries (batch_id, target, attempted_at, attempts, ok, error)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (batch_id, target, attempted_at, attempts, int(ok), error),
        )

    def batch_delivered_targets(self, batch_id: int) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT target FROM batch_deliveries WHERE batch_id = ? AND ok = 1", (batch_id,))
        return {row[0] for row in rows}

    def pending_batch_deliveries(self) -> list[tuple[int, str]]:
        """(batch_id, target label) pairs whose latest delivery failed, oldest batch first."""
        rows = self.conn.execute(
            "SELECT batch_id, target FROM batch_deliveries WHERE id IN"
            " (SELECT MAX(id) FROM batch_deliveries GROUP BY batch_id, target) AND ok = 0"
            " ORDER BY batch_id, id"
        )
        return [(row[0], row[1]) for row in rows]

    # -- the site's own not-found page -------------------------------------------------------

    def not_found_page(self, site: str) -> NotFoundPage | None:
        row = self.conn.execute(
            "SELECT url, checked_at, status, fingerprint FROM not_found_pages"
            " JOIN sites ON sites.id = not_found_pages.site_id WHERE sites.name = ?", (site,)
        ).fetchone()
        if row is None:
            return None
        return NotFoundPage(site=site, url=row[0], checked_at=row[1], status=row[2],
                            fingerprint=json.loads(row[3]) if row[3] else None)

    def set_not_found_page(self, site: str, *, url: str, checked_at: str, status: int,
                           fingerprint: list[str] | None) -> None:
        """Keep what the site answered now to a URL that cannot exist (one row per site)."""
        self.conn.execute(
            "INSERT INTO not_found_pages (site_id, url, checked_at, status, fingerprint) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (site_id) DO UPDATE SET url = excluded.url, checked_at = excluded.checked_at,"
            " status = excluded.status, fingerprint = excluded.fingerprint",
            (self.site_id(site), url, checked_at, status,
             json.dumps(fingerprint, ensure_ascii=False) if fingerprint is not None else None),
        )

    # -- the outbox: each change's announcement state per target ----------------------------

    _ANNOUNCEMENT_SQL = (
        "SELECT a.id, a.change_id, a.batch_id, a.target, a.state, a.attempts, a.next_attempt_at, a.claimed_by,"
        " a.claimed_at, a.done_at, a.error, a.marker, COALESCE(cs.name, bs.name) FROM announcements a"
        " LEFT JOIN changes ON changes.id = a.change_id LEFT JOIN pages ON pages.id = changes.page_id"
        " LEFT JOIN sites cs ON cs.id = pages.site_id"
        " LEFT JOIN change_batches ON change_batches.id = a.batch_id LEFT JOIN sites bs ON bs.id = change_batches.site_id"
    )

    @staticmethod
    def _announcement(r: tuple) -> Announcement:
        return Announcement(id=r[0], change_id=r[1], batch_id=r[2], target=r[3], state=r[4], attempts=r[5],
                            next_attempt_at=r[6], claimed_by=r[7], claimed_at=r[8], done_at=r[9], error=r[10],
                            marker=r[11], site=r[12])

    def _max_ids(self) -> tuple[int, int]:
        change = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM changes").fetchone()[0]
        batch = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM change_batches").fetchone()[0]
        return change, batch

    def register_targets(self, targets: Iterable[str], *, at: str) -> None:
        """Start telling ``targets`` not known yet about the changes stored from now on (a new
        alert target is not sent the archive's whole history)."""
        with self.transaction():
            change, batch = self._max_ids()
            self.conn.executemany(
                "INSERT OR IGNORE INTO announce_targets (target, through_change_id, through_batch_id,"
                " registered_at) VALUES (?, ?, ?, ?)", [(target, change, batch, at) for target in targets])

    def _running_sites(self, finished: Iterable[str] = ()) -> tuple[set[int], int | None]:
        """Site ids whose round is running now (a live lock holder), and the lowest change id
        before those rounds began. ``finished``: sites whose round this process has finished
        although it still holds their lock."""
        site_ids, floor = set(), None
        finished = set(finished)
        for lock in self.site_locks():
            if lock.site in finished and lock.pid == os.getpid():
                continue
            if process_alive(lock.pid, lock.pid_started):
                site_ids.add(self.site_id(lock.site))
                floor = lock.before_change_id if floor is None else min(floor, lock.before_change_id)
        return site_ids, floor

    def enqueue_announcements(self, targets: Iterable[str], *, finished_sites: Iterable[str] = ()) -> int:
        """Add a pending announcement for each registered target and each change or batch stored
        since it was last enqueued, except those of sites whose round is still running (they
        are told after it, so a mass change is one message). Returns how many were added."""
        added = 0
        with self.transaction():
            running, floor = self._running_sites(finished_sites)
            change_max, batch_max = self._max_ids()
            skip = f" AND pages.site_id NOT IN ({', '.join('?' * len(running))})" if running else ""
            skip_batch = f" AND change_batches.site_id NOT IN ({', '.join('?' * len(running))})" if running else ""
            for target in targets:
                row = self.conn.execute("SELECT through_change_id, through_batch_id FROM announce_targets"
                                        " WHERE target = ?", (target,)).fetchone()
                if row is None:
                    continue
                through_change, through_batch = row
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO announcements (change_id, target, state) SELECT changes.id, ?, 'pending'"
                    " FROM changes JOIN pages ON pages.id = changes.page_id WHERE changes.id > ?" + skip,
                    (target, through_change, *running))
                added += cur.rowcount
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO announcements (batch_id, target, state) SELECT change_batches.id, ?,"
                    " 'pending' FROM change_batches WHERE change_batches.id > ?" + skip_batch,
                    (target, through_batch, *running))
                added += cur.rowcount
                new_change = change_max if floor is None else max(through_change, min(change_max, floor))
                new_batch = batch_max if floor is None else through_batch
                self.conn.execute("UPDATE announce_targets SET through_change_id = ?, through_batch_id = ?"
                                  " WHERE target = ?", (new_change, new_batch, target))
        return added

    def enqueue_subjects(self, targets: Iterable[str], *, change_ids: Iterable[int] = (),
                         batch_ids: Iterable[int] = ()) -> None:
        """Pending announcements of these changes and batches to ``targets`` (kept if present)."""
        targets, change_ids, batch_ids = list(targets), list(change_ids), list(batch_ids)
        with self.transaction():
            self.conn.executemany("INSERT OR IGNORE INTO announcements (change_id, target, state)"
                                  " VALUES (?, ?, 'pending')", [(c, t) for c in change_ids for t in targets])
            self.conn.executemany("INSERT OR IGNORE INTO announcements (batch_id, target, state)"
                                  " VALUES (?, ?, 'pending')", [(b, t) for b in batch_ids for t in targets])

    def recover_claims(self) -> list[Announcement]:
        """Put the announcements claimed by processes that died while sending back to pending,
        and return them as they were (the change log uses their ``marker``)."""
        rows = [self._announcement(r) for r in self.conn.execute(
            self._ANNOUNCEMENT_SQL + " WHERE a.state = 'sending'")]
        dead = [a for a in rows if not claim_alive(a.claimed_by)]
        if dead:
            with self.transaction():
                self.conn.executemany(
                    "UPDATE announcements SET state = 'pending', error = ? WHERE id = ? AND state = 'sending'"
                    " AND claimed_by = ?",
                    [(f"the process sending it (PID {a.claimed_by.split('/')[0]}) died; sent again", a.id,
                      a.claimed_by) for a in dead])
        return dead

    def claim_announcements(self, holder: Holder, targets: Iterable[str], *, now: str, due_only: bool = True,
                            change_ids: Iterable[int] | None = None,
                            batch_ids: Iterable[int] | None = None) -> list[Announcement]:
        """Claim for ``holder`` every pending announcement to ``targets``, and every failed one
        (when ``due_only``, only those whose ``next_attempt_at`` has come), optionally only of
        these changes and batches. One write transaction: two holders never claim one row."""
        targets = list(targets)
        if not targets:
            return []
        where = [f"target IN ({', '.join('?' * len(targets))})"]
        params: list[object] = [holder.claim, now, *targets]
        where.append("(state = 'pending' OR (state = 'failed'"
                     + (" AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))" if due_only else "))"))
        if due_only:
            params.append(now)
        if change_ids is not None or batch_ids is not None:
            change_ids, batch_ids = list(change_ids or ()), list(batch_ids or ())
            where.append(f"(change_id IN ({', '.join('?' * len(change_ids))})"
                         f" OR batch_id IN ({', '.join('?' * len(batch_ids))}))")
            params.extend([*change_ids, *batch_ids])
        with self.transaction():
            ids = [row[0] for row in self.conn.execute(
                "UPDATE announcements SET state = 'sending', claimed_by = ?, claimed_at = ? WHERE "
                + " AND ".join(where) + " RETURNING id", params)]
        return self.announcements_by_id(ids)

    def announcements_by_id(self, ids: Iterable[int]) -> list[Announcement]:
        ids = list(ids)
        out: list[Announcement] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            out += [self._announcement(r) for r in self.conn.execute(
                self._ANNOUNCEMENT_SQL + f" WHERE a.id IN ({', '.join('?' * len(chunk))})", chunk)]
        return sorted(out, key=lambda a: (a.change_id or 0, a.batch_id or 0, a.id))

    def mark_announcement(self, announcement_id: int, holder: Holder, state: str, *, at: str,
                          attempts: int = 0, next_attempt_at: str | None = None, error: str | None = None,
                          marker: int | None = None) -> bool:
        """Record what became of an announcement ``holder`` claimed: sent, skipped, failed (with
        the attempts made and when to try again) or pending (released untried). False when the
        claim was no longer the holder's."""
        done = at if state in ("sent", "skipped") else None
        claimed_by = holder.claim if state == "sending" else None
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE announcements SET state = ?, attempts = attempts + ?, next_attempt_at = ?, error = ?,"
                " done_at = COALESCE(?, done_at), claimed_by = ?, marker = COALESCE(?, marker)"
                " WHERE id = ? AND claimed_by = ? AND state = 'sending'",
                (state, attempts, next_attempt_at, error, done, claimed_by, marker, announcement_id, holder.claim))
        return cur.rowcount == 1

    def set_announcement_markers(self, ids: Iterable[int], holder: Holder, marker: int) -> None:
        """Note on claimed announcements where their change-log lines are about to be written."""
        with self.transaction():
            self.conn.executemany("UPDATE announcements SET marker = ? WHERE id = ? AND claimed_by = ?",
                                  [(marker, i, holder.claim) for i in ids])

    def release_claims(self, holder: Holder) -> None:
        """Give back what ``holder`` claimed and did not finish (an error in the sending code)."""
        with self.transaction():
            self.conn.execute("UPDATE announcements SET state = 'pending', claimed_by = NULL"
                              " WHERE state = 'sending' AND claimed_by = ?", (holder.claim,))

    def announcements(self, *, states: Iterable[str] = (), change_ids: Iterable[int] | None = None,
                      target: str | None = None) -> list[Announcement]:
        """Announcements by state, change or target, oldest change first."""
        where, params = [], []
        states = list(states)
        if states:
            where.append(f"a.state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        if change_ids is not None:
            change_ids = sorted(set(change_ids))
            if len(change_ids) > 500:  # a long listing: its range, filtered below
                where.append("a.change_id BETWEEN ? AND ?")
                params.extend([change_ids[0], change_ids[-1]])
            else:
                where.append(f"a.change_id IN ({', '.join('?' * len(change_ids))})")
                params.extend(change_ids)
        if target:
            where.append("a.target = ?")
            params.append(target)
        sql = self._ANNOUNCEMENT_SQL + (" WHERE " + " AND ".join(where) if where else "")
        rows = [self._announcement(r) for r in self.conn.execute(
            sql + " ORDER BY COALESCE(a.change_id, 0), COALESCE(a.batch_id, 0), a.id", params)]
        if change_ids is not None and len(change_ids) > 500:
            wanted = set(change_ids)
            rows = [row for row in rows if row.change_id in wanted]
        return rows

    def add_delivery(self, change_id: int, target: str, *, attempted_at: str, attempts: int, ok: bool,
                     error: str | None) -> None:
        """Log one attempt to alert ``target`` about a change (the ``deliveries`` history)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO deliveries (change_id, target, attempted_at, attempts, ok, error)"
                " VALUES (?, ?, ?, ?, ?, ?)", (change_id, target, attempted_at, attempts, int(ok), error))

    # -- one writer per site ---------------------------------------------------------------

    def site_locks(self) -> list[SiteLock]:
        return [SiteLock(*row) for row in self.conn.execute(
            "SELECT site, holder, pid, pid_started, command, before_change_id, acquired_at FROM site_locks"
            " ORDER BY site")]

    def acquire_site_locks(self, sites: Iterable[str], holder: Holder, *, command: str,
                           at: str) -> tuple[list[SiteLock], list[SiteLock]]:
        """Lock every one of ``sites`` for ``holder``, or none: returns (locks held by live
        processes that stopped us, empty when we got them all; stale locks of dead processes
        that we took over)."""
        sites = list(sites)
        with self.transaction():
            held = {lock.site: lock for lock in self.site_locks() if lock.site in sites}
            busy = [lock for lock in held.values()
                    if lock.holder != holder.token and process_alive(lock.pid, lock.pid_started)]
            if busy:
                return busy, []
            before = self._max_ids()[0]
            self.conn.executemany(
                "INSERT OR REPLACE INTO site_locks (site, holder, pid, pid_started, command, before_change_id,"
                " acquired_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(site, holder.token, holder.pid, holder.started, command, before, at) for site in sites])
        return [], [lock for lock in held.values() if lock.holder != holder.token]

    def release_site_locks(self, sites: Iterable[str], holder: Holder) -> None:
        sites = list(sites)
        with self.transaction():
            self.conn.execute(f"DELETE FROM site_locks WHERE holder = ? AND site IN ({', '.join('?' * len(sites))})",
                              (holder.token, *sites))

    def counts(self) -> dict[str, int]:
        return {
            table: self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("sites", "pages", "captures", "versions", "changes", "blobs")
        }

    # -- WARC pointers (storage.warc) -------------------------------------------------------

    @property
    def warc_dir(self) -> Path:
        """The archive's WARC directory: ``<archive stem>.warc/`` next to the archive file."""
        return warc_directory(self.path)

    def warc_path(self, file: str) -> Path:
        """A capture row's ``warc_file`` as a path (names are relative to :attr:`warc_dir`)."""
        path = Path(file)
        return path if path.is_absolute() else self.warc_dir / path

    def last_warc_response(self, page_url: str, address: str | None) -> RevisitOf | None:
        """The latest response record written for the page at ``page_url`` fetched at
        ``address`` (None: the page URL itself): what an unchanged fetch is a revisit of."""
        row = self.conn.execute(
            "SELECT captures.warc_record_id, COALESCE(captures.final_url, captures.address, pages.url),"
            " captures.fetched_at, captures.warc_payload_digest FROM captures"
            " JOIN pages ON pages.id = captures.page_id WHERE pages.url = ? AND captures.address IS ?"
            " AND captures.warc_record_id IS NOT NULL AND captures.warc_refers_to IS NULL"
            " ORDER BY captures.id DESC LIMIT 1", (page_url, address),
        ).fetchone()
        if row is None:
            return None
        return RevisitOf(record_id=row[0], target_uri=row[1], date=warc_date(row[2]), payload_digest=row[3])

    def warc_pointer(self, capture_id: int) -> WarcPointer | None:
        """Where a capture's record is in the WARC files (None: not written there)."""
        row = self.conn.execute(
            "SELECT warc_file, warc_offset, warc_length, warc_record_id, warc_payload_digest, warc_refers_to"
            " FROM captures WHERE id = ?", (capture_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        return WarcPointer(file=row[0], offset=row[1], length=row[2] or 0, record_id=row[3],
                           payload_digest=row[4], refers_to=row[5])

    def warc_record(self, capture_id: int) -> WarcRecord:
        """The WARC record holding a capture's answer, a revisit resolved to the response it
        refers to (found by record id among the page's captures)."""
        pointer = self.warc_pointer(capture_id)
        if pointer is None:
            raise ArchiveError(f"capture {capture_id} has no WARC record")
        if pointer.refers_to is not None:
            row = self.conn.execute(
                "SELECT id FROM captures WHERE page_id = (SELECT page_id FROM captures WHERE id = ?)"
                " AND warc_record_id = ?", (capture_id, pointer.refers_to)).fetchone()
            if row is None:
                raise ArchiveError(f"capture {capture_id} is a revisit of {pointer.refers_to}, which the"
                                   " archive does not point to")
            return self.warc_record(row[0])
        try:
            record = read_record(self.warc_path(pointer.file), pointer.offset)
        except WarcError as exc:
            raise ArchiveError(str(exc)) from exc
        if record.record_id != pointer.record_id:
            raise ArchiveError(f"{pointer.file} holds {record.record_id} at offset {pointer.offset},"
                               f" not {pointer.record_id}")
        return record

    def warc_chain(self, capture_id: int) -> list[WarcPointer]:
        """A capture's WARC record and, when it is a revisit, the record it refers to (and so
        on: the last one is a full response). Empty when the capture was not written there."""
        chain: list[WarcPointer] = []
        current: int | None = capture_id
        while current is not None:
            pointer = self.warc_pointer(current)
            if pointer is None or any(p.record_id == pointer.record_id for p in chain):
                break
            chain.append(pointer)
            if pointer.refers_to is None:
                break
            row = self.conn.execute(
                "SELECT id FROM captures WHERE page_id = (SELECT page_id FROM captures WHERE id = ?)"
                " AND warc_record_id = ?", (current, pointer.refers_to)).fetchone()
            if row is None:
                raise ArchiveError(f"capture {current} is a revisit of {pointer.refers_to}, which the"
                                   " archive does not point to")
            current = row[0]
        return chain

    def warc_body(self, capture_id: int) -> bytes:
        """A capture's body read from the WARC files alone, decoded as a crawl decodes it
        (transfer chunking and content-encoding removed)."""
        return self.warc_record(capture_id).body

    def warc_record_ids(self) -> set[str]:
        """Every WARC record id a capture row points to (an import skips those)."""
        return {row[0] for row in self.conn.execute(
            "SELECT warc_record_id FROM captures WHERE warc_record_id IS NOT NULL")}
