"""The ``portal`` spider as Scrapy's command line runs it: ``scrapy crawl portal -a config=FILE``.

Scrapy builds a spider from its name and string arguments, while a portalwatch crawl hands the
spider a :class:`~spiders.plan.CrawlPlan` made from the archive. This spider makes that plan
itself (the same :func:`monitor.crawl.plan_for` as ``portalwatch crawl``), stores through the
same :class:`~monitor.recorder.Recorder`, and ends the round the same way (delisting, the site's
round count), so the archive holds what ``portalwatch crawl --site NAME`` would have stored.
"""
from __future__ import annotations

import itertools

from monitor.config import ConfigError, load_config
from monitor.crawl import plan_for, scrapy_settings
from monitor.extraction_pool import ExtractionPool
from monitor.pipeline import RECORDERS
from monitor.recorder import Recorder, RoundTally
from monitor.rounds import finish_round
from spiders.portal import PortalSpider
from storage.archive import Archive

_KEYS = itertools.count(1)


class PortalCommandSpider(PortalSpider):
    """``scrapy crawl portal -a config=sites.toml [-a site=NAME] [-a archive=FILE] [-a recheck=due]``."""

    name = "portal"

    @classmethod
    def from_crawler(cls, crawler, *args, config: str | None = None, site: str | None = None,
                     archive: str | None = None, recheck: str = "due", **kwargs):
        if not config:
            raise ValueError("give the sites file: scrapy crawl portal -a config=sites.toml [-a site=NAME]")
        loaded = load_config(config, archive=archive)
        sites = loaded.selected(site)
        if len(sites) != 1:
            names = ", ".join(s.name for s in loaded.sites)
            raise ConfigError(f"{config}: name one site with -a site=NAME (sites: {names})")
        store = Archive(loaded.archive)
        plan = plan_for(sites[0], store, fast=False, recheck_mode=recheck)
        pool = ExtractionPool(0)
        pool.start()
        recorder = Recorder(store, loaded, pool, RoundTally())
        key = f"scrapy-command-{next(_KEYS)}"
        RECORDERS[key] = recorder
        # Settings are still open while the spider is made: the pipeline finds this crawl's
        # recorder by the key, and the site's politeness applies as in `portalwatch crawl`.
        for name, value in scrapy_settings(plan, key, fast=False).items():
            if name not in ("ITEM_PIPELINES",):
                crawler.settings.set(name, value, priority="spider")
        spider = super().from_crawler(crawler, plan, *args, **kwargs)
        spider.round = (key, loaded, sites[0], store, pool, recorder)
        return spider

    def closed(self, reason: str) -> None:
        key, _config, site, store, pool, recorder = self.round
        try:
            if reason == "finished":
                finish_round(store, site, recorder.tally)
        finally:
            pool.close()
            store.close()
            RECORDERS.pop(key, None)
