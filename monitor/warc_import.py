"""Build or extend an archive from existing WARC files (``portalwatch import-warc``).

Every response or revisit record of a notice URL becomes a capture, fed in WARC-Date order
through the same :class:`~monitor.recorder.Recorder` a crawl uses, so the archive holds the
notices, versions and changes a crawl of the same pages would have stored. Files may come
from any WARC writer (Heritrix, wget, Browsertrix, warcio, portalwatch itself): chunked or
content-encoded payloads are decoded as a crawl decodes them; an identical-payload revisit
takes the bytes of the response it refers to (by WARC-Refers-To, else by payload digest);
a server-not-modified revisit is a 304. Each capture row points at its record in the
imported file (nothing is copied). A record already in the archive is skipped, so importing
a file twice adds nothing.

Which URLs are notices: for a host named by a site of the config, that site's link rules
(``article_pattern`` or the common CMS shapes); for any other host, a site named after the
host with the default rules. Listing pages, redirects and non-HTML records are skipped.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from monitor.config import Config, SiteConfig
from monitor.extraction_pool import ExtractionPool
from monitor.recorder import Recorder, RoundTally
from monitor.vocabulary import ATTACHMENT_EXTENSIONS
from spiders.capture import KEPT_HEADERS, Capture
from spiders.links import LinkRules
from storage.archive import Archive
from storage.warc import PROFILE_NOT_MODIFIED, RecordEntry, WarcPointer, read_record, scan


@dataclass
class ImportReport:
    files: int = 0
    records: int = 0  # response and revisit records of http(s) URLs seen
    imported: int = 0  # captures stored
    already: int = 0  # records the archive already pointed to
    skipped: int = 0  # not a notice URL, a redirect, or a revisit whose original is missing
    sites: dict[str, int] = field(default_factory=dict)  # site -> captures stored
    changes: dict[str, int] = field(default_factory=dict)


def _capture_time(warc_date: str) -> str:
    """A WARC-Date as the archive writes times: UTC, microseconds, ``+00:00``."""
    return datetime.fromisoformat(warc_date).isoformat(timespec="microseconds")


def _host_site_name(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", urlsplit(url).netloc.lower()) or "unknown"


class SiteChooser:
    """Which site a URL belongs to and whether it is a notice there."""

    def __init__(self, config: Config, forced: str | None) -> None:
        self.forced = config.site(forced) if forced else None
        self.rules = {site.name: self._rules(site) for site in config.sites}
        self.sites = config.sites

    @staticmethod
    def _rules(site: SiteConfig) -> LinkRules:
        return LinkRules(site.allowed_domains, site.article_pattern, site.list_pattern,
                         attachment_extensions=ATTACHMENT_EXTENSIONS)

    def notice_site(self, url: str) -> str | None:
        """The site of a notice URL; None when ``url`` is not a notice."""
        if self.forced is not None:
            rules = LinkRules((urlsplit(url).netloc,), self.forced.article_pattern, self.forced.list_pattern,
                              attachment_extensions=ATTACHMENT_EXTENSIONS)
            return self.forced.name if rules.is_article(url) else None
        for site in self.sites:
            if self.rules[site.name].allows(url):
                return site.name if self.rules[site.name].is_article(url) else None
        rules = LinkRules((urlsplit(url).netloc,), attachment_extensions=ATTACHMENT_EXTENSIONS)
        return _host_site_name(url) if rules.is_article(url) else None


def _pointer_file(path: Path, warc_dir: Path) -> str:
    path = path.resolve()
    try:
        return str(path.relative_to(warc_dir.resolve()))
    except ValueError:
        return str(path)


def import_warc(archive: Archive, config: Config, paths: Iterable[str | Path], *, site: str | None = None,
                workers: int | None = 0, on_progress: Callable[[int], None] | None = None) -> ImportReport:
    """Store the notice captures held in the WARC files at ``paths``; see the module docstring."""
    report = ImportReport()
    chooser = SiteChooser(config, site)
    entries: list[tuple[str, int, RecordEntry]] = []
    responses: dict[str, RecordEntry] = {}  # record id -> response record
    by_digest: dict[tuple[str, str], RecordEntry] = {}  # (url, payload digest) -> response record
    for number, path in enumerate(Path(p) for p in paths):
        report.files += 1
        for entry in scan(path):
            report.records += 1
            if entry.rec_type == "response":
                responses[entry.record_id] = entry
                if entry.payload_digest:
                    by_digest[(entry.target_uri, entry.payload_digest)] = entry
            entries.append((entry.date, number, entry))
    entries.sort(key=lambda item: (_capture_time(item[0]) if item[0] else "", item[1], item[2].offset))
    known = archive.warc_record_ids()
    pool = ExtractionPool(workers)
    pool.start()
    tally = RoundTally()
    recorder = Recorder(archive, config, pool, tally)

    async def run() -> None:
        for _date, _number, entry in entries:
            site_name = chooser.notice_site(entry.target_uri)
            if site_name is None or entry.status is None or 300 <= entry.status < 400:
                report.skipped += 1
                continue
            if entry.record_id in known:
                report.already += 1
                continue
            capture = _capture_of(entry, site_name, responses, by_digest)
            if capture is None:
                report.skipped += 1
                continue
            refers = None
            if entry.rec_type == "revisit":
                original = responses.get(entry.refers_to or "") or by_digest.get(
                    (entry.refers_to_target or entry.target_uri, entry.payload_digest or ""))
                refers = original.record_id if original is not None else entry.refers_to
            recorder.warc.adopt(capture, WarcPointer(
                file=_pointer_file(entry.path, archive.warc_dir), offset=entry.offset, length=entry.length,
                record_id=entry.record_id, payload_digest=entry.payload_digest if entry.rec_type == "response"
                else None, refers_to=refers))
            await recorder.record(capture)
            known.add(entry.record_id)
            report.imported += 1
            report.sites[site_name] = report.sites.get(site_name, 0) + 1
            if on_progress:
                on_progress(report.imported)

    try:
        asyncio.run(run())
    finally:
        pool.close()
    report.changes = dict(tally.changes)
    return report


def _capture_of(entry: RecordEntry, site: str, responses: dict[str, RecordEntry],
                by_digest: dict[tuple[str, str], RecordEntry]) -> Capture | None:
    """The capture a crawl would have made of this record (None: its payload is nowhere)."""
    record = read_record(entry.path, entry.offset)
    headers = {}
    for name, value in record.http_headers:
        if name.lower() in KEPT_HEADERS and name.lower() not in headers:
            headers[name.lower()] = value
    fetched_at = _capture_time(entry.date)
    status = entry.status or 0
    body = record.body
    not_modified = status == 304 or (entry.rec_type == "revisit" and entry.profile is not None
                                     and entry.profile.rstrip("/").endswith(PROFILE_NOT_MODIFIED.rsplit("/", 1)[1]))
    if entry.rec_type == "revisit" and not not_modified:
        original = responses.get(entry.refers_to or "") or by_digest.get(
            (entry.refers_to_target or entry.target_uri, entry.payload_digest or ""))
        if original is None:
            return None
        body = read_record(original.path, original.offset).body
    return Capture(site=site, url=entry.target_uri, final_url=entry.target_uri, status=304 if not_modified else status,
                   fetched_at=fetched_at, headers=headers, body=b"" if not_modified else body, kind="article",
                   not_modified=not_modified)
