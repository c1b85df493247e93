"""Streaming reads of notices and versions for export.

An archive may hold hundreds of thousands of versions, so :func:`export_rows` walks one
cursor in batches and yields rows one at a time: memory stays flat however large the
archive. Rows come in ``(page id, version number)`` order, which the ``UNIQUE (page_id,
number)`` index gives without a sort. The whole export reads one snapshot (a single SELECT
in WAL mode), so a crawl writing meanwhile never produces a half-updated notice.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.archive import Archive

# Rows fetched from SQLite at a time.
BATCH_SIZE = 500


@dataclass(slots=True)
class ExportRow:
    """One exported record: a notice's version with the notice's own bookkeeping."""

    page_id: int
    url: str
    site: str
    title: str | None
    published: str | None
    source: str | None
    editor: str | None
    author: str | None
    doc_number: str | None
    index_number: str | None
    issuer: str | None
    attachments: list[dict[str, str | None]]  # [{"url": ..., "text": ...}]
    first_seen: str
    last_seen: str | None  # pages.last_checked: the last time the notice was fetched
    status: str  # live | removed | unreachable | pending
    version: int
    captured_at: str  # versions.created_at
    text: str

    def as_json(self) -> dict:
        return {name: getattr(self, name) for name in EXPORT_FIELDS}


# Exported fields, in output order (text last: it is long).
EXPORT_FIELDS = tuple(ExportRow.__dataclass_fields__)


@dataclass(slots=True, frozen=True)
class ExportFilter:
    """Which records to export.

    ``since``/``until`` bound ``versions.created_at`` (ISO strings, ``since <= captured_at <
    until_before``). With ``all_versions`` False, each notice gives its newest version inside
    those bounds — the notice as the archive held it at ``until``. ``changed_only`` keeps
    notices with more than one version in the whole archive.
    """

    site: str | None = None
    since: str | None = None
    until_before: str | None = None
    all_versions: bool = False
    changed_only: bool = False


_SELECT = (
    "SELECT p.id, p.url, s.name, v.title, v.published, v.source, v.editor, v.author, v.doc_number,"
    " v.index_number, v.issuer, v.attachments, p.first_seen, p.last_checked, p.status, v.number,"
    " v.created_at, v.text"
    " FROM versions v JOIN pages p ON p.id = v.page_id JOIN sites s ON s.id = p.site_id"
)


def _where(selection: ExportFilter) -> tuple[str, list[object]]:
    window, window_params = [], []
    if selection.since:
        window.append("{v}.created_at >= ?")
        window_params.append(selection.since)
    if selection.until_before:
        window.append("{v}.created_at < ?")
        window_params.append(selection.until_before)
    where = [w.format(v="v") for w in window]
    params: list[object] = list(window_params)
    if selection.site:
        where.append("s.name = ?")
        params.append(selection.site)
    if selection.changed_only:
        where.append("(SELECT COUNT(*) FROM versions c WHERE c.page_id = v.page_id) > 1")
    if not selection.all_versions:
        inner = "".join(" AND " + w.format(v="l") for w in window)
        where.append(f"v.number = (SELECT MAX(l.number) FROM versions l WHERE l.page_id = v.page_id{inner})")
        params.extend(window_params)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _attachments(archive: Archive, raw: str | None) -> list[dict[str, str | None]]:
    """Each attachment's URL and link text; for a fetched file also its ``sha256``, whether its
    text could be read (``readable``) and that text (``content``)."""
    if not raw:
        return []
    out = []
    for a in json.loads(raw):
        entry = {"url": a.get("url"), "text": a.get("text")}
        if a.get("sha256"):
            row = archive.conn.execute("SELECT readable, text FROM attachment_files WHERE sha256 = ?",
                                       (a["sha256"],)).fetchone()
            entry.update(sha256=a["sha256"], readable=row[0] if row else None, content=row[1] if row else None)
        out.append(entry)
    return out


def export_rows(archive: Archive, selection: ExportFilter = ExportFilter()) -> Iterator[ExportRow]:
    """Records chosen by ``selection``, in (notice, version) order, fetched in batches."""
    where, params = _where(selection)
    cursor = archive.conn.execute(_SELECT + where + " ORDER BY v.page_id, v.number", params)
    try:
        while batch := cursor.fetchmany(BATCH_SIZE):
            for r in batch:
                yield ExportRow(
                    page_id=r[0], url=r[1], site=r[2], title=r[3], published=r[4], source=r[5],
                    editor=r[6], author=r[7], doc_number=r[8], index_number=r[9], issuer=r[10],
                    attachments=_attachments(archive, r[11]), first_seen=r[12], last_seen=r[13], status=r[14],
                    version=r[15], captured_at=r[16], text=r[17],
                )
    finally:
        cursor.close()


def count_export_rows(archive: Archive, selection: ExportFilter = ExportFilter()) -> int:
    """How many records :func:`export_rows` would yield (for a progress display)."""
    where, params = _where(selection)
    sql = "SELECT COUNT(*) FROM versions v JOIN pages p ON p.id = v.page_id JOIN sites s ON s.id = p.site_id"
    return archive.conn.execute(sql + where, params).fetchone()[0]
