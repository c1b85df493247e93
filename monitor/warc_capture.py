"""The recorder's WARC hand: each capture's HTTP exchanges go to the archive's WARC files.

The recorder calls :meth:`WarcCaptures.write` for every capture before storing it: the
exchanges (redirect hops, retries, the answer) are written as response/request records, the
answer as a revisit of the page's last response when it is a 304 or the same bytes again,
and the place of the answer's record is handed to the capture row (:meth:`pointer`). A site
with ``warc = false`` is skipped. The raw bytes are dropped from the capture once written.
"""
from __future__ import annotations

import dataclasses
import logging
from importlib import metadata

from monitor.config import Config, SiteConfig
from spiders.capture import Capture
from storage import attachments as stored_attachments
from storage.archive import Archive
from storage.warc import WarcPointer, WarcWriter

log = logging.getLogger(__name__)


def portalwatch_version() -> str:
    try:
        return metadata.version("portalwatch")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def software() -> str:
    return f"portalwatch/{portalwatch_version()}"


def site_info(site: SiteConfig) -> dict:
    """The site's config for its warcinfo record; alert targets are left out (they may hold secrets)."""
    info = dataclasses.asdict(site)
    info.pop("alerts", None)
    return info


class WarcCaptures:
    """Writes captures to ``<archive stem>.warc/`` for the sites of one config."""

    def __init__(self, archive: Archive, config: Config) -> None:
        self.archive = archive
        self.config = config
        self._writer: WarcWriter | None = None
        self._pointers: dict[int, WarcPointer] = {}  # id(capture) -> its answer's record

    @property
    def writer(self) -> WarcWriter:
        if self._writer is None:
            self._writer = WarcWriter(self.archive.warc_dir, software=software(),
                                      max_size=self.config.warc_max_size)
        return self._writer

    def write(self, capture: Capture, site: SiteConfig | None) -> None:
        """Write the capture's exchanges (if any, and if its site keeps WARC files)."""
        exchanges, capture.exchanges = capture.exchanges, ()
        if not exchanges or site is None or not site.warc:
            return
        revisit_of = None
        if capture.kind == "article":
            page_url = capture.mirror_of or capture.url
            revisit_of = self.archive.last_warc_response(page_url, capture.url if capture.mirror_of else None)
        elif capture.kind == "attachment":
            revisit_of = stored_attachments.last_warc_response(self.archive, capture.url)
        try:
            pointer = self.writer.write_fetch(site=capture.site, site_info=site_info(site), exchanges=exchanges,
                                              fetched_at=capture.fetched_at, revisit_of=revisit_of)
        except OSError as exc:  # a full disk loses the WARC copy, never the capture itself
            log.error("could not write %s to the WARC files: %s", capture.url, exc)
            return
        if capture.kind in ("article", "attachment"):
            self._pointers[id(capture)] = pointer

    def pointer(self, capture: Capture) -> WarcPointer | None:
        """Where the capture's answer was written (once: the capture row takes it)."""
        return self._pointers.pop(id(capture), None)

    def adopt(self, capture: Capture, pointer: WarcPointer) -> None:
        """A capture read from an existing WARC file (import-warc): its row points there."""
        self._pointers[id(capture)] = pointer

    def forget(self, capture: Capture) -> None:
        self._pointers.pop(id(capture), None)

    def flush(self) -> None:
        """Write buffered bytes and bring ``index.cdxj`` up to date."""
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
