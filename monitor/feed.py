"""An Atom 1.0 feed of the latest changes, for feed readers and anyone who would rather poll.

Entries are newest first. An entry's id (``urn:portalwatch:change:{id}``) never changes, so
a reader shows each change once however often the feed is rewritten. Entry content is the
HTML of :meth:`monitor.change_text.ChangeText.html` (captured text escaped there), carried
as ``type="html"`` and so escaped a second time by the XML writer: a ``<script>`` in a
notice reaches the reader as text, never as an element. Built with xml.etree; no extra
dependency. Changes that only re-extracted old captures are left out, as in alerts. The changes
of a mass change are one entry for the batch (``urn:portalwatch:batch:{id}``), as in alerts.
"""
from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from monitor.batches import describe_batch
from monitor.change_text import describe_change, kind_label
from monitor.config import Config
from storage.archive import Archive

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ID = "urn:portalwatch:changes"
FEED_TITLE = "portalwatch：公告变动"
GENERATOR = "portalwatch"
DEFAULT_LIMIT = 200


def entry_id(change_id: int) -> str:
    return f"urn:portalwatch:change:{change_id}"


def feed_path_for(config: Config) -> Path:
    """The config's ``feed``, else ``<archive stem>.atom`` next to the archive."""
    return config.feed_path or config.archive.with_name(f"{config.archive.stem}.atom")


def atom_time(value: str | None) -> str:
    """An RFC 3339 timestamp; a naive stored time is taken as UTC, an unreadable one as now."""
    try:
        moment = datetime.fromisoformat(value) if value else datetime.now(UTC)
    except ValueError:
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def latest_change_ids(archive: Archive, *, site: str | None = None, limit: int = DEFAULT_LIMIT) -> list[int]:
    """Ids of the newest changes (by detection order), skipping re-extraction changes."""
    return archive.newest_change_ids(site=site, limit=limit)


def render_feed(archive: Archive, *, site: str | None = None, limit: int = DEFAULT_LIMIT) -> str:
    """The feed as an XML string."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    changes = [archive.change(change_id) for change_id in latest_change_ids(archive, site=site, limit=limit)]
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", FEED_ID + (f":{site}" if site else ""))
    sub(feed, "title", FEED_TITLE + (f"（{site}）" if site else ""))
    sub(feed, "updated", atom_time(changes[0].detected_at if changes else None))
    author = sub(feed, "author")
    sub(author, "name", GENERATOR)
    sub(feed, "generator", GENERATOR)
    batches_shown: set[int] = set()
    for change in changes:
        if change.batch_id is not None:  # a mass change: one entry for the whole batch
            if change.batch_id in batches_shown:
                continue
            batches_shown.add(change.batch_id)
            text = describe_batch(archive, archive.batch(change.batch_id))
            entry_key = f"urn:portalwatch:batch:{change.batch_id}"
        else:
            text = describe_change(archive, change)
            entry_key = entry_id(change.id)
        entry = sub(feed, "entry")
        sub(entry, "id", entry_key)
        sub(entry, "title", text.title)
        sub(entry, "link", rel="alternate", href=change.url)
        sub(entry, "updated", atom_time(change.detected_at))
        sub(entry, "category", term=change.kind, label=kind_label(change.kind))
        sub(entry, "content", text.html(), type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _umask() -> int:
    """The process umask, read without setting it (setting it, even back, races other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def write_feed(archive: Archive, path: str | Path, *, site: str | None = None, limit: int = DEFAULT_LIMIT) -> Path:
    """Write the feed atomically (a reader never sees half a file); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml = render_feed(archive, site=site, limit=limit)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes the file 0600; the feed is published like the other outputs, so it gets
        # the mode a plain open() would give it under the user's umask.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(xml)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
