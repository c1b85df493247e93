"""What every sample site's renderer offers the server: URL shapes in, page text out.

The server knows nothing about TRS or Hanweb; it asks the site's renderer whether a path is a
list page or an article, and hands it a notice plus the furniture for this response.
"""
from __future__ import annotations

from dataclasses import dataclass

from sampleportal.furniture import OFF_SITE, Furniture, esc, frame, links
from sampleportal.notices import Notice
from sampleportal.profiles import Column, SiteProfile

PRIVATE_PATH = "/private/secret.html"
PRIVATE_LINK_TEXT = "内部资料（测试用，robots.txt 禁止抓取）"


@dataclass(slots=True)
class ListPage:
    """One page of a column's listing, newest first."""

    column: Column
    page: int  # 0-based
    pages: int
    notices: list[Notice]


class SiteRenderer:
    profile: SiteProfile
    frame_name: str
    redesign_frame_name: str
    shows_index_number = False  # whether article pages print 索引号
    shows_issuer = False  # whether article pages print 发布机关 / 发文机关
    shows_editor = True  # whether article pages print 责任编辑

    def __init__(self) -> None:
        self._chrome_cache: dict[tuple, tuple[str, str]] = {}

    # --- URL shapes -----------------------------------------------------------------------
    def list_path(self, column: str, page: int = 0) -> str:
        raise NotImplementedError

    def parse_list(self, path: str, query: dict[str, str]) -> tuple[str, int] | None:
        """(column key, 0-based page) when ``path`` is a list page of this site."""
        raise NotImplementedError

    def article_path(self, notice: Notice) -> str:
        raise NotImplementedError

    def parse_article(self, path: str) -> int | None:
        """The document id when ``path`` has this site's article shape (checked later)."""
        raise NotImplementedError

    article_roots: tuple[str, ...] = ()  # path prefixes of article pages outside column folders

    def under_column(self, path: str) -> bool:
        """Whether ``path`` lies under a column folder or an article root of this site."""
        roots = {self.list_path(c.key).rsplit("/", 1)[0] + "/" for c in self.profile.columns}
        return any(path.startswith(root) for root in (*roots, *self.article_roots))

    def attachment_path(self, notice: Notice, filename: str) -> str:
        directory = self.article_path(notice).rsplit("/", 1)[0]
        return f"{directory}/{filename}"

    # --- headers --------------------------------------------------------------------------
    def content_type(self, kind: str, notice: Notice | None = None) -> str:
        return f"text/html; charset={self.profile.encoding}"

    @property
    def charset_label(self) -> str:
        """What the page's own meta tag says (Hanweb's GBK pages say gb2312)."""
        return "gb2312" if self.profile.encoding == "gbk" else self.profile.encoding

    def encode(self, text: str) -> bytes:
        return text.encode(self.profile.encoding, errors="xmlcharrefreplace")

    # --- pages ----------------------------------------------------------------------------
    def render_home(self, furniture: Furniture, columns: list[ListPage]) -> str:
        raise NotImplementedError

    def render_list(self, furniture: Furniture, listing: ListPage) -> str:
        raise NotImplementedError

    def render_article(self, furniture: Furniture, notice: Notice) -> str:
        raise NotImplementedError

    def render_message(self, furniture: Furniture, title: str, message: str) -> str:
        """A 404 / soft-404 / private page in the site's frame."""
        main = (
            f'<div class="error-page"><h2>{esc(title)}</h2><p>{esc(message)}</p>'
            f'<p><a href="/">返回首页</a></p></div>'
        )
        return self.page(furniture, title=f"{title}_{self.profile.portal_name}", meta="", main=main)

    # --- shared furniture -----------------------------------------------------------------
    def nav_pairs(self, furniture: Furniture) -> list[tuple[str, str]]:
        own = [("/", "首页")] + [(self.list_path(c.key), c.name) for c in self.profile.columns]
        off = [
            (f"{OFF_SITE}/zwgk/", "政务公开"),
            (f"{OFF_SITE}/zwfw/", "政务服务"),
            (f"{OFF_SITE}/hdjl/", "互动交流"),
            (f"{OFF_SITE}/sjfb/", "数据发布"),
            (f"{OFF_SITE}/zcjd/", "政策解读"),
            (f"{OFF_SITE}/ztzl/", "专题专栏"),
            (f"{OFF_SITE}/sq/", "省情"),
        ]
        return own + furniture.rotate(off)

    def footer_pairs(self, furniture: Furniture) -> list[tuple[str, str]]:
        names = {"hunan": "湖南（示例）", "zhejiang": "浙江（示例）", "govcn": "中国政府网（示例）"}
        pairs = [(url + "/", names[key]) for key, url in furniture.other_sites.items()]
        pairs += [(f"{OFF_SITE}/links/{k}.html", f"友情链接{k}") for k in range(1, 5)]
        return furniture.rotate(pairs)

    def page(self, furniture: Furniture, *, title: str, meta: str, main: str, stray: str = "") -> str:
        name = furniture.frame or (self.redesign_frame_name if furniture.redesigned else self.frame_name)
        others = list(furniture.other_sites.values())
        nav, footer = self._chrome(furniture)
        return frame(name).substitute(
            title=esc(title),
            meta=meta,
            host=esc(furniture.host),
            today=furniture.today_text,
            nav=nav,
            main=main,
            footer_links=footer,
            off_site=OFF_SITE,
            stray=stray,
            charset=self.charset_label,
            portal_name=esc(self.profile.portal_name),
            clock=furniture.clock_text,
            other_site=(others[furniture.generation % len(others)] + "/") if others else OFF_SITE + "/",
        )

    def _chrome(self, furniture: Furniture) -> tuple[str, str]:
        """Nav and footer HTML; they change only with the churn generation, so render them once each."""
        key = (furniture.generation, tuple(furniture.other_sites.items()))
        cached = self._chrome_cache.get(key)
        if cached is None:
            nav = links(self.nav_pairs(furniture), item='<li><a href="{href}">{text}</a></li>')
            footer = links(self.footer_pairs(furniture), item='<a href="{href}" target="_blank">{text}</a>')
            cached = self._chrome_cache[key] = (nav, footer)
        return cached

    def related_box(self, furniture: Furniture, heading: str = "相关链接") -> str:
        items = links(furniture.related_links())
        return f'<div class="related"><h3>{heading}</h3><ul>\n{items}\n</ul></div>'

    def pager_links(self, column: str, current: int, pages: int) -> list[str]:
        """首页 / 上一页 / 下一页 / 尾页, the plain pager most portal CMSs print under a list."""
        links = [f'<a href="{self.list_path(column)}">首页</a>']
        if current > 0:
            links.append(f'<a href="{self.list_path(column, current - 1)}">上一页</a>')
        if current + 1 < pages:
            links.append(f'<a href="{self.list_path(column, current + 1)}">下一页</a>')
        links.append(f'<a href="{self.list_path(column, pages - 1)}">尾页</a>')
        return links

    def private_link(self) -> str:
        return f'<div class="list-note"><a href="{PRIVATE_PATH}">{PRIVATE_LINK_TEXT}</a></div>'


def meta_tags(notice: Notice, column: Column) -> str:
    """The CMS meta block real TRS/Hanweb/gov.cn article pages carry."""
    pairs = [
        ("ColumnName", column.name),
        ("ArticleTitle", notice.title),
        ("PubDate", notice.published_text),
        ("ContentSource", notice.source),
        ("Keywords", ""),
        ("Author", ""),
        ("Description", notice.paragraphs[0][:60] if notice.paragraphs else ""),
    ]
    return "\n".join(f'<meta name="{k}" content="{esc(v)}">' for k, v in pairs)


def paragraphs_html(notice: Notice, *, indent: str = 'style="text-indent: 2em;"') -> str:
    """Body paragraphs as a CMS editor saves them: section headings bold, the rest indented."""
    out = []
    for text in notice.paragraphs:
        if text[:2] in SECTION_MARKS and len(text) < 30:
            out.append(f"<p {indent}><strong>{esc(text)}</strong></p>")
        elif text.endswith("：") and len(text) < 40:
            out.append(f"<p>{esc(text)}</p>")
        else:
            out.append(f"<p {indent}>{esc(text)}</p>")
    return "\n".join(out)


# Chinese ordinal section headings (一、 二、 ...) of government documents.
SECTION_MARKS = ("一、", "二、", "三、", "四、", "五、")
