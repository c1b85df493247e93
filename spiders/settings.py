"""Scrapy settings every portalwatch crawl starts from (per-site values are applied on top)."""
from __future__ import annotations

BOT_NAME = "portalwatch"
# Crawls are started with the spider class itself: nothing is looked up by name, so the
# package is not walked (it also holds modules of optional extras, e.g. spiders.redis_queue).
SPIDER_MODULES: list[str] = []
NEWSPIDER_MODULE = "spiders"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
# Portals are slow and sometimes flaky: retry transient errors, then report the failure.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
# A notice page over 20 MB is not a notice; the fetch is recorded as failed, the crawl goes on.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_ENABLED = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts this many asyncio tasks for *each* callback's output; a notice callback yields
# one item, so a large value only multiplies scheduling overhead (50 tasks per response).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = False
DEPTH_PRIORITY = 0
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# No item pipeline here: fetching knows nothing of the archive. Whoever runs a crawl names the
# pipeline that stores its captures (monitor.crawl, monitor.scrapy_project, the distributed worker).
ITEM_PIPELINES: dict[str, int] = {}
# Only http(s) is ever fetched: no file://, ftp://, s3:// or data: handler to reach by a redirect.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
# Conditional GETs carry their own validators; Scrapy's HTTP cache is not wanted.
HTTPCACHE_ENABLED = False

# Components a portal crawl does not use, switched off: each one is a step in every request's
# and every response's middleware chain. (Robots, timeouts, retries, redirects, compression,
# proxies, the user agent and Referer stay.) Off-site links are filtered by spiders.links.
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused host is never contacted at all (see spiders.scope).
    "spiders.scope.ScopeMiddleware": 50,
    # Sees 429/503 answers before the retry middleware (550) and waits their Retry-After.
    "spiders.retry_after.RetryAfterMiddleware": 560,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    # Closest to the download handler: sees each response as received, before decompression,
    # redirects and retries replace it (the WARC files keep the exact bytes; spiders.rawbody).
    "spiders.rawbody.RawExchangeMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "spiders.rawbody.AttachExchanges": 950,
}
EXTENSIONS = {
    "scrapy.extensions.feedexport.FeedExporter": None,
    "scrapy.extensions.spiderstate.SpiderState": None,
    "scrapy.extensions.memusage.MemoryUsage": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
