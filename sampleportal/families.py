"""Template families: the same notice in six visibly different article layouts.

A site keeps its URL shapes, encoding and column names whatever family it wears; a family
decides the page frame (header, nav, footer) and how the article page lays out headline,
info bar, metadata table, body container, widgets, attachments and boxes around them.
Switching a site's family between two rounds is a redesign: the notices stay the same.

  trs       TRS WCM provincial portal: headline, unlabelled 文号, one-line info bar, TRS_Editor
            body, 责任编辑, share, 相关链接 and a 热点关注 sidebar
  hanweb    Hanweb (大汉) old generation: layout tables, 索引号/发布机关 table, info cell with
            full-width spaces, ``#zoom`` body with attachments inside, 【打印本页】【关闭窗口】 below
  hanweb2   Hanweb newer generation: div layout, info bar of one ``<span>`` per field with no
            separator at all (``<span>信息来源：…</span><span>发布日期：…</span>``)
  govcn     www.gov.cn policy page: 索引号/发文机关/标题/发文字号 table, ``pages-date`` line,
            ``UCAP-CONTENT`` body, 【我要纠错】 责任编辑
  xxgk      政府信息公开 page: the 索引号/发布机关/文号/成文日期/发布日期 table above the
            headline and body, 公开指南 nav
  sidebar   two columns: article on the left, a long rotating sidebar on the right (热点,
            最新发布 with dates, 专题, 政务服务, 互动), 上一篇/下一篇 and 相关阅读

Which metadata a page prints is the site's (``shows_index_number``, ``shows_issuer``,
``shows_editor`` and the notice's own fields), never the family's: a redesign moves fields
around, it does not add or drop them, so every family yields the same compared fields.
Shapes follow the public CMS templates these names refer to; nothing is copied from them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sampleportal import wording
from sampleportal.furniture import OFF_SITE, Furniture, esc, links
from sampleportal.notices import Notice
from sampleportal.profiles import Column
from sampleportal.sitebase import SiteRenderer, meta_tags
from sampleportal.variants import (
    FONTS,
    WIDGETS,
    Variant,
    counter_html,
    info_html,
    paragraphs_html,
    widgets_html,
)

FAMILIES = ("trs", "hanweb", "hanweb2", "govcn", "xxgk", "sidebar")
# The family each site's own (default) template belongs to.
NATIVE = {"hunan": "trs", "zhejiang": "hanweb", "govcn": "govcn"}

# What a withdrawn notice's page says in the main area of the full template (several per
# site; which one depends on the notice). Some are the portal's own wording on purpose.
GONE_MESSAGES: dict[str, tuple[str, ...]] = {
    "hunan": ("该信息已删除", "抱歉，您要查看的信息不存在或已被删除！", "此信息已下架，感谢您的关注。"),
    "zhejiang": ("您访问的页面不存在", "页面已失效", "该稿件已撤稿。"),
    "govcn": ("页面已失效", "对不起，该文章已经不存在了。", "该信息已删除"),
}
# What each site answers, with status 200, for a URL under a column path that names nothing:
# (headline, explanation), in a layout of the site's own.
NOT_FOUND_PAGES: dict[str, tuple[str, str]] = {
    "hunan": ("抱歉，您访问的页面不存在或已被删除！", "5秒后自动跳转到首页。"),
    "zhejiang": ("对不起，您访问的页面已经不存在了", "可能的原因：网址输入有误，或该页面已被移动、删除。"),
    "govcn": ("您要找的页面走丢了", "请检查网址是否正确，或返回首页继续浏览。"),
}

# Titles for the long sidebar, related-reading boxes and 上一篇/下一篇 links (invented).
SIDEBAR_SUFFIXES = ("工作推进会召开", "取得阶段性成效", "政策问答", "一图读懂", "十问十答",
                    "专项行动启动", "典型案例发布", "情况通报")


def sidebar_titles() -> tuple[str, ...]:
    out = []
    for k, (topic, *_rest) in enumerate(wording.TOPICS):
        area = wording.AREAS[k % len(wording.AREAS)]
        for j in range(3):
            out.append(f"{area}{topic}{SIDEBAR_SUFFIXES[(k + j) % len(SIDEBAR_SUFFIXES)]}")
    return tuple(out)


SIDEBAR_TITLES = sidebar_titles()


@dataclass(slots=True)
class Page:
    """One family page before the frame: what goes into ``$main`` and ``<title>``."""

    main: str
    title: str
    meta: str = ""


class Family:
    name: str = ""
    frame: str = ""
    info_style = "ascii"  # the info bar's usual markup (see variants.info_html)
    title_form = "{title}_{portal}"

    def __init__(self, site: SiteRenderer, furniture: Furniture, variant: Variant) -> None:
        self.site = site
        self.furniture = furniture
        self.variant = variant
        self.portal = site.profile.portal_name

    # --- what the site prints ---------------------------------------------------------------
    def recorded(self, notice: Notice) -> dict[str, str]:
        """The fields this site prints for the notice, whatever the layout (in print order)."""
        s = self.site
        out = {"published": notice.published_text, "source": notice.source}
        if notice.doc_number:
            out["doc_number"] = notice.doc_number
        if notice.index_number and s.shows_index_number:
            out["index_number"] = notice.index_number
        if notice.kind == "notice" and s.shows_issuer:
            out["issuer"] = notice.issuer
        if notice.written:
            out["written"] = f"{notice.written:%Y-%m-%d}"
        if s.shows_editor:
            out["editor"] = notice.editor
        return out

    def column(self, notice: Notice | None) -> Column:
        profile = self.site.profile
        return (profile.column(notice.column) if notice else None) or profile.columns[0]

    # --- shared pieces ----------------------------------------------------------------------
    def body(self, notice: Notice, *, attachments_inside: bool = False) -> str:
        inner = paragraphs_html(notice.paragraphs, self.variant)
        if self.variant.inside:
            inner += f'\n<p class="tools-in">{self.tools()}</p>'
        if attachments_inside:
            inner += "\n" + self.attachments(notice)
        return inner

    def tools(self) -> str:
        """Counter and widgets, wherever the variant puts them."""
        return f"{counter_html(self.variant, self.furniture.visits)} {widgets_html(self.variant)}".strip()

    def tools_outside(self) -> str:
        return "" if self.variant.inside else self.tools()

    def info(self, notice: Notice, keys: tuple[str, ...], *, with_tools: bool = True) -> str:
        rec = self.recorded(notice)
        pairs = [(k, rec[k]) for k in keys if k in rec]
        return info_html(pairs, self.variant, self.info_style, extra=self.tools_outside() if with_tools else "")

    def attachments(self, notice: Notice) -> str:
        if not notice.attachments:
            return ""
        items = "\n".join(
            f'<li><a href="{self.site.attachment_path(notice, f)}" target="_blank">{esc(label)}</a></li>'
            for f, label in notice.attachments
        )
        return f'<div class="attachments">附件：<ul>\n{items}\n</ul></div>'

    def link_box(self, heading: str, count: int, *, offset: int = 0, css: str = "box", dated: bool = False) -> str:
        titles = self.furniture.rotate(SIDEBAR_TITLES)
        picked = titles[offset:offset + count]
        g = self.furniture.generation
        rows = []
        for k, t in enumerate(picked):
            date = f'<span class="date">{(self.furniture.today.month - 1) % 12 + 1:02d}-{(k * 3 + g) % 28 + 1:02d}</span>' if dated else ""
            rows.append(f'<li><a href="{OFF_SITE}/side/{g}/{offset + k}.html" title="{esc(t)}">{esc(t)}</a>{date}</li>')
        return f'<div class="{css}"><h4>{heading}</h4><ul>\n' + "\n".join(rows) + "\n</ul></div>"

    def crumb(self, column: Column, sep: str = "&gt;", lead: str = "当前位置：") -> str:
        return (f'<div class="crumb">{lead}<a href="/">首页</a> {sep} '
                f'<a href="{self.site.list_path(column.key)}">{esc(column.name)}</a></div>')

    # --- pages ------------------------------------------------------------------------------
    def article(self, notice: Notice) -> Page:
        raise NotImplementedError

    def gone(self, column: Column, message: str) -> Page:
        """A withdrawn notice in the full template: everything but the notice, and a message."""
        main = (
            f"{self.crumb(column)}\n<div class=\"article-area\">\n<div class=\"msg-box\"><p>{esc(message)}</p>"
            f'<p><a href="/">返回首页</a> <a href="javascript:history.back()">返回上一页</a></p></div>\n'
            f"{self.link_box('相关链接', 5)}\n</div>\n{self.link_box('热点关注', 8, offset=5, css='side')}"
        )
        return Page(main, self.portal)

    def page_title(self, notice: Notice) -> str:
        return self.title_form.format(title=notice.title, portal=self.portal, column=self.column(notice).name)


class TrsFamily(Family):
    name, frame = "trs", "family_trs.html"

    def article(self, notice: Notice) -> Page:
        column = self.column(notice)
        rec = self.recorded(notice)
        wh = f'<div class="wh">{esc(rec["doc_number"])}</div>\n' if "doc_number" in rec else ""
        info = self.info(notice, ("published", "source", "index_number", "issuer"))
        editor = f'<div class="editor">{self.variant.label["editor"]}：{esc(rec["editor"])}</div>' if "editor" in rec else ""
        main = (
            f"{self.crumb(column)}\n<div class=\"article fl\">\n<h1 class=\"article-title\">{esc(notice.title)}</h1>\n"
            f'{wh}<div class="article-info">{info}</div>\n'
            f'<div class="article-content" id="zoom">\n<div class="TRS_Editor">\n{self.body(notice)}\n</div>\n</div>\n'
            f"{self.attachments(notice)}\n{editor}\n"
            '<div class="share">分享到：<a href="javascript:void(0)">微信</a><a href="javascript:void(0)">微博</a></div>\n'
            f"{self.link_box('相关链接', 5)}\n</div>\n{self.link_box('热点关注', 6, offset=5, css='sidebar fr')}"
        )
        return Page(main, self.page_title(notice))


class HanwebFamily(Family):
    name, frame = "hanweb", "family_hanweb.html"
    info_style = "spaces"
    title_form = "{title} {portal}"

    def table(self, notice: Notice) -> str:
        rec = self.recorded(notice)
        if "doc_number" not in rec and "index_number" not in rec:
            return ""
        lab = self.variant.label
        cells = [(lab[k], rec[k]) for k in ("index_number", "issuer", "doc_number", "written") if k in rec]
        cells.append((lab["published"], rec["published"][:10]))
        rows = []
        for k in range(0, len(cells), 2):
            pair = cells[k:k + 2]
            rows.append("<tr>" + "".join(f'<td class="t1">{esc(a)}</td><td>{esc(b)}</td>' for a, b in pair) + "</tr>")
        return '<table class="xxgk_table" width="100%" border="1" cellspacing="0">\n' + "\n".join(rows) + "\n</table>"

    def article(self, notice: Notice) -> Page:
        column = self.column(notice)
        rec = self.recorded(notice)
        info = self.info(notice, ("published", "source"))
        editor = f'<p class="bianji">{self.variant.label["editor"]}：{esc(rec["editor"])}</p>' if "editor" in rec else ""
        widgets = "" if self.variant.inside else WIDGET_BAR.format(widgets=WIDGETS[self.variant.widgets])
        main = (
            f'<div class="position">您现在的位置：<a href="/">首页</a> &gt; '
            f'<a href="{self.site.list_path(column.key)}">{esc(column.name)}</a></div>\n{self.table(notice)}\n'
            '<table width="100%" border="0" cellspacing="0" cellpadding="0" class="article">\n'
            f'<tr><td class="title" align="center">{esc(notice.title)}</td></tr>\n'
            f'<tr><td class="fbxx">{info}</td></tr>\n'
            f'<tr><td class="bt_content">\n<div id="zoom">\n{self.body(notice, attachments_inside=True)}\n</div>\n{editor}</td></tr>\n'
            f"</table>\n{widgets}\n{self.link_box('相关链接', 5)}"
        )
        return Page(main, self.page_title(notice))

    def info(self, notice: Notice, keys: tuple[str, ...], *, with_tools: bool = True) -> str:
        # the old Hanweb bar carries the counter and the font widget; print/close sit below the table
        rec = self.recorded(notice)
        pairs = [(k, rec[k]) for k in keys if k in rec]
        extra = "" if self.variant.inside else f"{counter_html(self.variant, self.furniture.visits)} " + FONTS[self.variant.font]
        return info_html(pairs, self.variant, self.info_style, extra=extra.strip())


WIDGET_BAR = '<div class="art_tools">{widgets}<span class="qr">扫一扫在手机打开当前页<img src="/static/qrcode.png" alt=""></span></div>'


class Hanweb2Family(Family):
    name, frame = "hanweb2", "family_hanweb2.html"
    info_style = "spans"
    title_form = "{title}-{portal}"

    def recorded(self, notice: Notice) -> dict[str, str]:
        out = super().recorded(notice)
        out["published"] = f"{notice.published:%Y-%m-%d %H:%M:%S}"  # this generation prints seconds
        return out

    def article(self, notice: Notice) -> Page:
        column = self.column(notice)
        rec = self.recorded(notice)
        info = self.info(notice, ("source", "published", "doc_number", "index_number", "issuer"), with_tools=False)
        if not self.variant.inside:
            info += f"<span>{counter_html(self.variant, self.furniture.visits)}</span>"
            info += f'<span class="hw2-font">{FONTS[self.variant.font]}</span>'
        editor = f'<div class="hw2-editor">{self.variant.label["editor"]}：{esc(rec["editor"])}</div>' if "editor" in rec else ""
        tools = "" if self.variant.inside else f'<div class="hw2-tools">{WIDGETS[self.variant.widgets]}<span class="hw2-share">分享到：微信 微博</span></div>'
        main = (
            f'<div class="hw2-position"><span>当前位置：</span><a href="/">首页</a><span>&gt;</span>'
            f'<a href="{self.site.list_path(column.key)}">{esc(column.name)}</a><span>&gt;</span><span>正文</span></div>\n'
            f'<div class="hw2-article">\n<h2 class="hw2-title">{esc(notice.title)}</h2>\n'
            f'<div class="hw2-info">{info}</div>\n'
            f'<div class="hw2-content" id="zoom">\n{self.body(notice)}\n</div>\n{self.attachments(notice)}\n'
            f"{editor}\n{tools}\n</div>\n{self.link_box('相关阅读', 6, css='hw2-related')}"
        )
        return Page(main, self.page_title(notice))


class GovcnFamily(Family):
    name, frame = "govcn", "family_govcn.html"
    title_form = "{title}_{column}_{portal}"

    def table(self, notice: Notice) -> str:
        rec = self.recorded(notice)
        if "doc_number" not in rec:
            return ""
        lab = self.variant.label
        day = lambda iso: f"{iso[:4]}年{iso[5:7]}月{iso[8:10]}日"
        rows = []
        if "index_number" in rec:
            rows.append(f'<tr><td class="t">{lab["index_number"]}：</td><td>{esc(rec["index_number"])}</td>'
                        '<td class="t">主题分类：</td><td>综合政务\\其他</td></tr>')
        second = [(lab["issuer"], rec["issuer"])] if "issuer" in rec else []
        if "written" in rec:
            second.append((lab["written"], day(rec["written"])))
        if second:
            rows.append("<tr>" + "".join(f'<td class="t">{a}：</td><td>{esc(b)}</td>' for a, b in second) + "</tr>")
        rows.append(f'<tr><td class="t">标　　题：</td><td colspan="3">{esc(notice.title)}</td></tr>')
        rows.append(f'<tr><td class="t">{lab["doc_number"]}：</td><td>{esc(rec["doc_number"])}</td>'
                    f'<td class="t">{lab["published"]}：</td><td>{day(rec["published"])}</td></tr>')
        return '<table class="policyLibraryOverview_header" border="1" cellspacing="0">\n' + "\n".join(rows) + "\n</table>"

    def article(self, notice: Notice) -> Page:
        column = self.column(notice)
        rec = self.recorded(notice)
        if self.variant.info == "own":
            info = (f'{rec["published"]} <span class="font">{self.variant.label["source"]}：{esc(rec["source"])}</span> '
                    f"{self.tools_outside()}")
        else:
            info = self.info(notice, ("published", "source"))
        editor = ""
        if "editor" in rec:
            editor = (f'<div class="editor">【<a href="{OFF_SITE}/jiucuo/">我要纠错</a>】 '
                      f'{self.variant.label["editor"]}：{esc(rec["editor"])}</div>')
        main = (
            f'<div class="BreadcrumbNav"><a href="/">首页</a> &gt; <a href="{self.site.list_path(column.key)}">'
            f"{esc(column.name)}</a></div>\n{self.table(notice)}\n"
            f'<div class="article oneColumn pub_border">\n<h1>{esc(notice.title)}</h1>\n<div class="pages-date">{info}</div>\n'
            f'<div class="pages_content" id="UCAP-CONTENT">\n{self.body(notice, attachments_inside=True)}\n</div>\n'
            f'{editor}\n<div class="share">分享：<a href="javascript:void(0)">微信</a></div>\n</div>\n'
            f"{self.link_box('相关稿件', 5)}"
        )
        return Page(main, self.page_title(notice))


class XxgkFamily(Family):
    name, frame = "xxgk", "family_xxgk.html"
    title_form = "{portal}-{title}"

    def table(self, notice: Notice) -> str:
        rec = self.recorded(notice)
        lab = self.variant.label
        cells = [(lab[k], rec[k]) for k in ("index_number", "issuer", "doc_number", "written") if k in rec]
        cells += [(lab["published"], rec["published"][:10]), ("主题分类", "综合政务"), (lab["source"], rec["source"])]
        rows = []
        for k in range(0, len(cells), 2):
            rows.append("<tr>" + "".join(f"<th>{esc(a)}：</th><td>{esc(b)}</td>" for a, b in cells[k:k + 2]) + "</tr>")
        rows.append(f'<tr><th>名　　称：</th><td colspan="3">{esc(notice.title)}</td></tr>')
        return '<table class="xxgk-meta" cellspacing="0" cellpadding="0">\n' + "\n".join(rows) + "\n</table>"

    def article(self, notice: Notice) -> Page:
        column = self.column(notice)
        rec = self.recorded(notice)
        editor = f'<div class="xxgk-editor">（{self.variant.label["editor"]}：{esc(rec["editor"])}）</div>' if "editor" in rec else ""
        main = (
            f'<div class="xxgk-crumb">您所在的位置：<a href="/">首页</a> &gt; <a href="{OFF_SITE}/xxgk/">政府信息公开</a> &gt; '
            f'<a href="{self.site.list_path(column.key)}">{esc(column.name)}</a></div>\n'
            f'<div class="xxgk-detail">\n{self.table(notice)}\n<div class="xxgk-title"><h1>{esc(notice.title)}</h1></div>\n'
            f'<div class="xxgk-info">{self.tools_outside()}</div>\n'
            f'<div class="xxgk-content" id="zoom">\n{self.body(notice)}\n</div>\n{self.attachments(notice)}\n{editor}\n'
            f"</div>"
        )
        return Page(main, self.page_title(notice))


class SidebarFamily(Family):
    name, frame = "sidebar", "family_sidebar.html"
    info_style = "em"

    def sidebar(self) -> str:
        return (
            '<div class="two-right">\n'
            f"{self.link_box('热点新闻', 10, offset=0)}\n{self.link_box('最新发布', 10, offset=10, dated=True)}\n"
            f"{self.link_box('专题专栏', 6, offset=20)}\n{self.link_box('政务服务', 8, offset=26)}\n"
            f"{self.link_box('互动交流', 5, offset=34)}\n</div>"
        )

    def article(self, notice: Notice) -> Page:
        column = self.column(notice)
        rec = self.recorded(notice)
        sub = f'<div class="two-sub">{esc(rec["doc_number"])}</div>\n' if "doc_number" in rec else ""
        info = self.info(notice, ("published", "source", "index_number", "issuer"), with_tools=False)
        counter = "" if self.variant.inside else counter_html(self.variant, self.furniture.visits)
        tools = "" if self.variant.inside else f'<div class="two-tools">{widgets_html(self.variant)}</div>'
        editor = f'<div class="two-editor">（{self.variant.label["editor"]}：{esc(rec["editor"])}）</div>' if "editor" in rec else ""
        rotated = self.furniture.rotate(SIDEBAR_TITLES)
        prev_next = (f'<div class="two-prevnext"><p>上一篇：<a href="{OFF_SITE}/p.html">{esc(rotated[40])}</a></p>'
                     f'<p>下一篇：<a href="{OFF_SITE}/n.html">{esc(rotated[41])}</a></p></div>')
        main = (
            f'<div class="two-left">\n{self.crumb(column, sep="»")}\n<div class="two-article">\n'
            f"<h1>{esc(notice.title)}</h1>\n{sub}<div class=\"two-info\">{info} {counter}</div>\n{tools}\n"
            f'<div class="two-text" id="zoom">\n{self.body(notice)}\n</div>\n{self.attachments(notice)}\n{editor}\n'
            f"{prev_next}\n</div>\n{self.link_box('相关阅读', 8, offset=42, css='two-related')}\n</div>\n{self.sidebar()}"
        )
        return Page(main, self.page_title(notice))

    def gone(self, column: Column, message: str) -> Page:
        main = (
            f'<div class="two-left">\n{self.crumb(column, sep="»")}\n<div class="two-article">\n'
            f'<div class="two-msg"><p>{esc(message)}</p></div>\n</div>\n'
            f"{self.link_box('相关阅读', 8, offset=42, css='two-related')}\n</div>\n{self.sidebar()}"
        )
        return Page(main, self.portal)


FAMILY_CLASSES: dict[str, type[Family]] = {
    cls.name: cls for cls in (TrsFamily, HanwebFamily, Hanweb2Family, GovcnFamily, XxgkFamily, SidebarFamily)
}


def family(name: str, site: SiteRenderer, furniture: Furniture, variant: Variant) -> Family:
    if name not in FAMILY_CLASSES:
        raise ValueError(f"template family must be one of {', '.join(FAMILIES)}, not {name!r}")
    furniture.frame = FAMILY_CLASSES[name].frame
    return FAMILY_CLASSES[name](site, furniture, variant)


def render_article(site: SiteRenderer, furniture: Furniture, notice: Notice, name: str, variant: Variant) -> str:
    f = family(name, site, furniture, variant)
    page = f.article(notice)
    return site.page(furniture, title=page.title, meta=meta_tags(notice, f.column(notice)), main=page.main)


def gone_message(site_key: str, index: int) -> str:
    messages = GONE_MESSAGES[site_key]
    return messages[index % len(messages)]


def render_gone(site: SiteRenderer, furniture: Furniture, notice: Notice, name: str | None, variant: Variant) -> str:
    """A withdrawn notice, HTTP 200, in the full template of the site's current family."""
    message = gone_message(site.profile.key, notice.index)
    f = family(name or NATIVE[site.profile.key], site, furniture, variant)
    if name is None:  # the site's own template: keep its own frame
        furniture.frame = None
    page = f.gone(f.column(notice), message)
    return site.page(furniture, title=page.title, meta="", main=page.main)


def render_not_found(site: SiteRenderer, furniture: Furniture, name: str | None) -> str:
    """The site's own "not found" page (HTTP 200): a fixed wording and layout per site."""
    headline, explanation = NOT_FOUND_PAGES[site.profile.key]
    hot = links([(f"{OFF_SITE}/side/{k}.html", t) for k, t in enumerate(furniture.rotate(SIDEBAR_TITLES)[:6])])
    main = (
        f'<div class="page-404 {site.profile.key}-404">\n<div class="img404">404</div>\n<h3>{esc(headline)}</h3>\n'
        f'<p>{esc(explanation)}</p>\n<p><a href="/">返回首页</a></p>\n</div>\n'
        f'<div class="hot404"><h4>您可能感兴趣的内容</h4><ul>\n{hot}\n</ul></div>'
    )
    if name is not None:
        furniture.frame = FAMILY_CLASSES[name].frame
    return site.page(furniture, title=f"{headline}_{site.profile.portal_name}", meta="", main=main)
