"""A JSON Lines log of changes, one line per change, for scripts that tail a file.

Each line has the shape of ``StoredChange.as_json()``, the same as ``--json`` output
elsewhere in portalwatch, so one parser reads both. The changes of a mass change (many
notices of a site edited in one round) are one line for the whole batch, in the shape of
``StoredBatch.as_json()`` (as ``portalwatch changes --json`` prints it): a line whose
``change_ids`` key is present is a batch; ``portalwatch changes --batch ID --expand --json``
lists its changes. The file is only ever appended to.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from monitor.config import Config
from storage.archive import Archive


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
