"""Settings for Scrapy's own command line in this project (``scrapy.cfg`` names this module).

``scrapy list``, ``scrapy crawl portal -a config=sites.toml [-a site=NAME]`` and ``scrapy shell
URL`` work from the project folder with the settings every portalwatch crawl starts from; the
crawl stores into the archive through the same pipeline and recorder as ``portalwatch crawl``
with the site's delay, concurrency and robots settings (see :mod:`monitor.scrapy_command`).
``portalwatch`` remains the normal entry point: it runs the sites of a round together, in a
child process, with extraction on every core.
"""
from __future__ import annotations

from monitor.crawl import ARCHIVE_PIPELINE
from spiders.settings import *

SPIDER_MODULES = ["monitor.scrapy_command"]
NEWSPIDER_MODULE = "monitor.scrapy_command"
ITEM_PIPELINES = ARCHIVE_PIPELINE
