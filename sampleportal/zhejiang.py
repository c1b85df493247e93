"""The Hanweb/大汉-style site, served in GBK with misleading or missing HTTP charsets.

URL shapes:
  list     /col/col1229001/index.html, then ?uid=4892867&pageNum=2 ... (政策文件)
           /col/col1229019/index.html, then index_2.html ... (政务动态); both forms work on both
  article  /art/2024/3/5/art_1229001_5900012.html
  files    /art/2024/3/5/P0202403059000120.pdf
Every page is GBK bytes and says ``charset=gb2312`` in its meta. The HTTP header is wrong on
purpose: article pages with an even index say ``charset=utf-8``; odd articles, list pages and
the home page send ``text/html`` with no charset.
"""
from __future__ import annotations

import re

from sampleportal.furniture import Furniture, esc
from sampleportal.notices import Notice
from sampleportal.profiles import PROFILES
from sampleportal.sitebase import ListPage, SiteRenderer, meta_tags, paragraphs_html

LIST_RE = re.compile(r"^/col/(col\d+)/index(?:_(\d+))?\.html$")
ARTICLE_RE = re.compile(r"^/art/(\d{4})/(\d{1,2})/(\d{1,2})/art_(\d+)_(\d+)\.html$")
LIST_UID = 4892867  # Hanweb's list-module id in ?uid=...&pageNum=...
WRONG_HEADER = "text/html; charset=utf-8"
NO_CHARSET_HEADER = "text/html"


class ZhejiangSite(SiteRenderer):
    profile = PROFILES["zhejiang"]
    frame_name = "zhejiang.html"
    redesign_frame_name = "zhejiang_redesign.html"
    article_roots = ("/art/",)
    shows_index_number = True
    shows_issuer = True
    shows_editor = False

    def content_type(self, kind: str, notice: Notice | None = None) -> str:
        if kind == "article" and notice is not None and notice.index % 2 == 0:
            return WRONG_HEADER
        return NO_CHARSET_HEADER

    def list_path(self, column: str, page: int = 0) -> str:
        if page == 0:
            return f"/col/{column}/index.html"
        if column == self.profile.columns[0].key:
            return f"/col/{column}/index.html?uid={LIST_UID}&pageNum={page + 1}"
        return f"/col/{column}/index_{page + 1}.html"

    def parse_list(self, path: str, query: dict[str, str]) -> tuple[str, int] | None:
        m = LIST_RE.match(path)
        if not m or self.profile.column(m.group(1)) is None:
            return None
        number = query.get("pageNum") or m.group(2) or "1"
        if not number.isdigit() or int(number) < 1:
            return None
        return m.group(1), int(number) - 1

    def article_path(self, notice: Notice) -> str:
        p = notice.published
        return f"/art/{p.year}/{p.month}/{p.day}/art_{notice.column[3:]}_{notice.docid}.html"

    def parse_article(self, path: str) -> int | None:
        m = ARTICLE_RE.match(path)
        return int(m.group(5)) if m else None

    def _position(self, column_key: str | None, column_name: str) -> str:
        link = f'<a href="{self.list_path(column_key)}">{esc(column_name)}</a>' if column_key else esc(column_name)
        return f'<div class="position">您现在的位置：<a href="/">首页</a> &gt; {link}</div>'

    def render_home(self, furniture: Furniture, columns: list[ListPage]) -> str:
        cells = []
        for listing in columns:
            rows = "\n".join(
                f'<tr><td><a href="{self.article_path(n)}" target="_blank" title="{esc(n.title)}">{esc(n.title)}</a></td>'
                f"<td>{n.published:%Y-%m-%d}</td></tr>"
                for n in listing.notices[:8]
            )
            cells.append(
                f'<td valign="top" width="50%"><div class="bt"><span>{esc(listing.column.name)}</span>'
                f'<a href="{self.list_path(listing.column.key)}">更多</a></div><table width="100%">\n{rows}\n</table></td>'
            )
        main = f'<table width="100%"><tr>{"".join(cells)}</tr></table>\n{self.related_box(furniture, "专题专栏")}'
        return self.page(furniture, title=self.profile.portal_name, meta="", main=main)

    def render_list(self, furniture: Furniture, listing: ListPage) -> str:
        col = listing.column
        rows = "\n".join(
            f'<li><a href="{self.article_path(n)}" title="{esc(n.title)}" target="_blank">{esc(n.title)}</a>'
            f'<span class="bt_time">{n.published:%Y-%m-%d}</span></li>'
            for n in listing.notices
        )
        cur, pages = listing.page, listing.pages
        pager = self.pager_links(col.key, cur, pages)
        note = self.private_link() if col.key == self.profile.columns[0].key and cur == 0 else ""
        if col.key != self.profile.columns[0].key:
            # Hanweb's "datastore": the list arrives as CDATA records inside a script block
            # that the page's JavaScript turns into <li> elements (no links in the DOM).
            records = "\n".join(f"<record><![CDATA[{row}]]></record>" for row in rows.split("\n") if row)
            listing_html = (f'<div id="{LIST_UID}"><script type="text/xml">\n<datastore>\n'
                            f"<nextgroup><![CDATA[]]></nextgroup>\n<recordset>\n{records}\n</recordset>\n"
                            f"</datastore>\n</script></div>\n")
        else:
            listing_html = f'<div id="{LIST_UID}"><ul class="zjlist">\n{rows}\n</ul></div>\n'
        main = (
            f"{self._position(None, col.name)}\n"
            f'<table width="100%" class="list_table"><tr><td valign="top" width="75%">\n'
            f"{listing_html}"
            f'<div class="default_pgContainer">共{pages}页 第{cur + 1}页 {" ".join(pager)}</div>\n{note}\n'
            f'</td><td valign="top" class="side">{self.related_box(furniture, "热点专题")}</td></tr></table>'
        )
        meta = f'<meta name="ColumnName" content="{esc(col.name)}">'
        return self.page(furniture, title=f"{col.name} {self.profile.portal_name}", meta=meta, main=main)

    def _metadata_table(self, notice: Notice) -> str:
        if notice.kind != "notice":
            return ""
        written = f"{notice.written:%Y-%m-%d}" if notice.written else ""
        return (
            '<table class="xxgk_table" width="100%" border="1" cellspacing="0" cellpadding="0">\n'
            f'<tr><td class="t1">索引号</td><td>{esc(notice.index_number or "")}</td>'
            f'<td class="t1">发布机关</td><td>{esc(notice.issuer)}</td></tr>\n'
            f'<tr><td class="t1">发文字号</td><td>{esc(notice.doc_number or "")}</td>'
            f'<td class="t1">成文日期</td><td>{written}</td></tr>\n'
            f'<tr><td class="t1">发布日期</td><td>{notice.published:%Y-%m-%d}</td>'
            '<td class="t1">有效性</td><td>有效</td></tr>\n</table>'
        )

    def render_article(self, furniture: Furniture, notice: Notice) -> str:
        column = self.profile.column(notice.column) or self.profile.columns[0]
        attachments = ""
        if notice.attachments:
            items = "<br>\n".join(
                f'<a href="{self.attachment_path(notice, f)}">{esc(label)}</a>' for f, label in notice.attachments
            )
            attachments = f'<div class="fujian"><p>附件：</p>\n{items}</div>'
        info = (
            f'<td class="fbxx">发布日期：{notice.published_text}　来源：{esc(notice.source)}　'
            f'访问量：<span id="hits">{furniture.visits}</span>　'
            '【字体：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> '
            '<a href="javascript:doZoom(12)">小</a>】</td>'
        )
        tools = (
            '<div class="art_tools">【<a href="javascript:window.print()">打印本页</a>】'
            '【<a href="javascript:window.close()">关闭窗口</a>】'
            '<span class="qr">扫一扫在手机打开当前页<img src="/static/qrcode.png" alt=""></span></div>'
        )
        body = f'<div id="zoom">\n{paragraphs_html(notice)}\n{attachments}\n</div>'
        title_cell = f'<td class="title" align="center">{esc(notice.title)}</td>'
        if furniture.redesigned:
            main = (
                f'{self._position(column.key, column.name)}\n<div class="zj2-article">\n'
                f'<div class="zj2-title">{esc(notice.title)}</div>\n{self._metadata_table(notice)}\n'
                f'<table class="zj2-info"><tr>{info}</tr></table>\n{body}\n{tools}\n</div>\n'
                f"{self.related_box(furniture, '相关阅读')}"
            )
        else:
            main = (
                f'{self._position(column.key, column.name)}\n{self._metadata_table(notice)}\n'
                '<table width="100%" border="0" cellspacing="0" cellpadding="0" class="article">\n'
                f"<tr>{title_cell}</tr>\n<tr>{info}</tr>\n"
                f'<tr><td class="bt_content">\n{body}\n</td></tr>\n</table>\n{tools}\n'
                f"{self.related_box(furniture)}"
            )
        title = f"{notice.title} {self.profile.portal_name}"
        return self.page(furniture, title=title, meta=meta_tags(notice, column), main=main)
