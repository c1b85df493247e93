"""A one-line progress display on a terminal; silence elsewhere (pipes, CI logs)."""
from __future__ import annotations

import sys

from monitor.crawl import Progress
from monitor.terminal import counted


class ProgressLine:
    def __init__(self, label: str, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.label = label

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        rate = progress.fetched / progress.elapsed if progress.elapsed else 0.0
        self.stream.write(
            f"\r{self.label}: {counted(progress.fetched, 'notice')} fetched ({rate:.0f}/s),"
            f" {counted(progress.listings, 'listing page')},"
            f" {progress.extracted} extracted, {progress.unchanged} unchanged, {progress.failed} failed   "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
