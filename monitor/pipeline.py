"""The Scrapy item pipeline that hands each capture to the :class:`~monitor.recorder.Recorder`.

Scrapy builds it from settings (``ITEM_PIPELINES``) and deep-copies settings, so the
recorder (which holds the archive connection) cannot travel inside them: :mod:`monitor.crawl`
registers it in :data:`RECORDERS` and names it in the ``PORTALWATCH_RECORDER`` setting, so
every site of a round writes through one archive connection.
"""
from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.attachments import AttachmentFetcher
from monitor.recorder import Recorder
from spiders.capture import Capture

RECORDERS: dict[str, Recorder] = {}


class ArchivePipeline:
    def __init__(self, recorder: Recorder, crawler: Crawler | None = None) -> None:
        self.recorder = recorder
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        recorder = RECORDERS.get(crawler.settings.get("PORTALWATCH_RECORDER", ""))
        if recorder is None:
            # No round to store into (`scrapy shell`, another spider): the pipeline stays out.
            raise NotConfigured("PORTALWATCH_RECORDER is not set: crawls store through `portalwatch crawl`"
                                " or `scrapy crawl portal -a config=…`")
        return cls(recorder, crawler)

    def open_spider(self) -> None:
        """A site's crawl starts: its notices' attachments are fetched through its downloader."""
        plan = getattr(self.crawler.spider, "plan", None) if self.crawler is not None else None
        if plan is not None:
            self.recorder.attachment_fetchers[plan.site] = AttachmentFetcher(self.crawler)

    async def process_item(self, item: Capture) -> Capture:
        await self.recorder.record(item)
        # Keep the raw bytes out of Scrapy's memory once stored.
        item.body = b""
        return item

    def close_spider(self) -> None:
        """A site's crawl ended: its WARC records so far are flushed and indexed (index.cdxj)."""
        self.recorder.warc.flush()
