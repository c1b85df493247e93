"""Re-run extraction over stored raw captures, after an upgrade of the extractor.

For each notice, the raw bytes of its latest capture are extracted again. Where the
normalised text or compared metadata really differ from the current version, a new version
is stored marked ``reextracted``: it becomes the version later captures are compared with,
and it never raises a change or an alert (the notice did not change; our reading of it did).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.article import Article
from monitor.config import Config
from monitor.extraction import extract_article
from monitor.recorder import changed_fields, version_content
from storage.archive import Archive


@dataclass
class ReextractReport:
    checked: int = 0
    updated: int = 0
    skipped: int = 0  # no stored raw body to re-read


def _extract(job: tuple[bytes, str, str | None, str | None]) -> Article:
    body, url, content_type, selector = job
    return extract_article(body, url, content_type=content_type, content_selector=selector)


def _differs(archive: Archive, row, content) -> bool:
    """A version stored under an older comparison form has another fingerprint for the same
    notice: only a field that really differs makes a new version."""
    current = archive.version_by_id(row.current_version_id)
    return current is None or bool(changed_fields(current, content))


def reextract(archive: Archive, config: Config, *, site: str | None = None, workers: int | None = None,
              on_progress: Callable[[int], None] | None = None) -> ReextractReport:
    report = ReextractReport()
    selectors = {s.name: s.content_selector for s in config.sites}
    rows = archive.reextract_candidates(site)

    def jobs() -> Iterator[tuple[bytes, str, str | None, str | None]]:
        for row in rows:
            headers = archive.capture_headers(row.capture_id) if row.capture_id is not None else {}
            yield archive.raw_body(row.body_sha256), row.url, headers.get("content-type"), selectors.get(row.site)

    usable = [row for row in rows if row.body_sha256]
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
        for row, article in zip(rows, articles):
            report.checked += 1
            content = version_content(article)
            if content.fingerprint != row.fingerprint and article.text and _differs(archive, row, content):
                with archive.transaction():
                    archive.add_version(row.page_id, content, created_at=now, capture_id=None, reextracted=True)
                    if row.capture_id is not None:
                        archive.link_capture_to_current_version(row.page_id, row.capture_id)
                report.updated += 1
            if on_progress:
                on_progress(report.checked)
    finally:
        if executor is not None:
            executor.shutdown()
    return report
