"""A notice's attachments: fetched with the notice, read, and compared as part of its version.

When is a version decided? The recorder fetches a notice's attachments *while recording the
notice* (after extraction, before the notice's transaction), and decides the version once
every attachment has answered or failed in this round. One capture of a notice is therefore
one decision that sees the page and its files together: a page edit and a file replaced in
the same round make one ``edited`` change (``fields`` has both), and a file replaced behind
an unchanged page (a 304 or the same bytes) makes one ``edited`` with ``attachments``.
Recording attachment fetches separately and comparing them on the next round would report
a page edit and its new file as two changes, a round apart.

What is compared: each attachment by the file name of its link (decoded, as a reader sees
it, so a link moved to another host or directory with the same bytes is no edit; the full
URL is stored and shown), its link text (normalised like any metadata) and the SHA-256 of
its bytes. A file replaced behind the same link, a renamed link, an added or removed
attachment each make the ``attachments`` field differ.

Never a false edit: a hash is compared only where both sides know it. A fetch that fails (a
timeout, a 5xx, a file over the size limit) keeps the hash last known for that URL, and a
version stored before its files were ever fetched (an older archive, ``attachments =
false``) gets the hashes filled in when they are first learnt, without a change.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from monitor.config import SiteConfig
from monitor.extraction.attachment_text import read_text
from monitor.normalize import normalize_field
from spiders.attachments import TOO_LARGE, attachment_request, fetch_attachment
from spiders.capture import Capture
from storage import attachments as stored
from storage.archive import Archive
from storage.attachments import AttachmentFile

log = logging.getLogger(__name__)

# attachment_fetches.outcome
FETCHED = "fetched"  # 200, bytes kept (once per SHA-256)
NOT_MODIFIED = "not_modified"  # 304 to the conditional request: the last hash stands
FAILED = "failed"  # no file this round (HTTP error, timeout, refused): the last hash stands
TOO_LARGE_OUTCOME = "too_large"  # over attachment_max_size: not kept; the last hash stands


def file_name(url: str) -> str:
    """The attachment's file name as a reader sees it: 周六A01.pdf and %E5%91%A8%E5%85%ADA01.pdf are one."""
    return unquote(PurePosixPath(urlsplit(url).path).name)


def names_form(attachments: list[dict] | None) -> str | None:
    """The compared form of a list of attachments without their hashes: file name and link text."""
    # Sorted in comparison form, so a template printing the link text in full-width digits (or
    # Traditional characters) lists several files of one name in the same order.
    names = sorted(normalize_field(f"{file_name(a['url'])} {a.get('text') or ''}") or "" for a in attachments or [])
    return " | ".join(names) or None


def hashes_form(attachments: list[dict] | None) -> str | None:
    """The content hashes, by file name, for the fingerprint (unknown ones as '?')."""
    pairs = sorted(f"{file_name(a['url'])}={a.get('sha256') or '?'}" for a in attachments or [])
    return " ".join(pairs) or None


def replaced_files(old: list[dict] | None, new: list[dict] | None) -> list[str]:
    """File names whose bytes differ between two attachment lists (both hashes known)."""
    before = {file_name(a["url"]): a.get("sha256") for a in old or []}
    out = []
    for a in new or []:
        name = file_name(a["url"])
        then, now = before.get(name), a.get("sha256")
        if then and now and then != now:
            out.append(name)
    return out


def with_hashes(attachments: list[dict], hashes: dict[str, str | None]) -> list[dict]:
    """The attachment list with each file's SHA-256 (by URL) where known."""
    out = []
    for a in attachments:
        entry = {"url": a["url"], "text": a.get("text") or ""}
        sha = hashes.get(a["url"]) or a.get("sha256")
        if sha:
            entry["sha256"] = sha
        out.append(entry)
    return out


def fills_hashes(old: list[dict] | None, new: list[dict]) -> bool:
    """Does ``new`` (same files, same bytes where both known) know a hash ``old`` does not?"""
    known = {file_name(a["url"]) for a in old or [] if a.get("sha256")}
    return any(a.get("sha256") and file_name(a["url"]) not in known for a in new)


@dataclass(slots=True)
class AttachmentFetch:
    """One attachment of a notice, fetched (or not) this round."""

    url: str
    capture: Capture
    outcome: str
    sha256: str | None  # the file's hash as known after this fetch (the last known one when it failed)
    etag: str | None = None
    last_modified: str | None = None
    file: AttachmentFile | None = None  # a file the archive does not have yet: its text, to store
    body: bytes = b""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AttachmentFetcher:
    """Fetches a notice's attachments through a running crawl (see spiders.attachments)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    async def fetch(self, archive: Archive, site: SiteConfig, urls: list[str]) -> dict[str, AttachmentFetch]:
        """Fetch each URL (conditionally when a hash is known for it), read new files' text."""
        async def one(url: str) -> AttachmentFetch:
            last = stored.last_fetch(archive, url)
            request = attachment_request(url, etag=last.etag if last else None,
                                         last_modified=last.last_modified if last else None,
                                         max_size=site.attachment_max_size)
            capture = await fetch_attachment(self.crawler, site.name, request, _now)
            return await self._outcome(archive, url, capture, last)

        results = await asyncio.gather(*(one(url) for url in dict.fromkeys(urls)))
        return {fetch.url: fetch for fetch in results}

    @staticmethod
    async def _outcome(archive: Archive, url: str, capture: Capture, last) -> AttachmentFetch:
        known = last.sha256 if last else None
        if capture.not_modified and known:
            return AttachmentFetch(url, capture, NOT_MODIFIED, known, last.etag, last.last_modified)
        if capture.status != 200 or capture.error:
            outcome = TOO_LARGE_OUTCOME if capture.error == TOO_LARGE else FAILED
            return AttachmentFetch(url, capture, outcome, known, last.etag if last else None,
                                   last.last_modified if last else None)
        body = capture.body
        sha = hashlib.sha256(body).hexdigest()
        fetch = AttachmentFetch(url, capture, FETCHED, sha, capture.headers.get("etag"),
                                capture.headers.get("last-modified"), body=body)
        if not stored.has_file(archive, sha):
            text = await asyncio.to_thread(read_text, body, capture.final_url or url)
            fetch.file = AttachmentFile(sha, len(body), capture.content_type, text.file_type, text.readable,
                                        text.note, text.text)
            if text.note:
                log.info("attachment %s: %s (%s)", url, text.readable, text.note)
        return fetch


def store_fetches(archive: Archive, page_id: int, fetches: dict[str, AttachmentFetch], warc_pointer) -> None:
    """Log the round's attachment fetches of one notice (inside the notice's transaction);
    ``warc_pointer(capture)`` gives each one's WARC record."""
    for fetch in fetches.values():
        if fetch.file is not None:
            stored.store_file(archive, fetch.file, fetch.body)
        capture = fetch.capture
        stored.add_fetch(archive, page_id, fetch.url, fetched_at=capture.fetched_at, status=capture.status,
                         outcome=fetch.outcome, sha256=fetch.sha256, etag=fetch.etag,
                         last_modified=fetch.last_modified, error=capture.error,
                         warc=warc_pointer(capture))
        fetch.body = b""
