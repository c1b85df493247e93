"""Typed rows going into and coming out of the archive."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

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
        }


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
