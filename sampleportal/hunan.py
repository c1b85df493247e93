"""The TRS-style site (shaped like a provincial portal built on TRS WCM).

URL shapes:
  list     /zwdt/index.html, /zwdt/index_1.html, ... (TRS numbering: page 0 has no suffix)
  article  /zwdt/202403/t20240305_29100012.html  (every fifth notice ends in .shtml)
  files    /zwdt/202403/P0202403051000120.pdf  (linked relatively from the article)
List pages link articles relatively (``./202403/t...html``), as TRS publishes them, and carry
both plain pager links and the ``createPageHTML(pages, current, "index", "html")`` call.
"""
from __future__ import annotations

import re

from sampleportal.furniture import Furniture, esc
from sampleportal.notices import Notice
from sampleportal.profiles import PROFILES
from sampleportal.sitebase import ListPage, SiteRenderer, meta_tags, paragraphs_html

LIST_RE = re.compile(r"^/(\w+)/index(?:_(\d+))?\.html$")
ARTICLE_RE = re.compile(r"^/(\w+)/(\d{6})/t(\d{8})_(\d+)\.s?html$")

# The pager script TRS list templates embed; written here from its documented behaviour
# (pages, current 0-based page, file prefix, extension).
CREATE_PAGE_SCRIPT = """<script type="text/javascript">
function createPageHTML(countPage, currentPage, prefix, suffix) {
  if (countPage <= 1) { return; }
  var name = function (i) { return i === 0 ? prefix + "." + suffix : prefix + "_" + i + "." + suffix; };
  var out = [];
  out.push(currentPage > 0 ? '<a href="' + name(0) + '">首页</a>' : '<span>首页</span>');
  out.push(currentPage > 0 ? '<a href="' + name(currentPage - 1) + '">上一页</a>' : '<span>上一页</span>');
  out.push(currentPage + 1 < countPage ? '<a href="' + name(currentPage + 1) + '">下一页</a>' : '<span>下一页</span>');
  out.push('<a href="' + name(countPage - 1) + '">尾页</a>');
  document.write(out.join(" "));
}
</script>"""


class HunanSite(SiteRenderer):
    profile = PROFILES["hunan"]
    frame_name = "hunan.html"
    redesign_frame_name = "hunan_redesign.html"

    def list_path(self, column: str, page: int = 0) -> str:
        return f"/{column}/index.html" if page == 0 else f"/{column}/index_{page}.html"

    def parse_list(self, path: str, query: dict[str, str]) -> tuple[str, int] | None:
        m = LIST_RE.match(path)
        if not m or self.profile.column(m.group(1)) is None:
            return None
        return m.group(1), int(m.group(2) or 0)

    def article_path(self, notice: Notice) -> str:
        ext = "shtml" if notice.shtml else "html"
        p = notice.published
        return f"/{notice.column}/{p:%Y%m}/t{p:%Y%m%d}_{notice.docid}.{ext}"

    def parse_article(self, path: str) -> int | None:
        m = ARTICLE_RE.match(path)
        return int(m.group(4)) if m else None

    def _crumb(self, column_key: str | None, column_name: str | None) -> str:
        tail = ""
        if column_key:
            tail = f' &gt; <a href="{self.list_path(column_key)}">{esc(column_name or "")}</a>'
        return f'<div class="crumb">当前位置：<a href="/">首页</a>{tail}</div>'

    def _sidebar(self, furniture: Furniture) -> str:
        hot = furniture.related_links(count=6)[::-1]
        items = "\n".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in hot)
        return f'<div class="sidebar fr"><h3>热点关注</h3><ul>\n{items}\n</ul></div>'

    def render_home(self, furniture: Furniture, columns: list[ListPage]) -> str:
        boxes = []
        for listing in columns:
            items = "\n".join(
                f'<li><a href="{self.article_path(n)}" target="_blank">{esc(n.title)}</a>'
                f"<span>{n.published:%m-%d}</span></li>"
                for n in listing.notices[:8]
            )
            more = self.list_path(listing.column.key)
            boxes.append(
                f'<div class="home-box"><div class="home-box-title"><h2>{esc(listing.column.name)}</h2>'
                f'<a class="more" href="{more}">更多&gt;&gt;</a></div><ul>\n{items}\n</ul></div>'
            )
        main = '<div class="home">\n' + "\n".join(boxes) + "\n</div>\n" + self._sidebar(furniture)
        return self.page(furniture, title=self.profile.portal_name, meta="", main=main)

    def render_list(self, furniture: Furniture, listing: ListPage) -> str:
        col = listing.column
        items = "\n".join(
            f'<li><a href="./{n.published:%Y%m}/{self.article_path(n).rsplit("/", 1)[1]}" target="_blank" '
            f'title="{esc(n.title)}">{esc(n.title)}</a><span class="date">{n.published:%Y-%m-%d}</span></li>'
            for n in listing.notices
        )
        pager = self._pager(listing)
        note = self.private_link() if col.key == self.profile.columns[0].key and listing.page == 0 else ""
        main = (
            f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; {esc(col.name)}</div>\n'
            f'<div class="list-box fl">\n<div class="list-title"><h2>{esc(col.name)}</h2></div>\n'
            f'<ul class="list">\n{items}\n</ul>\n{pager}\n{note}\n</div>\n{self._sidebar(furniture)}'
        )
        title = f"{col.name}_{self.profile.portal_name}"
        meta = f'<meta name="ColumnName" content="{esc(col.name)}">'
        return self.page(furniture, title=title, meta=meta, main=main)

    def _pager(self, listing: ListPage) -> str:
        pages, cur = listing.pages, listing.page
        name = lambda i: "index.html" if i == 0 else f"index_{i}.html"
        plain = [f'<a href="{name(0)}">首页</a>']
        if cur > 0:
            plain.append(f'<a href="{name(cur - 1)}">上一页</a>')
        if cur + 1 < pages:
            plain.append(f'<a href="{name(cur + 1)}">下一页</a>')
        plain.append(f'<a href="{name(max(pages - 1, 0))}">尾页</a>')
        return (
            f'<div class="page">{CREATE_PAGE_SCRIPT}\n'
            f'<script type="text/javascript">createPageHTML({pages}, {cur}, "index", "html");</script>\n'
            f'<noscript>{" ".join(plain)}</noscript>\n'
            f'<span class="page-plain">{" ".join(plain)}</span> <span>共{pages}页 当前第{cur + 1}页</span></div>'
        )

    def render_article(self, furniture: Furniture, notice: Notice) -> str:
        column = self.profile.column(notice.column) or self.profile.columns[0]
        wh = f'<div class="wh">{esc(notice.doc_number)}</div>\n' if notice.doc_number else ""
        attachments = ""
        if notice.attachments:
            items = "\n".join(
                f'<li><a href="{self.attachment_path(notice, f)}" target="_blank">{esc(label)}</a></li>'
                for f, label in notice.attachments
            )
            attachments = f'<div class="fujian">附件：<ul>\n{items}\n</ul></div>'
        info = (
            f'<div class="article-info">发布时间：{notice.published_text} 来源：{esc(notice.source)} '
            '【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
            '<a href="javascript:doZoom(14)">小</a>】 【<a href="javascript:window.print()">打印本页</a>】'
            '【<a href="javascript:window.close()">关闭窗口</a>】 '
            f'<span class="views">浏览次数：<span id="visits">{furniture.visits}</span></span></div>'
        )
        share = (
            '<div class="share">分享到：<a href="javascript:void(0)" class="wx">微信</a>'
            '<a href="javascript:void(0)" class="wb">微博</a><a href="javascript:void(0)" class="qq">QQ空间</a></div>'
        )
        body = f'<div class="TRS_Editor">\n{paragraphs_html(notice)}\n</div>'
        editor = f'<div class="editor">责任编辑：{esc(notice.editor)}</div>'
        crumb = self._crumb(column.key, column.name)
        if furniture.redesigned:
            main = (
                f'{crumb}\n<article class="detail">\n<header class="detail-head"><h1>{esc(notice.title)}</h1>\n'
                f"{wh}{info}</header>\n<div class=\"detail-body\" id=\"zoom\">{body}</div>\n"
                f"{attachments}\n<footer class=\"detail-foot\">{editor}{share}</footer>\n</article>\n"
                f"{self.related_box(furniture, '延伸阅读')}"
            )
        else:
            main = (
                f'{crumb}\n<div class="article fl">\n<h1 class="article-title">{esc(notice.title)}</h1>\n'
                f'{wh}{info}\n<div class="article-content" id="zoom">\n{body}\n</div>\n{attachments}\n'
                f"{editor}\n{share}\n{self.related_box(furniture)}\n</div>\n{self._sidebar(furniture)}"
            )
        title = f"{notice.title}_{self.profile.portal_name}"
        return self.page(furniture, title=title, meta=meta_tags(notice, column), main=main)
