"""The archive's attachment files: bytes once per SHA-256, their text, and each fetch of them.

A notice's versions name their attachments (``versions.attachments``: url, link text and
``sha256``); this module keeps what is known about each file behind those hashes and about
each fetch of an attachment URL (validators for the next conditional request, the WARC record
it went to), and finds words inside attachment text. Every statement against the
``attachment_*`` tables lives here (see storage.schema's ``ATTACHMENTS`` migration).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.search import (
    TRIGRAM,
    SearchHit,
    _like,
    _phrase,
    manual_snippet,
    query_terms,
    search_form,
)
from storage.warc import RevisitOf, WarcPointer, warc_date

if TYPE_CHECKING:
    from storage.archive import Archive

# What reading a file's text gave (attachment_files.readable).
READ_TEXT = "text"
READ_NO_TEXT = "no text"  # read, but nothing in it: a scanned PDF, an empty sheet
READ_UNREADABLE = "unreadable"  # corrupt, encrypted, not what its name says
READ_UNSUPPORTED = "unsupported"  # a type whose text is not read (rar, wps, doc...)


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """One distinct file (by SHA-256) and the text read from it."""

    sha256: str
    size: int
    content_type: str | None
    file_type: str | None  # "pdf", "docx", "xlsx", "ofd"... as recognised from the bytes or name
    readable: str  # READ_TEXT, READ_NO_TEXT, READ_UNREADABLE or READ_UNSUPPORTED
    note: str | None = None  # why it could not be read
    text: str | None = None


@dataclass(frozen=True, slots=True)
class LastFetch:
    """The last fetch of an attachment URL that answered: for the next conditional request."""

    sha256: str | None
    etag: str | None
    last_modified: str | None


def has_file(archive: Archive, sha256: str) -> bool:
    return archive.conn.execute("SELECT 1 FROM attachment_files WHERE sha256 = ?", (sha256,)).fetchone() is not None


def store_file(archive: Archive, file: AttachmentFile, body: bytes) -> None:
    """Keep a file's bytes (in ``blobs``, once per SHA-256) and its text (indexed for search)."""
    if has_file(archive, file.sha256):
        return
    archive.store_blob(body)
    cur = archive.conn.execute(
        "INSERT INTO attachment_files (sha256, size, content_type, file_type, readable, note, text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (file.sha256, file.size, file.content_type, file.file_type, file.readable, file.note, file.text),
    )
    if file.text:
        archive.conn.execute("INSERT INTO attachments_fts (rowid, text) VALUES (?, ?)",
                             (cur.lastrowid, search_form(file.text)))


def fill_version_hashes(archive: Archive, version_id: int, attachments: list[dict], fingerprint: str) -> None:
    """Write hashes first learnt into a stored version (same files, nothing changed): its
    ``attachments`` list and the fingerprint that covers them."""
    archive.conn.execute("UPDATE versions SET attachments = ?, fingerprint = ? WHERE id = ?",
                         (json.dumps(attachments, ensure_ascii=False), fingerprint, version_id))


def file_by_sha(archive: Archive, sha256: str) -> AttachmentFile | None:
    row = archive.conn.execute(
        "SELECT sha256, size, content_type, file_type, readable, note, text FROM attachment_files"
        " WHERE sha256 = ?", (sha256,)).fetchone()
    return AttachmentFile(*row) if row else None


def add_fetch(archive: Archive, page_id: int, url: str, *, fetched_at: str, status: int, outcome: str,
              sha256: str | None, etag: str | None, last_modified: str | None, error: str | None,
              warc: WarcPointer | None) -> int:
    """Log one fetch of an attachment of the notice ``page_id``."""
    cur = archive.conn.execute(
        "INSERT INTO attachment_fetches (page_id, url, fetched_at, status, outcome, sha256, etag, last_modified,"
        " error, warc_record_id, warc_file, warc_offset, warc_length, warc_payload_digest, warc_refers_to)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (page_id, url, fetched_at, status, outcome, sha256, etag, last_modified, error,
         *((warc.record_id, warc.file, warc.offset, warc.length, warc.payload_digest, warc.refers_to)
           if warc is not None else (None,) * 6)),
    )
    return cur.lastrowid


def last_fetch(archive: Archive, url: str) -> LastFetch | None:
    """The last fetch of ``url`` that gave its content (200 or 304), or None."""
    row = archive.conn.execute(
        "SELECT sha256, etag, last_modified FROM attachment_fetches WHERE url = ? AND sha256 IS NOT NULL"
        " ORDER BY id DESC LIMIT 1", (url,)).fetchone()
    return LastFetch(*row) if row else None


def last_warc_response(archive: Archive, url: str) -> RevisitOf | None:
    """The latest response record written for the attachment at ``url`` (what a 304 or an
    identical re-fetch is a revisit of)."""
    row = archive.conn.execute(
        "SELECT warc_record_id, url, fetched_at, warc_payload_digest FROM attachment_fetches"
        " WHERE url = ? AND warc_record_id IS NOT NULL AND warc_refers_to IS NULL ORDER BY id DESC LIMIT 1",
        (url,)).fetchone()
    if row is None:
        return None
    return RevisitOf(record_id=row[0], target_uri=row[1], date=warc_date(row[2]), payload_digest=row[3])


def search_attachments(archive: Archive, query: str, *, site: str | None = None, since: str | None = None,
                       limit: int = 20) -> list[SearchHit]:
    """Notices with an attachment whose text holds every term of ``query``; each hit names the
    file (``SearchHit.attachment``: its URL) and shows the notice's current version."""
    terms = query_terms(query)
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    where = ["attachments_fts MATCH ?"] if long_terms else []
    params: list[object] = [" AND ".join(_phrase(t) for t in long_terms)] if long_terms else []
    for term in short_terms:
        where.append("f.text LIKE ? ESCAPE '\\'")
        params.append(_like(term))
    rows = archive.conn.execute(
        "SELECT a.sha256, a.text FROM attachments_fts f JOIN attachment_files a ON a.id = f.rowid WHERE "
        + " AND ".join(where), params).fetchall()
    hits: list[SearchHit] = []
    seen: set[tuple[int, str]] = set()
    for sha, text in rows:
        fetches = archive.conn.execute(
            "SELECT f.page_id, f.url, MAX(f.fetched_at), p.url, s.name, v.title, v.published, v.number"
            " FROM attachment_fetches f JOIN pages p ON p.id = f.page_id JOIN sites s ON s.id = p.site_id"
            " LEFT JOIN versions v ON v.id = p.current_version_id"
            " WHERE f.sha256 = ? GROUP BY f.page_id, f.url", (sha,)).fetchall()
        for page_id, file_url, fetched_at, url, site_name, title, published, number in fetches:
            if (page_id, file_url) in seen or (site and site_name != site) or (since and fetched_at < since):
                continue
            seen.add((page_id, file_url))
            hits.append(SearchHit(url, site_name, title, published, number or 0, fetched_at,
                                  manual_snippet(text, terms), None, attachment=file_url))
    hits.sort(key=lambda h: h.captured_at, reverse=True)
    return hits[:limit]
