"""The www.gov.cn-style site (UTF-8).

URL shapes:
  list     /zhengce/zuixin/home.htm, /zhengce/zuixin/home_1.htm, ...
  article  /zhengce/content/202403/content_6930012.htm
  files    /zhengce/content/202403/P0202403059300120.pdf
Notice ``STRAY_HTML_CLOSE_INDEX`` carries the stray ``</html>`` that real gov.cn pages have
after the header include, before the article.
"""
from __future__ import annotations

import re

from sampleportal.furniture import OFF_SITE, Furniture, esc
from sampleportal.notices import Notice
from sampleportal.profiles import PROFILES
from sampleportal.sitebase import ListPage, SiteRenderer, meta_tags, paragraphs_html

LIST_RE = re.compile(r"^/zhengce/(\w+)/home(?:_(\d+))?\.htm$")
ARTICLE_RE = re.compile(r"^/zhengce/content/(\d{6})/content_(\d+)\.htm$")
STRAY_HTML_CLOSE_INDEX = 1
# gov.cn's header include ends with its own closing tags; pages keep going after them.
STRAY_HTML_CLOSE = "<!-- header include end -->\n</body>\n</html>"


class GovcnSite(SiteRenderer):
    profile = PROFILES["govcn"]
    frame_name = "govcn.html"
    redesign_frame_name = "govcn_redesign.html"
    article_roots = ("/zhengce/content/",)
    shows_index_number = True
    shows_issuer = True

    def list_path(self, column: str, page: int = 0) -> str:
        return f"/zhengce/{column}/home.htm" if page == 0 else f"/zhengce/{column}/home_{page}.htm"

    def parse_list(self, path: str, query: dict[str, str]) -> tuple[str, int] | None:
        m = LIST_RE.match(path)
        if not m or self.profile.column(m.group(1)) is None:
            return None
        return m.group(1), int(m.group(2) or 0)

    def article_path(self, notice: Notice) -> str:
        return f"/zhengce/content/{notice.published:%Y%m}/content_{notice.docid}.htm"

    def parse_article(self, path: str) -> int | None:
        m = ARTICLE_RE.match(path)
        return int(m.group(2)) if m else None

    def _crumb(self, column_key: str | None, name: str) -> str:
        link = f'<a href="{self.list_path(column_key)}">{esc(name)}</a>' if column_key else f"<span>{esc(name)}</span>"
        return f'<div class="BreadcrumbNav"><a href="/">首页</a> &gt; <a href="/zhengce/">政策</a> &gt; {link}</div>'

    def render_home(self, furniture: Furniture, columns: list[ListPage]) -> str:
        parts = []
        for listing in columns:
            items = "\n".join(
                f'<li><a href="{self.article_path(n)}" target="_blank">{esc(n.title)}</a>'
                f"<span class=\"date\">{n.published:%m-%d}</span></li>"
                for n in listing.notices[:10]
            )
            parts.append(
                f'<div class="news_box"><h3><a href="{self.list_path(listing.column.key)}">{esc(listing.column.name)}</a></h3>'
                f"<ul>\n{items}\n</ul></div>"
            )
        main = "\n".join(parts) + "\n" + self.related_box(furniture, "专题")
        return self.page(furniture, title=self.profile.portal_name, meta="", main=main)

    def render_list(self, furniture: Furniture, listing: ListPage) -> str:
        col = listing.column
        items = "\n".join(
            f'<li><h4><a href="{self.article_path(n)}" target="_blank">{esc(n.title)}</a>'
            f'<span class="date">{n.published:%Y-%m-%d}</span></h4></li>'
            for n in listing.notices
        )
        cur, pages = listing.page, listing.pages
        pager = self.pager_links(col.key, cur, pages)
        note = self.private_link() if cur == 0 else ""
        main = (
            f"{self._crumb(None, col.name)}\n<div class=\"list list_1 list_2\">\n<ul>\n{items}\n</ul>\n</div>\n"
            f'<div class="pageInfo" id="pagination">{" ".join(pager)} <span>共{pages}页</span></div>\n{note}'
        )
        return self.page(furniture, title=f"{col.name}_{self.profile.portal_name}", meta="", main=main)

    def _policy_table(self, notice: Notice) -> str:
        written = f"{notice.written.year}年{notice.written.month:02d}月{notice.written.day:02d}日" if notice.written else ""
        published = f"{notice.published.year}年{notice.published.month:02d}月{notice.published.day:02d}日"
        return (
            '<table class="policyLibraryOverview_header" border="1" cellspacing="0">\n'
            f'<tr><td class="t">索 引 号：</td><td>{esc(notice.index_number or "")}</td>'
            '<td class="t">主题分类：</td><td>综合政务\\其他</td></tr>\n'
            f'<tr><td class="t">发文机关：</td><td>{esc(notice.issuer)}</td>'
            f'<td class="t">成文日期：</td><td>{written}</td></tr>\n'
            f'<tr><td class="t">标　　题：</td><td colspan="3">{esc(notice.title)}</td></tr>\n'
            f'<tr><td class="t">发文字号：</td><td>{esc(notice.doc_number or "")}</td>'
            f'<td class="t">发布日期：</td><td>{published}</td></tr>\n</table>'
        )

    def render_article(self, furniture: Furniture, notice: Notice) -> str:
        column = self.profile.column(notice.column) or self.profile.columns[0]
        info = (
            f'<div class="pages-date">{notice.published_text} <span class="font">来源： {esc(notice.source)}</span> '
            '<span class="font index_switchsize">字号：<span class="default on">默认</span> <span class="big">大</span> '
            '<span class="bigger">超大</span></span> <span class="split">|</span> '
            '<span class="font printIco" onclick="window.print()">打印</span> <span class="split">|</span></div>'
        )
        attachments = ""
        if notice.attachments:
            items = "\n".join(
                f'<p><a href="{self.attachment_path(notice, f)}">{esc(label)}</a></p>' for f, label in notice.attachments
            )
            attachments = f'<div class="attachments"><p>附件：</p>\n{items}</div>'
        body = f'<div class="pages_content" id="UCAP-CONTENT">\n{paragraphs_html(notice)}\n{attachments}\n</div>'
        editor = f'<div class="editor">【<a href="{OFF_SITE}/jiucuo/">我要纠错</a>】 责任编辑：{esc(notice.editor)}</div>'
        share = '<div class="share" id="share">分享：<a href="javascript:void(0)">微信</a> <a href="javascript:void(0)">微博</a></div>'
        wrapper = "article-v2" if furniture.redesigned else "article oneColumn pub_border"
        main = (
            f'{self._crumb(column.key, column.name)}\n{self._policy_table(notice) if notice.kind == "notice" else ""}\n'
            f'<div class="{wrapper}">\n<h1>{esc(notice.title)}</h1>\n{info}\n{body}\n{editor}\n{share}\n</div>\n'
            f"{self.related_box(furniture, '相关稿件')}"
        )
        stray = STRAY_HTML_CLOSE if notice.index == STRAY_HTML_CLOSE_INDEX else ""
        title = f"{notice.title}_{self.profile.columns[0].name}_{self.profile.portal_name}"
        return self.page(furniture, title=title, meta=meta_tags(notice, column), main=main, stray=stray)
