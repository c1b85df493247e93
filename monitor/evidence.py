"""Evidence packages: everything needed to show that a notice said X on one date and Y on another.

``portalwatch evidence CHANGE_ID -o file.zip`` writes one zip:

    manifest.json            what the package holds: the change, both captures (URL, HTTP status,
                             times in UTC and +08:00, WARC record ids), the portalwatch version,
                             and the SHA-256 and size of every other file
    warc/before.warc.gz      the capture that last showed the old version, as the WARC records
    warc/after.warc.gz       written at fetch time (gzip members copied byte for byte): the
                             response or revisit, the request that asked for it and, for a
                             revisit, the response it stands for
    text/before.txt          each version's extracted text, with its metadata
    text/after.txt
    diff/diff.txt            the diff as `portalwatch diff` prints it ([+ +] / [- -] markers)
    diff/diff.unified.txt    a unified diff of the whole texts, one sentence per line
    diff/diff.html           the diff as a standalone HTML page (captured text escaped)
    attachments/<sha256>/<name>  the attachment files the versions name, when the archive has them

A change without an old version (``new``) has no "before" files, one without a new version
(``removed``, ``unreachable``, ``delisted``) no "after" text; the "after" capture is then the
fetch that detected it. :func:`verify_evidence` re-reads every file listed in the manifest
and names each one whose bytes no longer match.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from monitor.diff import diff_fields, diff_texts
from monitor.diff_render import render_html, render_terminal, render_unified
from monitor.normalize import display_form
from monitor.warc_capture import portalwatch_version
from storage.archive import Archive, ArchiveError
from storage.records import StoredCapture, StoredChange, StoredVersion
from storage.warc import WarcError, payload_digest
from storage.warc_copy import RecordCopier, fetch_records, records_of

MANIFEST = "manifest.json"
FORMAT = "portalwatch-evidence/1"
BEIJING = timezone(timedelta(hours=8))
# Captures whose answer showed the page's then current version (not a failure or a removal).
SHOWING_OUTCOMES = frozenset({"new", "changed", "same_content", "not_modified", "unchanged", "restored"})
# Labels of the metadata lines of text/*.txt, as `portalwatch show` prints them.
TEXT_LABELS = (("标题", "title"), ("发布时间", "published"), ("来源", "source"), ("责任编辑", "editor"),
               ("文号", "doc_number"), ("索引号", "index_number"), ("发布机关", "issuer"))


class EvidenceError(Exception):
    """The change cannot be packaged (no such change, no capture to show)."""


@dataclass(slots=True)
class Problem:
    """One file of a package that does not hold what its manifest says."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(slots=True)
class Verification:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class Package:
    """What :func:`build_evidence` wrote."""

    path: Path
    change: StoredChange
    files: dict[str, bytes]
    manifest: dict


def both_times(moment: str) -> dict[str, str]:
    """An archive time (ISO 8601, any offset; naive is UTC) in UTC and in Beijing time."""
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return {"utc": parsed.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "+08:00": parsed.astimezone(BEIJING).isoformat(timespec="seconds")}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- choosing the captures -------------------------------------------------------------------


def _after_capture(change: StoredChange, captures: dict[int, StoredCapture],
                   new: StoredVersion | None) -> StoredCapture | None:
    if change.capture_id is not None and change.capture_id in captures:
        return captures[change.capture_id]
    if new is not None and new.capture_id in captures:
        return captures[new.capture_id]
    return None


def _before_capture(old: StoredVersion | None, after: StoredCapture | None,
                    captures: dict[int, StoredCapture]) -> StoredCapture | None:
    """The last fetch before the change that showed the old version (a 304 or the same
    bytes again count: the notice still said the same); else the version's own capture."""
    if old is None or old.capture_id not in captures:
        return None
    first = captures[old.capture_id]
    limit = after.id if after is not None else None
    showing = [c for c in captures.values()
               if first.id <= c.id and (limit is None or c.id < limit) and c.address == first.address
               and c.outcome in SHOWING_OUTCOMES and c.status in (200, 304)]
    return max(showing, key=lambda c: c.id) if showing else first


# -- the files ---------------------------------------------------------------------------------


def _version_text(version: StoredVersion) -> str:
    lines = [f"URL: {version.url}"]
    for label, name in TEXT_LABELS:
        value = getattr(version, name)
        if value or name in ("title", "published"):
            lines.append(f"{label}: {value or ''}")
    lines.append(f"版本: {version.number} ({version.created_at})")
    lines.append("")
    lines.append(version.text)
    for attachment in version.attachments:
        sha = attachment.get("sha256")
        lines.append(f"附件: {attachment.get('text') or ''} {attachment.get('url')}"
                     + (f" sha256:{sha}" if sha else ""))
    return "\n".join(lines) + "\n"


def _diff_files(change: StoredChange, old: StoredVersion, new: StoredVersion) -> dict[str, bytes]:
    old_text, new_text = display_form(old.text), display_form(new.text)
    text_diff = diff_texts(old_text, new_text)
    fields = diff_fields(old.fields(), new.fields())
    head = (f"{new.title or change.url}\n{change.url}\n"
            f"v{old.number} ({old.created_at}) → v{new.number} ({new.created_at})\n")
    lines = [head.rstrip("\n")]
    lines += [f"  {f.name}: {f.old!r} → {f.new!r}" for f in fields]
    rendered = render_terminal(text_diff, color=False, context_chars=10_000)
    lines.append(rendered if rendered else "(body text unchanged)")
    unified = render_unified(old_text, new_text, f"{change.url} v{old.number}", f"{change.url} v{new.number}")
    rows = "".join(f"<li>{html.escape(f.name)}: <del>{html.escape(f.old or '')}</del> → "
                   f"<ins>{html.escape(f.new or '')}</ins></li>" for f in fields)
    page = (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(new.title or change.url)}: v{old.number} → v{new.number}</title>\n"
        "<style>ins{background:#dfd;text-decoration:none}del{background:#fdd}</style></head><body>\n"
        f"<h1>{html.escape(new.title or change.url)}</h1>\n<p>{html.escape(change.url)}</p>\n"
        f"<p>v{old.number} ({html.escape(old.created_at)}) → v{new.number} ({html.escape(new.created_at)});"
        f" change #{change.id} ({html.escape(change.kind)}) detected {html.escape(change.detected_at)}</p>\n"
        + (f"<ul>{rows}</ul>\n" if rows else "") + render_html(text_diff) + "\n</body></html>\n"
    )
    return {"diff/diff.txt": ("\n".join(lines) + "\n").encode("utf-8"),
            "diff/diff.unified.txt": (unified + "\n" if unified else "").encode("utf-8"),
            "diff/diff.html": page.encode("utf-8")}


def _warc_file(archive: Archive, capture: StoredCapture) -> tuple[bytes, list[dict]]:
    """The capture's records (and, for a revisit, the records of the response it stands
    for, oldest first) as one WARC file, and what each record is."""
    import io

    chain = archive.warc_chain(capture.id)
    out = io.BytesIO()
    copier = RecordCopier(out, "")
    for pointer in reversed(chain):
        path = archive.warc_path(pointer.file)
        try:
            found = fetch_records(path, pointer.offset, pointer.record_id)
        except WarcError as exc:
            raise EvidenceError(str(exc)) from exc
        for described, raw in found:
            copier.add(described, raw)
    records = [{"type": r.rec_type, "record_id": r.record_id, "target_uri": r.target_uri, "warc_date": r.date,
                "http_status": r.status, "payload_digest": r.payload_digest, "refers_to": r.refers_to,
                "profile": r.profile, "source_file": os.path.basename(r.source), "source_offset": r.source_offset,
                "offset": r.offset, "length": r.length} for r in copier.copied]
    return out.getvalue(), records


def _capture_entry(role: str, capture: StoredCapture, version: StoredVersion | None) -> dict:
    return {
        "role": role, "capture_id": capture.id, "url": capture.url, "fetched_url": capture.address,
        "final_url": capture.final_url, "http_status": capture.status, "outcome": capture.outcome,
        "fetched_at": both_times(capture.fetched_at), "body_sha256": capture.body_sha256,
        "version": version.number if version is not None and capture.outcome != "removed" else None,
        "version_created_at": both_times(version.created_at) if version is not None else None,
    }


def _safe_name(name: str) -> str:
    name = re.sub(r"[\\/\x00-\x1f:*?\"<>|]+", "_", name).strip(" .")
    return name[:120] or "file"


def _attachments(archive: Archive, roles: dict[str, StoredVersion | None]) -> tuple[dict[str, bytes], list[dict]]:
    files: dict[str, bytes] = {}
    listed: dict[str, dict] = {}
    for role, version in roles.items():
        for attachment in version.attachments if version is not None else ():
            sha = attachment.get("sha256")
            if not sha:
                continue
            entry = listed.get(sha)
            if entry is None:
                name = _safe_name(attachment.get("text") or os.path.basename(attachment.get("url") or "") or sha)
                entry = {"sha256": sha, "url": attachment.get("url"), "name": attachment.get("text"),
                         "versions": [], "file": None}
                try:
                    body = archive.raw_body(sha)
                except ArchiveError:
                    entry["note"] = "the archive does not hold this file's bytes"
                else:
                    if sha256(body) != sha:
                        entry["note"] = "the archive's bytes for this file do not hash to its SHA-256"
                    path = f"attachments/{sha}/{name}"
                    files[path] = body
                    entry["file"] = path
                listed[sha] = entry
            entry["versions"].append(role)
    return files, list(listed.values())


def build_evidence(archive: Archive, change_id: int, output: Path) -> Package:
    """Write the evidence package of change ``change_id`` to ``output`` (a zip)."""
    try:
        change = archive.change(change_id)
        captures = {c.id: c for c in archive.captures(change.url)}
    except ArchiveError as exc:
        raise EvidenceError(str(exc)) from exc
    old = archive.version_by_id(change.from_version_id) if change.from_version_id else None
    new = archive.version_by_id(change.to_version_id) if change.to_version_id else None
    after = _after_capture(change, captures, new)
    before = _before_capture(old, after, captures)
    if before is None and after is None:
        raise EvidenceError(f"change {change_id} has no stored capture to show")
    files: dict[str, bytes] = {}
    entries = []
    for role, capture, version in (("before", before, old), ("after", after, new if after is not None else None)):
        if capture is None:
            continue
        entry = _capture_entry(role, capture, version if version is not None else (old if role == "after" else None))
        try:
            warc, records = _warc_file(archive, capture)
        except ArchiveError as exc:
            raise EvidenceError(str(exc)) from exc
        if records:
            files[f"warc/{role}.warc.gz"] = warc
            entry["warc"] = {"file": f"warc/{role}.warc.gz", "records": records}
        else:
            entry["warc"] = None
            entry["note"] = "not written to WARC files (warc = false when it was fetched)"
            if capture.body_sha256:
                files[f"raw/{role}.body"] = archive.raw_body(capture.body_sha256)
                entry["raw_file"] = f"raw/{role}.body"
        entries.append(entry)
    if old is not None:
        files["text/before.txt"] = _version_text(old).encode("utf-8")
    if new is not None:
        files["text/after.txt"] = _version_text(new).encode("utf-8")
    if old is not None and new is not None:
        files.update(_diff_files(change, old, new))
    attachment_files, attachments = _attachments(archive, {"before": old, "after": new})
    files.update(attachment_files)
    manifest = {
        "format": FORMAT,
        "software": f"portalwatch/{portalwatch_version()}",
        "portalwatch_version": portalwatch_version(),
        "created_at": both_times(datetime.now(UTC).isoformat()),
        "change": {**change.as_json(), "detected_at": both_times(change.detected_at)},
        "url": change.url,
        "captures": entries,
        "versions": {role: {"number": v.number, "created_at": both_times(v.created_at), "title": v.title,
                            "published": v.published, "text_file": f"text/{role}.txt", "fields": v.fields()}
                     for role, v in (("before", old), ("after", new)) if v is not None},
        "attachments": attachments,
        "attachments_note": None if attachments else "the versions name no stored attachment files",
        "hash": "sha256",
        "files": [{"path": path, "sha256": sha256(data), "bytes": len(data)} for path, data in files.items()],
    }
    _write_zip(output, files, manifest)
    return Package(path=output, change=change, files=files, manifest=manifest)


def _write_zip(output: Path, files: dict[str, bytes], manifest: dict) -> None:
    temporary = output.with_name(output.name + ".tmp")
    with zipfile.ZipFile(temporary, "w") as package:
        package.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                         compress_type=zipfile.ZIP_DEFLATED)
        for path, data in files.items():
            stored = path.endswith(".gz")  # already compressed
            package.writestr(path, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    os.replace(temporary, output)


# -- checking a package ------------------------------------------------------------------------


def verify_evidence(path: Path) -> Verification:
    """Re-hash every file the manifest lists; each one missing, unreadable or not matching
    (and each file the manifest does not list) is a :class:`Problem`. The WARC files' payload
    digests are re-computed too."""
    result = Verification()
    try:
        package = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        result.problems.append(Problem(str(path), f"not a readable zip file ({exc})"))
        return result
    with package:
        try:
            manifest = json.loads(package.read(MANIFEST))
            listed = {entry["path"]: entry for entry in manifest["files"]}
        except KeyError:
            result.problems.append(Problem(MANIFEST, "missing, or lists no files"))
            return result
        except (ValueError, zipfile.BadZipFile, zlib.error) as exc:
            result.problems.append(Problem(MANIFEST, f"unreadable ({exc})"))
            return result
        result.manifest = manifest
        names = set(package.namelist())
        for name in sorted(names - set(listed) - {MANIFEST}):
            result.problems.append(Problem(name, "not listed in the manifest"))
        for name, entry in listed.items():
            if name not in names:
                result.problems.append(Problem(name, "listed in the manifest but missing"))
                continue
            try:
                data = package.read(name)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                result.problems.append(Problem(name, f"unreadable ({exc})"))
                continue
            result.checked += 1
            found = sha256(data)
            if found != entry.get("sha256"):
                result.problems.append(Problem(name, f"SHA-256 {found} does not match the manifest's"
                                                     f" {entry.get('sha256')}"))
            elif name.endswith(".warc.gz"):
                result.problems.extend(Problem(name, reason) for reason in _digest_problems(data))
    return result


def _digest_problems(data: bytes) -> list[str]:
    problems = []
    try:
        for record, payload in records_of(data):
            stated = record.payload_digest
            if record.rec_type == "response" and stated and stated != payload_digest(payload):
                problems.append(f"record {record.record_id}: payload does not match its WARC-Payload-Digest")
    except Exception as exc:  # noqa: BLE001 - any reading error is reported, never raised
        problems.append(f"unreadable WARC ({exc})")
    return problems
