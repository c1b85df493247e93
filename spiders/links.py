"""Link rules: which URLs on a portal are notices, which are more pages of a listing.

Portal CMSs give their URLs recognisable shapes, so a site entry needs no patterns of its own:
- TRS (湖南, 广西, many ministries): ``/202403/t20240305_12345.html`` or ``.shtml``
- Hanweb/大汉 (浙江, 江苏): ``/art/2024/3/5/art_1229001_5901234.html``
- Guangdong province and cities: ``/content/post_1234567.html``
- www.gov.cn: ``/content/202403/content_6938012.htm`` and ``content_6938012.htm``
- Generic dated paths: ``/2024-03/05/content_123.htm``, ``/info/1234/56789.htm`` (VSB)
Listing pagination: TRS ``index_1.html``, gov.cn ``home_1.htm``, Hanweb ``pageNum=2`` /
``index_2.html``, and any link whose text is 下一页.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

ARTICLE_PATTERNS = (
    r"/t\d{8}_\d+\.s?html?$",  # TRS
    r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$",  # Hanweb / 大汉
    r"/content/post_\d+\.html$",  # Guangdong
    r"/content_\d+\.s?html?$",  # www.gov.cn and Xinhua-style
    r"/info/\d+/\d+\.htm$",  # VSB (博达)
    r"/\d{4}-?\d{2}/\d{2}/c_\d+\.htm$",  # Xinhua c_ pages
)
ARTICLE_RE = re.compile("|".join(f"(?:{p})" for p in ARTICLE_PATTERNS))

LISTING_PATTERNS = (
    r"/index_\d+\.s?html?$",  # TRS and Hanweb static pagination
    r"/home_\d+\.htm$",  # www.gov.cn
    r"[?&](?:pageNum|page|pageIndex|currentPage)=\d+",  # Hanweb dynamic and generic
)
LISTING_RE = re.compile("|".join(f"(?:{p})" for p in LISTING_PATTERNS))

# TRS list pages often build their pager in JavaScript only:
# createPageHTML(countPage, currentPage, "index", "html") → index.html, index_1.html, ...
TRS_PAGER_RE = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']")

# Link text of "next page" buttons on portal listings.
NEXT_PAGE_TEXTS = ("下一页", "下页", "后一页")

# Links that are never pages (scripts, mail, phone).
NOT_HTTP = ("javascript:", "mailto:", "tel:", "#")


# Query parameters that only say where a reader came from (share buttons, WeChat, ads): one
# notice linked with and without them is one notice.
TRACKING_PARAMS = frozenset(["spm", "from", "fbclid", "gclid", "isappinstalled", "scene", "clicktime",
                             "share_token", "wxshare_count", "share_from", "timestamp_share"])


def without_tracking(url: str) -> str:
    """``url`` without tracking parameters (``utm_*``, ``spm``, ``from``...); other
    parameters keep their order and spelling."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [pair for pair in parts.query.split("&")
            if pair and not ((name := pair.split("=", 1)[0].lower()).startswith("utm_") or name in TRACKING_PARAMS)]
    return urlunsplit(parts._replace(query="&".join(kept)))


def absolute(base: str, href: str | None) -> str | None:
    """The absolute, fragment-free, tracking-free http(s) URL a link points to, or None."""
    if not href:
        return None
    href = href.strip()
    if not href or href.lower().startswith(NOT_HTTP):
        return None
    url = without_tracking(urldefrag(urljoin(base, href))[0])
    return url if url.startswith(("http://", "https://")) else None


# Links written inside scripts: Hanweb/大汉 column pages ship their list as CDATA records in a
# <script type="text/xml"><datastore> block, and some TRS pages build lists from JS strings.
_SCRIPT_BLOCK_RE = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_EMBEDDED_HREF_RE = re.compile(r"""href\s*=\s*\\?["']([^"'\\<>\s]+)""", re.IGNORECASE)


def embedded_links(base: str, html: str) -> list[str]:
    """Absolute URLs of links that appear only inside script blocks."""
    urls: list[str] = []
    for block in _SCRIPT_BLOCK_RE.findall(html):
        if "href" not in block:
            continue
        for href in _EMBEDDED_HREF_RE.findall(block):
            url = absolute(base, href)
            if url and url not in urls:
                urls.append(url)
    return urls


def scripted_pager_urls(base: str, html: str) -> list[str]:
    """Listing pages named by a TRS ``createPageHTML(...)`` call, in page order."""
    match = TRS_PAGER_RE.search(html)
    if not match:
        return []
    count, _current, prefix, suffix = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    names = [f"{prefix}.{suffix}"] + [f"{prefix}_{n}.{suffix}" for n in range(1, min(count, 1000))]
    return [urljoin(base, name) for name in names]


def is_next_page_text(link_text: str) -> bool:
    """Is this the link text of a listing's "next page" button (下一页)?"""
    text = link_text.strip()
    return any(marker in text for marker in NEXT_PAGE_TEXTS)


def primary_address(url: str, mirrors: Iterable[tuple[str, str]]) -> str | None:
    """The primary address of ``url`` when it lies under a mirror prefix, else None.

    ``mirrors`` holds ``(mirror prefix, primary prefix)`` pairs, e.g.
    ``("https://www.hunan.gov.cn/big5/", "https://www.hunan.gov.cn/")``: a notice served at
    both addresses (a 繁體 mirror of a 简体 site) is one notice, named by its primary address.
    """
    for prefix, primary in mirrors:
        if url.startswith(prefix):
            return primary + url[len(prefix):]
    return None


class LinkRules:
    """Classifies links for one site: notice, listing page, or neither.

    ``attachment_extensions`` (without dots, e.g. ``("pdf", "csv")``) are the file types
    recorded as attachments and never crawled as notices; the caller passes the one list the
    project keeps (the crawl plan carries it), so the spider has none of its own.
    """

    def __init__(self, allowed_domains: tuple[str, ...] | list[str], article_pattern: str | None = None,
                 list_pattern: str | None = None, *, attachment_extensions: Iterable[str]) -> None:
        self.allowed = tuple(d.lower() for d in allowed_domains)
        self.attachment_suffixes = tuple("." + ext.lower().lstrip(".") for ext in attachment_extensions)
        self.article_re = re.compile(article_pattern) if article_pattern else ARTICLE_RE
        self.listing_re = re.compile(list_pattern) if list_pattern else LISTING_RE

    def allows(self, url: str) -> bool:
        """Is ``url`` on the site? An entry with a port (``127.0.0.1:8080``) must match the
        host and port exactly; a bare domain matches itself and its subdomains."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = parts.netloc.lower().rsplit("@", 1)[-1]
        for domain in self.allowed:
            if ":" in domain:
                if netloc == domain:
                    return True
            elif host == domain or host.endswith("." + domain):
                return True
        return False

    def is_attachment(self, url: str) -> bool:
        return urlsplit(url).path.lower().endswith(self.attachment_suffixes)

    def is_article(self, url: str) -> bool:
        return self.allows(url) and not self.is_attachment(url) and bool(self.article_re.search(url))

    def is_listing(self, url: str, link_text: str = "") -> bool:
        if not self.allows(url) or self.is_attachment(url) or self.is_article(url):
            return False
        if self.listing_re.search(url):
            return True
        return is_next_page_text(link_text)
