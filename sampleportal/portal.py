"""``SamplePortal``: the three synthetic government sites as one object tests can drive.

    with SamplePortal(articles_per_site=12, seed=0) as portal:
        url = portal.article_urls("hunan")[3]
        portal.edit_notice("hunan", url)        # the next crawl should see one edit
        portal.remove_notice("zhejiang", 5, how="soft404")
        portal.set_template("govcn", "sidebar", variant="spans", script="traditional")  # a redesign
        toml_text = portal.sites_toml()

A notice is addressed by its index (0 is the newest generated notice; notices added later get
the next indexes) or by its URL. ``article_urls(site)[n]`` is the URL of notice ``n``.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Self
from urllib.parse import urlsplit

from sampleportal.govcn import STRAY_HTML_CLOSE_INDEX, GovcnSite
from sampleportal.hunan import HunanSite
from sampleportal.notices import Notice
from sampleportal.profiles import SITES
from sampleportal.server import SiteServer
from sampleportal.sitebase import SiteRenderer
from sampleportal.state import Edit, PortalState, TemplateChoice
from sampleportal.variants import Variant
from sampleportal.zhejiang import ZhejiangSite

RENDERERS: dict[str, type[SiteRenderer]] = {"hunan": HunanSite, "zhejiang": ZhejiangSite, "govcn": GovcnSite}
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A notice as the page currently shows it: what a test should expect extraction to find."""

    site: str
    index: int
    url: str
    title: str
    published: str  # "2024-03-05 10:30" (Beijing time), as printed on the page
    source: str
    editor: str | None
    issuer: str | None
    doc_number: str | None
    index_number: str | None
    written: str | None  # 成文日期, "2024-03-02"
    paragraphs: tuple[str, ...]
    attachments: tuple[tuple[str, str], ...]  # (absolute URL, link text)
    etag: str
    last_modified: datetime
    removed: str | None  # removal mode, None when live
    listed: bool
    column: str

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


class SamplePortal:
    """Three fictional portals (TRS ``hunan``, Hanweb ``zhejiang`` in GBK, ``govcn``) on 127.0.0.1."""

    def __init__(self, articles_per_site: int = 12, seed: int = 0, *, etag: bool = True,
                 anchor: date | None = None, ports: dict[str, int] | None = None) -> None:
        self.state = PortalState(articles_per_site, seed, anchor)
        self.etag = etag
        self.renderers = {key: RENDERERS[key]() for key in SITES}
        self.timeout_seconds = DEFAULT_TIMEOUT_SECONDS
        self._ports = ports or {}
        self._stop = threading.Event()
        self._servers: dict[str, SiteServer] = {}

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        if self._servers:
            return
        self._stop.clear()
        for key in SITES:
            self._servers[key] = SiteServer(
                key, self.renderers[key], self.state, etag=self.etag, stop=self._stop, port=self._ports.get(key, 0)
            )
        for key, server in self._servers.items():
            server.other_sites.update({k: s.base_url for k, s in self._servers.items() if k != key})
            server.start()

    def stop(self) -> None:
        self._stop.set()
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses --------------------------------------------------------------------------
    @property
    def sites(self) -> tuple[str, ...]:
        return SITES

    def base_url(self, site: str) -> str:
        """``http://127.0.0.1:PORT`` of a running site."""
        return self._server(site).base_url

    def netloc(self, site: str) -> str:
        return self.base_url(site).removeprefix("http://")

    def start_urls(self, site: str) -> list[str]:
        """First list page of each column: where a crawl of the site begins."""
        r = self.renderers[site]
        return [self.base_url(site) + r.list_path(c.key) for c in r.profile.columns]

    def list_url(self, site: str, column: str | None = None, page: int = 0) -> str:
        r = self.renderers[site]
        return self.base_url(site) + r.list_path(column or r.profile.columns[0].key, page)

    def article_url(self, site: str, index: int) -> str:
        notice = self.state.locate(site, index)
        if notice is None:
            raise IndexError(f"{site} has no notice {index} (it has {self.state.sites[site].total})")
        return self.base_url(site) + self.renderers[site].article_path(notice)

    def article_urls(self, site: str, *, listed_only: bool = False) -> list[str]:
        """URLs of every notice of ``site`` in index order (``[n]`` is notice ``n``)."""
        total = self.state.sites[site].total
        urls = [self.article_url(site, i) for i in range(total)]
        if listed_only:
            listed = {i for c in self.renderers[site].profile.columns for i in self.state.listing(site, c.key)}
            urls = [u for i, u in enumerate(urls) if i in listed]
        return urls

    def stray_html_close_url(self) -> str:
        """The one govcn article with a ``</html>`` between header include and article."""
        return self.article_url("govcn", STRAY_HTML_CLOSE_INDEX)

    def sites_toml(self, *, sites: list[str] | tuple[str, ...] | None = None, **overrides: object) -> str:
        """A portalwatch sites.toml for the running portal.

        Each ``[[site]]`` has ``name``, ``start_urls``, ``allowed_domains`` (host:port) and
        ``download_delay = 0``; ``overrides`` add or replace keys in every table, and an
        override of None drops that key.
        """
        tables = []
        for key in sites or SITES:
            entry: dict[str, object] = {
                "name": key,
                "start_urls": self.start_urls(key),
                "allowed_domains": [self.netloc(key)],
                "download_delay": 0,
            }
            entry.update(overrides)
            lines = ["[[site]]"] + [f"{k} = {_toml_value(v)}" for k, v in entry.items() if v is not None]
            tables.append("\n".join(lines))
        return "\n\n".join(tables) + "\n"

    # --- reading notices --------------------------------------------------------------------
    def notice(self, site: str, ref: int | str) -> NoticeView:
        """The notice as currently published (edits applied), with its removal/listing status."""
        index = self.index_of(site, ref)
        n = self._notice(site, index)
        state = self.state.sites[site]
        base = self.base_url(site) if self._servers else ""
        r = self.renderers[site]
        listed = index not in state.delisted and index not in state.removed
        etag, last_modified = self.state.validators(site, n)
        return NoticeView(
            site=site,
            index=index,
            url=base + r.article_path(n),
            title=n.title,
            published=n.published_text,
            source=n.source,
            editor=n.editor if r.shows_editor else None,
            issuer=n.issuer if n.kind == "notice" and r.shows_issuer else None,
            doc_number=n.doc_number,
            index_number=n.index_number if r.shows_index_number else None,
            written=n.written.isoformat() if n.written else None,
            paragraphs=tuple(n.paragraphs),
            attachments=tuple((base + r.attachment_path(n, f), label) for f, label in n.attachments),
            etag=etag,
            last_modified=last_modified,
            removed=state.removed.get(index),
            listed=listed,
            column=n.column,
        )

    def index_of(self, site: str, ref: int | str) -> int:
        """A notice index from an index or an article URL (absolute or path)."""
        if isinstance(ref, int):
            return ref
        path = urlsplit(ref).path
        docid = self.renderers[site].parse_article(path)
        if docid is None:
            raise ValueError(f"{ref!r} is not an article URL of {site}")
        return docid - self.renderers[site].profile.docid_base

    # --- mutations --------------------------------------------------------------------------
    def edit_notice(self, site: str, ref: int | str, *, old: str | None = None, new: str | None = None) -> Edit:
        """Edit the body: by default change one figure and replace one sentence; or replace ``old`` by ``new``."""
        return self.state.edit_body(site, self.index_of(site, ref), old, new)

    def edit_title(self, site: str, ref: int | str, title: str | None = None) -> Edit:
        return self.state.edit_title(site, self.index_of(site, ref), title)

    def remove_notice(self, site: str, ref: int | str, how: str = "404") -> None:
        """Withdraw a notice: ``404``, ``410``, ``redirect_home`` (302 to /), ``soft404`` (200 + a bare
        该信息已删除 stub), ``soft404_full`` (200 + the full site template, header, nav, sidebar and
        related links, with a short message in the main area, worded per site and notice) or
        ``notfound_page`` (200 + the site's own not-found page, as for :meth:`not_found_url`)."""
        self.state.remove(site, self.index_of(site, ref), how)

    def restore_notice(self, site: str, ref: int | str) -> None:
        """Undo removal and delisting (edits stay)."""
        self.state.restore(site, self.index_of(site, ref))

    def add_notice(self, site: str, *, title: str | None = None, kind: str = "notice") -> str:
        """Publish a new notice dated now; it heads its column's first list page. Returns its URL."""
        index = self.state.add(site, title, kind)
        return self.article_url(site, index)

    def set_attachment(self, site: str, ref: int | str, filename: str, body: bytes, *,
                       label: str | None = None) -> str:
        """Serve ``body`` as the notice's attachment ``filename`` (a name starting "P0", with an
        extension the portal serves: pdf, docx, xlsx, ofd). A file the notice does not link yet
        is linked (labelled ``label``: the page changes); for a linked one only the bytes behind
        the link change, unless a new ``label`` is given. Returns the attachment's URL."""
        index = self.index_of(site, ref)
        self.state.set_attachment(site, index, filename, label)
        path = self.renderers[site].attachment_path(self._notice(site, index), filename)
        with self.state.lock:
            self.state.sites[site].attachment_bodies[path] = body
        return (self.base_url(site) if self._servers else "") + path

    def delist_notice(self, site: str, ref: int | str) -> None:
        """Drop a notice from list pages while its page still answers 200."""
        self.state.delist(site, self.index_of(site, ref))

    def churn_boilerplate(self) -> int:
        """Change every page's furniture (date widget, related links, sidebar, nav order); returns the generation."""
        return self.state.churn()

    def redesign(self, site: str, on: bool = True) -> None:
        """Switch ``site`` to its redesigned template: same notices, different page around them."""
        self.state.redesign(site, on)

    def set_template(self, site: str, family: str | None | object = ..., *, variant: Variant | str | None | object = ...,
                     script: str | object = ...) -> TemplateChoice:
        """Switch how ``site`` prints its notices from the next request on (a redesign between rounds).

        ``family``: one of ``sampleportal.families.FAMILIES`` (trs, hanweb, hanweb2, govcn, xxgk,
        sidebar), or None for the site's own template. ``variant``: a :class:`Variant`, a key of
        ``sampleportal.variants.NAMED``, ``"key=value,..."``, ``"rotate"`` (a different named
        variant per notice and churn generation) or ``"rotate:spans,br,..."`` (among those). ``script``: ``simplified``, ``traditional``
        (OpenCC s2t at serve time, 列印/關閉 widgets) or ``pinyin`` (traditional with ``務(wù)``
        annotations). Arguments left out keep their current value. Article ETags and
        Last-Modified change with the choice, as when a CMS republishes its pages.
        """
        return self.state.set_template(site, family, variant, script)

    def template(self, site: str) -> TemplateChoice:
        return self.state.sites[site].template

    def set_mirror(self, site: str, prefix: str | None = "/big5/", *, drops_notices: bool = False) -> None:
        """Serve every page of ``site`` also under ``prefix`` (a 繁體 mirror, as many provincial
        portals run at /big5/): converted to Traditional, links pointing into the mirror.
        ``drops_notices``: the mirror's notice pages answer 404 while its lists still show
        them (a broken mirror). None stops the mirror. Needs a running portal."""
        if prefix is not None and not (prefix.startswith("/") and prefix.endswith("/") and len(prefix) > 1):
            raise ValueError(f"a mirror prefix is a path like '/big5/', not {prefix!r}")
        server = self._server(site)
        server.mirror_prefix, server.mirror_drops_notices = prefix, drops_notices

    def mirror_url(self, url: str, prefix: str = "/big5/") -> str:
        """The mirror address of a page URL of this portal."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{prefix}{url.split(parts.netloc, 1)[1].lstrip('/')}"

    def set_not_found_page(self, site: str, on: bool = True) -> None:
        """Answer unknown URLs under a column path with 200 and the site's own not-found page."""
        self.state.set_soft_not_found(site, on)

    def not_found_url(self, site: str, seed: int | str | None = None) -> str:
        """A URL under a column path of ``site`` that names no page (what a crawler probes)."""
        rng = random.Random(seed)
        column = self.renderers[site].profile.columns[0].key
        folder = self.renderers[site].list_path(column).rsplit("/", 1)[0]
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        return f"{self.base_url(site)}{folder}/{name}.html"

    def set_failure(self, site: str, ref: int | str, mode: str | None = "500", *, seconds: float | None = None) -> None:
        """Make one article fail: ``"500"``, ``"timeout"`` (answers after ``seconds``), or None to heal."""
        self.state.set_failure(site, self.index_of(site, ref), mode, seconds or self.timeout_seconds)

    @property
    def edits(self) -> list[Edit]:
        return list(self.state.edits)

    # --- request log ------------------------------------------------------------------------
    def request_count(self, site: str, path_or_url: str) -> int:
        """How many requests ``site`` received for a path (with its query, if given)."""
        split = urlsplit(path_or_url)
        path = split.path + (f"?{split.query}" if split.query else "")
        return self.state.requests[(site, path)]

    def requests(self, site: str | None = None) -> Counter[str]:
        """Requests per path (``site`` given) or per ``site path`` (all sites)."""
        with self.state.lock:
            items = list(self.state.requests.items())
        if site is not None:
            return Counter({p: n for (s, p), n in items if s == site})
        return Counter({f"{s} {p}": n for (s, p), n in items})

    def reset_requests(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    # --- helpers ----------------------------------------------------------------------------
    def _server(self, site: str) -> SiteServer:
        if site not in SITES:
            raise KeyError(f"unknown site {site!r}; sites are {', '.join(SITES)}")
        if site not in self._servers:
            raise RuntimeError("the portal is not running: call start() or use it as a context manager")
        return self._servers[site]

    def _notice(self, site: str, index: int) -> Notice:
        notice = self.state.notice(site, index)
        if notice is None:
            raise IndexError(f"{site} has no notice {index} (it has {self.state.sites[site].total})")
        return notice


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
