"""A JSON Lines log of changes, one line per change, for scripts that tail a file.

Each line has the shape of ``StoredChange.as_json()``, the same as ``--json`` output
elsewhere in portalwatch, so one parser reads both. The changes of a mass change (many
notices of a site edited in one round) are one line for the whole batch, in the shape of
``StoredBatch.as_json()`` (as ``portalwatch changes --json`` prints it): a line whose
``change_ids`` key is present is a batch; ``portalwatch changes --batch ID --expand --json``
lists its changes. The file is only ever appended to.

Through the outbox (:func:`write_claimed`), each change reaches the log once: the append
happens under an exclusive ``flock`` of the file, after the file's size is noted on the
claimed announcements; a run killed between writing and marking them sent leaves that note,
and the next run reads the lines written after it and writes only what is missing.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from monitor.config import Config
from storage.archive import Archive, ArchiveError
from storage.holders import Holder
from storage.records import Announcement


def changelog_path_for(config: Config) -> Path:
    """The config's ``changelog``, else ``<archive stem>.changes.jsonl`` next to the archive."""
    return config.changelog_path or config.archive.with_name(f"{config.archive.stem}.changes.jsonl")


def append_changes(archive: Archive, path: str | Path, change_ids: Iterable[int]) -> int:
    """Append one JSON line per change (one per batch for the changes of a mass change, at
    the place of its first change), in the order given; return how many were written."""
    lines: list[str] = []
    batches_written: set[int] = set()
    for change_id in change_ids:
        change = archive.change(change_id)
        if change.batch_id is None:
            record = change.as_json()
        elif change.batch_id in batches_written:
            continue
        else:
            batches_written.add(change.batch_id)
            record = archive.batch(change.batch_id).as_json()
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    if not lines:
        return 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(lines))
    return len(lines)


def _logged_since(path: Path, offset: int) -> tuple[set[int], set[int]]:
    """Change ids and batch ids of the lines written from byte ``offset`` on."""
    changes, batches = set(), set()
    try:
        with path.open("rb") as log_file:
            log_file.seek(offset)
            for raw in log_file:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue  # a line cut short by a crash: written again below
                if "change_ids" in record:
                    batches.add(record.get("batch_id"))
                elif record.get("id") is not None:
                    changes.add(record["id"])
    except FileNotFoundError:
        pass
    return changes, batches


def write_claimed(archive: Archive, path: str | Path, holder: Holder, claimed: Sequence[Announcement],
                  recovered: Sequence[Announcement] = ()) -> int:
    """Append the change-log lines of announcements ``holder`` claimed (target ``changelog``)
    and mark them sent; return how many lines were written. ``recovered``: announcements of
    this target that a dead process was writing (their lines may be in the file already)."""
    if not claimed:
        return 0
    now = datetime.now(UTC).isoformat(timespec="seconds")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    markers = [a.marker for a in recovered if a.marker is not None]
    done_changes, done_batches = _logged_since(path, min(markers)) if markers else (set(), set())
    entries: list[tuple[int, str, int]] = []  # (sort key: change id, line, announcement id)
    already: list[int] = []
    for announcement in claimed:
        try:
            if announcement.batch_id is not None:
                if announcement.batch_id in done_batches:
                    already.append(announcement.id)
                    continue
                batch = archive.batch(announcement.batch_id)
                key, record = (batch.change_ids[0] if batch.change_ids else 0), batch.as_json()
            else:
                change = archive.change(announcement.change_id)
                if change.batch_id is not None:  # told by its batch's line
                    archive.mark_announcement(announcement.id, holder, "skipped", at=now,
                                              error=f"in the line of mass change B{change.batch_id}")
                    continue
                if change.id in done_changes:
                    already.append(announcement.id)
                    continue
                key, record = change.id, change.as_json()
        except ArchiveError as exc:
            archive.mark_announcement(announcement.id, holder, "skipped", at=now, error=str(exc))
            continue
        entries.append((key, json.dumps(record, ensure_ascii=False) + "\n", announcement.id))
    for announcement_id in already:
        archive.mark_announcement(announcement_id, holder, "sent", at=now, error="found in the log after a crash")
    if not entries:
        return 0
    entries.sort(key=lambda entry: entry[0])
    with path.open("a", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)  # one writer at a time, whatever the process or thread
        try:
            out.seek(0, os.SEEK_END)
            archive.set_announcement_markers([entry[2] for entry in entries], holder, out.tell())
            out.write("".join(entry[1] for entry in entries))
            out.flush()
            os.fsync(out.fileno())
            for entry in entries:
                archive.mark_announcement(entry[2], holder, "sent", at=now)
        finally:
            fcntl.flock(out, fcntl.LOCK_UN)
    return len(entries)
