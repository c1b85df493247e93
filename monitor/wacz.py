"""WACZ packages of the archive's WARC files (``portalwatch export --format wacz``).

A WACZ (Web Archive Collection Zipped, https://specs.webrecorder.net/wacz/1.1.1/) is what
replay tools such as ReplayWeb.page open directly. Built here by hand from the spec (the
``wacz`` package's ``create`` cannot keep one site's records of a shared file, and pulls in
a data-validation stack portalwatch does not otherwise need); the ``wacz validate`` check
passes on it (tests/test_wacz.py):

    archive/<name>.warc.gz      the WARC files of ``<archive stem>.warc/`` (all records, or with a
                                site only that site's: its warcinfo records and the records that
                                name one), gzip members copied byte for byte, stored uncompressed
    indexes/index.cdxj          their sorted CDXJ index (response and revisit records)
    pages/pages.jsonl           one line per notice: its latest version's capture, title and text
    datapackage.json            every file above with its SHA-256 and size
    datapackage-digest.json     the SHA-256 of datapackage.json
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.warc_capture import software
from storage.archive import Archive
from storage.warc import warc_date
from storage.warc_copy import RecordCopier, site_records, warc_files

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}


class WaczError(Exception):
    """Nothing to package (no WARC files, or none of the site's records)."""


@dataclass(slots=True)
class WaczReport:
    path: Path
    warc_files: int
    records: int
    pages: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _resource(path_in_zip: str, data_path: Path) -> dict:
    return {"name": os.path.basename(path_in_zip).lower(), "path": path_in_zip,
            "hash": f"sha256:{_sha256_file(data_path)}", "bytes": data_path.stat().st_size}


def _pages(archive: Archive, site: str | None, record_ids: set[str]) -> list[dict]:
    """A line per notice whose latest version's capture (or the response it revisits) is in the package."""
    lines = []
    for page in archive.pages(site):
        if not page.versions:
            continue
        version = archive.version(page.url)
        capture = archive.capture_of_version(version)
        if capture is None or not any(p.record_id in record_ids for p in archive.warc_chain(capture.id)):
            continue
        ts = warc_date(capture.fetched_at)
        lines.append({"id": hashlib.sha1(f"{capture.final_url} {ts}".encode()).hexdigest()[:24],
                      "url": capture.final_url, "ts": ts, "title": version.title or page.url,
                      "text": version.text})
    return lines


def write_wacz(archive: Archive, output: Path, *, site: str | None = None) -> WaczReport:
    """Package the archive's WARC files (or one site's records of them) as a WACZ at ``output``."""
    sources = warc_files(archive.warc_dir)
    if not sources:
        raise WaczError(f"no WARC files in {archive.warc_dir} (a crawl writes them unless `warc = false`)")
    with tempfile.TemporaryDirectory(prefix="portalwatch-wacz-") as work:
        folder = Path(work)
        copied: list[tuple[str, Path]] = []
        index: list[str] = []
        record_ids: set[str] = set()
        for source in sources:
            name = source.name if source.name.endswith(".gz") else source.name + ".gz"
            target = folder / name
            with open(target, "wb") as out:
                copier = RecordCopier(out, name)
                for described, raw in site_records(source, site):
                    copier.add(described, raw)
            if not copier.copied or (site is not None and all(r.rec_type == "warcinfo" for r in copier.copied)):
                target.unlink()
                continue
            copied.append((f"archive/{name}", target))
            index.extend(copier.index_lines())
            record_ids.update(r.record_id for r in copier.copied)
        if not copied:
            raise WaczError(f"the WARC files hold no records of site {site!r}")
        index_path = folder / "index.cdxj"
        index_path.write_text("".join(sorted(index)), encoding="utf-8")
        pages = _pages(archive, site, record_ids)
        pages_path = folder / "pages.jsonl"
        pages_path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n"
                                      for line in [PAGES_HEADER, *pages]), encoding="utf-8")
        entries = [*copied, ("indexes/index.cdxj", index_path), ("pages/pages.jsonl", pages_path)]
        package = {
            "profile": "data-package",
            "resources": [_resource(path, data) for path, data in entries],
            "wacz_version": WACZ_VERSION,
            "software": software(),
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "title": f"portalwatch captures of site {site}" if site else "portalwatch captures",
        }
        package_bytes = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
        digest = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(package_bytes).hexdigest()}"}
        temporary = output.with_name(output.name + ".tmp")
        with zipfile.ZipFile(temporary, "w", allowZip64=True) as wacz:
            for path, data in entries:
                stored = path.startswith("archive/")  # WARCs stay stored so replay can seek in them
                wacz.write(data, path, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            wacz.writestr("datapackage.json", package_bytes, compress_type=zipfile.ZIP_DEFLATED)
            wacz.writestr("datapackage-digest.json", json.dumps(digest, indent=2), compress_type=zipfile.ZIP_DEFLATED)
        os.replace(temporary, output)
    return WaczReport(path=output, warc_files=len(copied), records=len(record_ids), pages=len(pages))
