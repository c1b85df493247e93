"""What changed in a notice's attachments between two versions, file by file.

Files are paired by the file name of their link (see monitor.attachments). Each pair that
differs says how (``replaced``: other bytes behind the link; ``renamed``: other link text;
``added``; ``removed``), carries both SHA-256s, and, when the text of both files could be
read, the text diff of the attachment itself.
"""
from __future__ import annotations

from monitor.attachments import file_name
from monitor.diff import diff_texts, diff_to_json
from monitor.normalize import normalize_field
from storage import attachments as stored
from storage.archive import Archive
from storage.records import StoredVersion


def _file_info(archive: Archive, sha: str | None) -> dict:
    found = stored.file_by_sha(archive, sha) if sha else None
    if found is None:
        return {"readable": None, "note": None, "text": None}
    return {"readable": found.readable, "note": found.note, "text": found.text}


def attachment_changes(archive: Archive, old: StoredVersion, new: StoredVersion) -> list[dict]:
    """One entry per attachment that differs: ``name``, ``url``, ``change``, ``old_sha256``,
    ``new_sha256``, ``old_text``/``new_text`` (``readable``, ``note``) and ``text_diff``."""
    before = {file_name(a["url"]): a for a in old.attachments}
    after = {file_name(a["url"]): a for a in new.attachments}
    out = []
    for name in list(before) + [n for n in after if n not in before]:
        then, now = before.get(name), after.get(name)
        old_sha, new_sha = (then or {}).get("sha256"), (now or {}).get("sha256")
        if then is None:
            change = "added"
        elif now is None:
            change = "removed"
        elif old_sha and new_sha and old_sha != new_sha:
            change = "replaced"
        elif normalize_field(then.get("text")) != normalize_field(now.get("text")):
            change = "renamed"
        else:
            continue
        entry = {"name": name, "url": (now or then)["url"], "change": change,
                 "old_link_text": (then or {}).get("text"), "new_link_text": (now or {}).get("text"),
                 "old_sha256": old_sha, "new_sha256": new_sha, "text_diff": None}
        old_file, new_file = _file_info(archive, old_sha), _file_info(archive, new_sha)
        entry["old_readable"], entry["new_readable"] = old_file["readable"], new_file["readable"]
        if change == "replaced" and old_file["text"] is not None and new_file["text"] is not None:
            entry["text_diff"] = diff_to_json(diff_texts(old_file["text"], new_file["text"]))
        out.append(entry)
    return out


def describe(entry: dict) -> str:
    """One line for the text diff: which file changed and how."""
    short = {key: (entry[key] or "-")[:12] for key in ("old_sha256", "new_sha256")}
    return (f"  attachment {entry['change']}: {entry['name']} "
            f"(sha256 {short['old_sha256']} → {short['new_sha256']})")
