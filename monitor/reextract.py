"""Re-run extraction over stored raw captures, after an upgrade of the extractor.

For each notice, the raw bytes of its latest capture are extracted again. Where the
normalised text or compared metadata really differ from the current version, a new version
is stored marked ``reextracted``: it becomes the version later captures are compared with,
and it never raises a change or an alert (the notice did not change; our reading of it did).
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.article import Article
from monitor.config import Config
from monitor.extraction import extract_article
from monitor.recorder import version_content
from storage.archive import Archive


@dataclass
class ReextractReport:
    checked: int = 0
    updated: int = 0
    skipped: int = 0  # no stored raw body to re-read


def _extract(job: tuple[bytes, str, str | None, str | None]) -> Article:
    body, url, content_type, selector = job
    return extract_article(body, url, content_type=content_type, content_selector=selector)


def reextract(archive: Archive, config: Config, *, site: str | None = None, workers: int | None = None,
              on_progress: Callable[[int], None] | None = None) -> ReextractReport:
    report = ReextractReport()
    selectors = {s.name: s.content_selector for s in config.sites}
    rows = archive.conn.execute(
        "SELECT pages.id, pages.url, sites.name, pages.last_body_sha256, versions.fingerprint,"
        " (SELECT captures.id FROM captures WHERE captures.page_id = pages.id"
        "  AND captures.body_sha256 = pages.last_body_sha256 ORDER BY captures.id DESC LIMIT 1)"
        " FROM pages JOIN sites ON sites.id = pages.site_id"
        " JOIN versions ON versions.id = pages.current_version_id"
        + (" WHERE sites.name = ?" if site else "") + " ORDER BY pages.id",
        (site,) if site else (),
    ).fetchall()

    def jobs() -> Iterator[tuple[bytes, str, str | None, str | None]]:
        for _page_id, url, site_name, sha, _fp, capture_id in rows:
            headers = {}
            if capture_id is not None:
                found = archive.conn.execute(
                    "SELECT header_sets.headers FROM captures JOIN header_sets"
                    " ON header_sets.id = captures.header_set_id WHERE captures.id = ?", (capture_id,)).fetchone()
                if found:
                    headers = json.loads(found[0])
            yield archive.raw_body(sha), url, headers.get("content-type"), selectors.get(site_name)

    usable = [row for row in rows if row[3]]
    report.skipped = len(rows) - len(usable)
    rows = usable
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers > 0 and len(rows) > 20:
        executor = ProcessPoolExecutor(workers)
        articles = executor.map(_extract, jobs(), chunksize=8)
    else:
        executor = None
        articles = map(_extract, jobs())
    try:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        for (page_id, _url, _site, _sha, fingerprint, capture_id), article in zip(rows, articles):
            report.checked += 1
            content = version_content(article)
            if content.fingerprint != fingerprint and article.text:
                with archive.transaction():
                    archive.add_version(page_id, content, created_at=now, capture_id=None, reextracted=True)
                    if capture_id is not None:
                        archive.conn.execute("UPDATE captures SET version_id = (SELECT current_version_id FROM"
                                             " pages WHERE id = ?) WHERE id = ?", (page_id, capture_id))
                report.updated += 1
            if on_progress:
                on_progress(report.checked)
    finally:
        if executor is not None:
            executor.shutdown()
    return report
