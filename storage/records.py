"""Typed rows going into and coming out of the archive."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import NamedTuple

# The metadata fields a version carries, in the order they are stored and compared.
VERSION_FIELDS = (
    "title",
    "published",
    "source",
    "editor",
    "author",
    "doc_number",
    "index_number",
    "issuer",
    "attachments",
)


@dataclass(slots=True)
class VersionContent:
    """What a version holds: normalised-comparable text and metadata of one notice.

    ``attachments`` is a list of ``{"url": ..., "text": ...}``. ``fingerprint`` is computed
    by the caller over the *normalised* text and fields: equal fingerprints mean the same
    version, whatever the raw bytes or furniture said.
    """

    fingerprint: str
    text: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    editor: str | None = None
    author: str | None = None
    doc_number: str | None = None
    index_number: str | None = None
    issuer: str | None = None
    attachments: list[dict] = field(default_factory=list)
    extractor: str = ""


@dataclass(slots=True)
class PageState:
    """What the archive knows about a URL before storing a new capture of it."""

    id: int
    site: str
    url: str
    status: str  # live | removed | unreachable | pending
    listed: bool
    failures: int
    etag: str | None
    last_modified: str | None
    last_body_sha256: str | None
    current_version_id: int | None
    current_fingerprint: str | None
    first_seen: str
    published: str | None
    last_listed_at: str | None = None  # when a listing last showed it (None: never seen on one)
    last_checked: str | None = None  # when it was last fetched (UTC ISO)


@dataclass(slots=True)
class StoredVersion:
    id: int
    page_id: int
    url: str
    number: int
    created_at: str
    capture_id: int | None
    fingerprint: str
    text: str
    title: str | None
    published: str | None
    source: str | None
    editor: str | None
    author: str | None
    doc_number: str | None
    index_number: str | None
    issuer: str | None
    attachments: list[dict]
    extractor: str
    reextracted: bool

    def fields(self) -> dict[str, str | None]:
        """Metadata fields as comparable strings (attachments as sorted JSON)."""
        out: dict[str, str | None] = {}
        for name in VERSION_FIELDS:
            value = getattr(self, name)
            if name == "attachments":
                value = json.dumps(sorted(a.get("url", "") for a in value)) if value else None
            out[name] = value
        return out


@dataclass(slots=True)
class StoredCapture:
    id: int
    page_id: int
    url: str
    fetched_at: str
    status: int
    outcome: str
    body_sha256: str | None
    size: int | None
    final_url: str | None
    version_id: int | None
    version_number: int | None
    error: str | None
    headers: dict[str, str]
    warc_record_id: str | None
    address: str = ""  # the address fetched: the page URL, or a mirror address of it


@dataclass(slots=True)
class StoredChange:
    id: int
    site: str
    url: str
    kind: str
    fields: list[str]
    detected_at: str
    from_version: int | None  # version numbers within the page
    to_version: int | None
    from_version_id: int | None
    to_version_id: int | None
    capture_id: int | None
    note: str | None
    title: str | None
    batch_id: int | None = None  # the mass change this change is part of

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "site": self.site,
            "url": self.url,
            "kind": self.kind,
            "fields": self.fields,
            "detected_at": self.detected_at,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "title": self.title,
            "note": self.note,
            "batch_id": self.batch_id,
        }


@dataclass(slots=True)
class StoredBatch:
    """Many notices of one site changed in one round: recorded one by one, told as one event.

    ``field_counts`` says how many of the changes touched each field; ``change_ids`` are the
    member changes, oldest first.
    """

    id: int
    site: str
    kind: str
    detected_at: str
    count: int
    rechecked: int  # notices of the site re-checked in that round
    field_counts: dict[str, int]
    note: str | None
    change_ids: list[int]

    @property
    def fields(self) -> list[str]:
        """Field names, most often changed first."""
        return sorted(self.field_counts, key=lambda name: (-self.field_counts[name], name))

    def as_json(self) -> dict:
        """One JSON object for the whole batch: the keys of a change where they apply (``kind``,
        ``site``, ``fields``, ``detected_at``, ``note``; ``id`` and ``url`` are null) plus
        ``batch_id``, ``count``, ``rechecked``, ``field_counts`` and ``change_ids``."""
        return {
            "id": None,
            "site": self.site,
            "url": None,
            "kind": self.kind,
            "fields": self.fields,
            "detected_at": self.detected_at,
            "from_version": None,
            "to_version": None,
            "title": None,
            "note": self.note,
            "batch_id": self.id,
            "count": self.count,
            "rechecked": self.rechecked,
            "field_counts": self.field_counts,
            "change_ids": self.change_ids,
        }


@dataclass(slots=True)
class NotFoundPage:
    """What a site answered last to a URL that cannot exist (see monitor.not_found)."""

    site: str
    url: str
    checked_at: str
    status: int
    fingerprint: list[str] | None  # None: the site answers a real 404/410


@dataclass(slots=True)
class PageSummary:
    id: int
    site: str
    url: str
    title: str | None
    published: str | None
    versions: int
    captures: int
    first_seen: str
    last_checked: str | None
    last_http_status: int | None
    status: str
    listed: bool

    def as_json(self) -> dict:
        return {
            "site": self.site,
            "url": self.url,
            "title": self.title,
            "published": self.published,
            "versions": self.versions,
            "captures": self.captures,
            "first_seen": self.first_seen,
            "last_checked": self.last_checked,
            "last_http_status": self.last_http_status,
            "status": self.status,
            "listed": self.listed,
        }


@dataclass(slots=True)
class Announcement:
    """One change (or mass change: ``batch_id``) told to one target: an alert target's
    redacted label, ``changelog`` or ``feed``. ``state``: pending, sending, sent, failed or
    skipped; a failed one is sent again from ``next_attempt_at`` on."""

    id: int
    change_id: int | None
    batch_id: int | None
    target: str
    state: str
    attempts: int
    next_attempt_at: str | None
    claimed_by: str | None
    claimed_at: str | None
    done_at: str | None
    error: str | None
    marker: int | None = None
    site: str | None = None

    def as_json(self) -> dict:
        return {"change_id": self.change_id, "batch_id": self.batch_id, "site": self.site, "target": self.target,
                "state": self.state, "attempts": self.attempts, "next_attempt_at": self.next_attempt_at,
                "done_at": self.done_at, "error": self.error}


@dataclass(slots=True)
class SiteLock:
    """A site whose round is running: held by process ``pid`` (started at ``pid_started``)."""

    site: str
    holder: str
    pid: int
    pid_started: str | None
    command: str | None
    before_change_id: int
    acquired_at: str


class ReextractCandidate(NamedTuple):
    """A notice whose latest raw capture can be extracted again (``portalwatch reextract``)."""

    page_id: int
    url: str
    site: str
    body_sha256: str | None
    current_version_id: int
    fingerprint: str
    capture_id: int | None
