"""A JSON Lines log of changes, one line per change, for scripts that tail a file.

Each line has the shape of ``StoredChange.as_json()``, the same as ``--json`` output
elsewhere in portalwatch, so one parser reads both. The file is only ever appended to.
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
    """Append one JSON line per change, in the order given; return how many were written."""
    lines = [json.dumps(archive.change(change_id).as_json(), ensure_ascii=False) + "\n"
             for change_id in change_ids]
    if not lines:
        return 0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write("".join(lines))
    return len(lines)
