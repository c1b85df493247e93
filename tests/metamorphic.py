"""Metamorphic transformations of real corpus pages, and the check that runs them.

A transformation rewrites one real page (its decoded text, parsed with lxml, changed,
re-serialised, and re-encoded in the page's own encoding when that is a GB one, so the
decoder path is exercised too) into a *base* and a *variant*. Invariant transformations
(furniture, layout, template) must leave the stored notice as it was: the fingerprint
``version_content(extract_article(page, url)).fingerprint`` is the same for base and
variant. Sensitive transformations (a real edit of the notice) must change it. A
transformation that does not fit a page (no info line to re-wrap, no number in the body)
says so and counts as not applicable, never as a pass.

The corpus is read at run time (env ``PORTALWATCH_CORPUS`` or ``../shared/corpus``) and
never copied into the project. Everything is deterministic: each (page, transformation)
pair draws from its own seeded ``random.Random``.

Used by ``tests/test_metamorphic.py`` (floors) and ``benchmarks/bench_metamorphic.py``
(the per-transformation table and the failing pairs).
"""
from __future__ import annotations

import copy
import difflib
import json
import os
import random
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

from monitor.article import Article
from monitor.extraction import extract_article
from monitor.normalize import normalize_text
from monitor.recorder import changed_fields, compared_fields, version_content
from storage.records import StoredVersion, VersionContent

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PORTALWATCH_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))

INVARIANT = "invariant"
SENSITIVE = "sensitive"
# Issue 14 (Traditional mirrors, pinyin annotations): invariant under a script-insensitive
# comparison that is still being built; measured apart so they do not hide the rest.
SCRIPT = "script"

# Manifest encodings that browsers (and spiders.encoding) decode as GB18030.
_GB_ENCODINGS = {"gb2312", "gbk", "gb18030"}
_SPACE_CHARS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_END_TAGS = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_SKIP_TAGS = {"script", "style", "noscript", "head", "title", "meta", "link", "textarea", "select", "option"}
# Elements a block (div) may not be put inside without the parser moving it out again.
_TABLE_PARTS = {"table", "tbody", "thead", "tfoot", "tr"}
_BLOCK_HOSTS = {"div", "td", "th", "article", "section", "body", "center", "li", "dd", "form", "main",
                "blockquote", "font", "span"}
# Labels of an article info line (来源 / 发布时间 ...): what marks an element as the info line.
_INFO_LABELS = ("信息来源", "文章来源", "新闻来源", "稿件来源", "来源", "发布时间", "发布日期", "发表时间",
                "更新时间", "时间", "日期", "作者", "责任编辑", "编辑", "浏览次数", "点击数", "阅读次数")
_SOURCE_DATE_LABELS = _INFO_LABELS[:11]
_INFO_LABEL_RE = re.compile("(" + "|".join(_INFO_LABELS) + r")\s*[:：]")
_DATE_RE = re.compile(r"(\d{4})(\s*[-/.年]\s*)(\d{1,2})(\s*[-/.月]\s*)(\d{1,2})")
_MDY_RE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})")
_SEPARATOR_ONLY = re.compile(r"^[\s\u00a0\u3000|｜/·•,，、:：\-]*$")


# --- the corpus -------------------------------------------------------------------------

@dataclass
class CorpusPage:
    """One page of the dev corpus: its bytes as served and its ground truth."""

    id: str
    url: str | None
    encoding: str
    raw: bytes
    truth: dict


def load_corpus(corpus: Path = CORPUS) -> list[CorpusPage]:
    pages = []
    for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        truth = json.loads((corpus / "truth" / f"{entry['id']}.json").read_text(encoding="utf-8"))
        pages.append(CorpusPage(entry["id"], entry.get("url"), entry.get("encoding") or "utf-8",
                                (corpus / entry["file"]).read_bytes(), truth))
    return pages


# --- parsing and serialising --------------------------------------------------------------

def parse(text: str) -> lxml.html.HtmlElement:
    """One tree for the whole page (early ``</html>`` removed, as browsers effectively do)."""
    text = _END_TAGS.sub("", _XML_DECL.sub("", text, count=1)).replace("\x00", "")
    return lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(default_doctype=False))


def serialise(root: lxml.html.HtmlElement) -> str:
    doctype = root.getroottree().docinfo.doctype
    html = lxml.html.tostring(root, encoding="unicode", method="html")
    # NBSP back to the entity the page most likely used (and that a GB2312 page can hold).
    html = html.replace("\u00a0", "&nbsp;")
    return f"{doctype}\n{html}" if doctype else html


def encode(page: CorpusPage, html: str) -> bytes:
    """Bytes in the page's own encoding for GB pages (exercising the GB decoder), else UTF-8."""
    if page.encoding.lower() in _GB_ENCODINGS:
        return html.encode("gb18030")
    return html.encode("utf-8")


def compact(text: str) -> str:
    return _SPACE_CHARS.sub("", text or "")


# --- landmarks of a page --------------------------------------------------------------------

@dataclass
class Prepared:
    """A page decoded, parsed once and its landmarks found; transformations copy ``root``."""

    page: CorpusPage
    text: str  # the page as decoded by the project's decoder
    root: lxml.html.HtmlElement
    base: Article  # extraction of the round-tripped page
    container: tuple[int, ...] | None = None  # path to the article container (>= 80% of the notice)
    info: tuple[int, ...] | None = None  # path to the info line (来源 / 发布时间 ...)
    title: str | None = None
    whole: tuple[int, ...] | None = None  # smallest element holding >= 98% of the notice (frames)

    def copy(self) -> tuple[lxml.html.HtmlElement, lxml.html.HtmlElement | None, lxml.html.HtmlElement | None]:
        """A fresh tree with its container and info line."""
        root = copy.deepcopy(self.root)
        return root, _at(root, self.container), _at(root, self.info)


def _path(el: lxml.html.HtmlElement) -> tuple[int, ...]:
    """Child indexes from the root to ``el`` (XPath breaks on Word's ``o:p`` tags)."""
    steps = []
    while (parent := el.getparent()) is not None:
        steps.append(parent.index(el))
        el = parent
    return tuple(reversed(steps))


def _at(root: lxml.html.HtmlElement, path: tuple[int, ...] | None) -> lxml.html.HtmlElement | None:
    if path is None:
        return None
    el = root
    for step in path:
        el = el[step]
    return el


def _elements(root: lxml.html.HtmlElement) -> Iterable[lxml.html.HtmlElement]:
    body = root.find("body")
    for el in (body if body is not None else root).iter():
        if isinstance(el.tag, str) and el.tag not in _SKIP_TAGS:
            yield el


def find_container(root: lxml.html.HtmlElement, truth_body: str, share: float = 0.8
                   ) -> lxml.html.HtmlElement | None:
    """The smallest element whose text covers >= ``share`` of the truth body characters found on the page.

    Coverage is the share of truth characters on truth lines found verbatim (white space
    ignored) in the element's text, as in the corpus README. ``None`` when the best is the
    whole page.
    """
    lines = [line for line in (compact(raw) for raw in truth_body.split("\n")) if line]
    total = sum(len(line) for line in lines)
    if not total:
        return None
    body = root.find("body")
    if body is None:
        return None

    def coverage(text: str) -> float:
        return sum(len(line) for line in lines if line in text) / total

    page_cover = coverage(compact(body.text_content()))
    if page_cover < 0.3:
        return None
    needed = share * page_cover
    best, best_len = None, None
    for el in _elements(root):
        text = compact(el.text_content())
        if len(text) < needed * total * 0.5 or (best_len is not None and len(text) >= best_len):
            continue
        if coverage(text) >= needed:
            best, best_len = el, len(text)
    if best is None or best.tag in ("html", "body"):
        return None
    return best


def find_info_line(root: lxml.html.HtmlElement, container: lxml.html.HtmlElement | None
                   ) -> lxml.html.HtmlElement | None:
    """The smallest short element with two info labels (or one label and a date)."""
    best, best_key = None, None
    for el in _elements(root):
        text = " ".join(el.text_content().split())
        if not text or len(text) > 160:
            continue
        if container is not None and (el is container or container in el.iterancestors()
                                      or el in container.iterancestors()):
            continue
        labels = _INFO_LABEL_RE.findall(text)
        if not labels or (len(labels) < 2 and not _DATE_RE.search(text)):
            continue
        key = (-len(labels), len(text))
        if best_key is None or key < best_key:
            best, best_key = el, key
    return best


def prepare(page: CorpusPage) -> Prepared:
    from spiders.encoding import decode_html

    text, _ = decode_html(page.raw)
    root = parse(text)
    base = extract_article(encode(page, serialise(root)), page.url)
    container = find_container(root, page.truth.get("body") or "")
    info = find_info_line(root, container)
    whole = find_container(root, page.truth.get("body") or "", 0.98) if container is not None else None
    return Prepared(page, text, root, base, _path(container) if container is not None else None,
                    _path(info) if info is not None else None, base.title,
                    _path(whole) if whole is not None else None)


# --- building blocks for transformations ---------------------------------------------------

def _fragment(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html)


def _host(container: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Where a block can go inside the container (a table container: its last cell)."""
    if container.tag in _TABLE_PARTS:
        cells = container.xpath(".//td|.//th")
        if cells:
            return cells[-1]
    return container


def _block_tag(host: lxml.html.HtmlElement) -> str:
    return "div" if host.tag in _BLOCK_HOSTS else "span"


def insert_inside(container: lxml.html.HtmlElement, inner_html: str, *, at_start: bool = False,
                  cls: str = "widget") -> None:
    host = _host(container)
    el = _fragment(f'<{_block_tag(host)} class="{cls}">{inner_html}</{_block_tag(host)}>')
    if at_start:
        el.tail, host.text = host.text, None
        host.insert(0, el)
    else:
        host.append(el)


def insert_after(container: lxml.html.HtmlElement, html: str) -> None:
    """Put a block right after the container (after its table when the container is a cell)."""
    anchor = container
    if anchor.tag in ("td", "th", "tr", "tbody", "thead", "li", "dd", "dt"):
        outer = next((a for a in anchor.iterancestors() if a.tag in ("table", "ul", "ol", "dl")), None)
        anchor = outer if outer is not None else anchor
    if anchor.tag in ("p", "span", "font", "a", "b", "strong") and anchor.getparent() is not None:
        anchor = anchor.getparent() if anchor.getparent().tag not in ("body", "html") else anchor
    anchor.addnext(_fragment(html))


def insert_at_top(root: lxml.html.HtmlElement, html: str) -> None:
    body = root.find("body")
    el = _fragment(html)
    if body is None:
        root.append(el)
        return
    el.tail, body.text = body.text, None
    body.insert(0, el)


def text_slots(el: lxml.html.HtmlElement) -> Iterable[tuple[lxml.html.HtmlElement, str]]:
    """Every (element, "text"|"tail") holding visible text under ``el`` (its own tail excluded)."""
    if el.text:
        yield el, "text"
    for child in el.iterdescendants():
        if not isinstance(child.tag, str):
            if child.tail:
                yield child, "tail"
            continue
        if child.tag not in _SKIP_TAGS and child.text:
            yield child, "text"
        if child.tail:
            yield child, "tail"


def _get(slot: tuple[lxml.html.HtmlElement, str]) -> str:
    return getattr(slot[0], slot[1]) or ""


def _set(slot: tuple[lxml.html.HtmlElement, str], value: str) -> None:
    setattr(slot[0], slot[1], value)


def _body_slots(prep: Prepared, container: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, str]]:
    """Text slots of the container whose text the base extraction kept in the body."""
    kept = compact(prep.base.text)
    return [slot for slot in text_slots(container) if len(compact(_get(slot))) >= 4
            and compact(_get(slot)) in kept]


_PLACES = ("全省", "市政府", "省教育厅", "县应急管理局", "市卫生健康委", "省发展改革委", "区人力资源社会保障局",
           "市住房城乡建设局", "省农业农村厅", "市生态环境局")
_TOPICS = ("春季森林防火", "安全生产大检查", "高校毕业生就业", "重点项目建设", "城乡居民医保缴费",
           "冬春农田水利建设", "营商环境优化", "防汛抗旱", "义务教育招生", "公共租赁住房配租")
_ACTIONS = ("工作部署会召开", "工作取得新进展", "专项行动启动", "政策解读", "情况通报", "实施方案印发",
            "现场推进会举行", "有关事项的通知", "工作要点发布", "典型经验交流")


def headlines(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(_PLACES) + rng.choice(_TOPICS) + rng.choice(_ACTIONS) for _ in range(count)]


def link_list(items: list[str], rng_seed: int, heading: str, cls: str) -> str:
    rows = "".join(
        f'<li><a href="/xwdt/2024{(i % 12) + 1:02d}/t2024{(i % 12) + 1:02d}{(i % 27) + 1:02d}_{rng_seed + i}.html">'
        f'{text}</a><span class="date">2024-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}</span></li>'
        for i, text in enumerate(items))
    return f'<div class="{cls}"><div class="hd"><h3>{heading}</h3></div><ul>{rows}</ul></div>'


# --- transformations --------------------------------------------------------------------------

# A transformation returns (base tree or None for the plain round-tripped page, variant tree),
# or a string saying why it does not apply to the page.
Result = tuple[lxml.html.HtmlElement | None, lxml.html.HtmlElement | str] | str


@dataclass(frozen=True)
class Transformation:
    name: str
    kind: str  # INVARIANT | SENSITIVE | SCRIPT
    apply: Callable[[Prepared, random.Random], Result]
    description: str = ""


def _pair(prep: Prepared, change: Callable[[lxml.html.HtmlElement, lxml.html.HtmlElement | None,
                                            lxml.html.HtmlElement | None, str], None],
          before: str, after: str) -> Result:
    """Base and variant made by the same edit with two values (e.g. counter 123 vs 4567)."""
    trees = []
    for value in (before, after):
        root, container, info = prep.copy()
        change(root, container, info, value)
        trees.append(root)
    return trees[0], trees[1]


def t_counter(prep: Prepared, rng: random.Random) -> Result:
    def change(root, container, info, value):
        counter = f"<span>浏览次数：{value}</span>"
        if info is not None:
            if len(info):
                info[-1].tail = (info[-1].tail or "") + "\u3000"
            else:
                info.text = (info.text or "") + "\u3000"
            info.append(_fragment(counter))
        elif container is not None:
            container.addprevious(_fragment(f'<div class="info">{counter}</div>'))
        else:
            insert_at_top(root, f'<div class="info">{counter}</div>')

    return _pair(prep, change, str(rng.randint(10, 999)), str(rng.randint(1000, 99999)))


def t_date_widget(prep: Prepared, rng: random.Random) -> Result:
    def change(root, container, info, value):
        insert_at_top(root, f'<div class="topbar"><span>今天是{value}</span> '
                            '<a href="/">设为首页</a> <a href="/">加入收藏</a></div>')

    return _pair(prep, change, "2024年3月5日 星期二", "2024年3月6日 星期三")


_BUTTONS_LONG = "【打印本页】【关闭窗口】"
_BUTTON_VARIANTS = {"short": "【打印】【关闭】", "ascii": "[打印] [关闭]"}
_FONT = "【字体：大 中 小】"
_SHARE = "分享到：微信 微博"


def _widget(inside: bool, before: str | None, after: str, at_start: bool = False):
    def apply(prep: Prepared, rng: random.Random) -> Result:
        if prep.container is None:
            return "no article container found"

        def change(root, container, info, value):
            if not value:
                return
            if inside:
                insert_inside(container, value, at_start=at_start)
            else:
                insert_after(container, f'<div class="widget">{value}</div>')

        return _pair(prep, change, before or "", after)

    return apply


def _paragraph_starts(container: lxml.html.HtmlElement) -> list[tuple[lxml.html.HtmlElement, str]]:
    """Text slots that begin a line: the text of a p/div/td, the tail of a br."""
    slots = []
    for el in container.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            continue
        if el.tag in ("p", "div", "td", "li") and el.text and el.text.strip():
            slots.append((el, "text"))
        if el.tag == "br" and el.tail and el.tail.strip():
            slots.append((el, "tail"))
    return slots


def _body_edit(edit: Callable[[Prepared, lxml.html.HtmlElement, random.Random], bool], why: str):
    def apply(prep: Prepared, rng: random.Random) -> Result:
        if prep.container is None:
            return "no article container found"
        root, container, _ = prep.copy()
        if not edit(prep, container, rng):
            return why
        return None, root

    return apply


def e_whitespace(prep, container, rng) -> bool:
    """Source re-indented: white space at block boundaries, doubled spaces, CRLF line ends."""
    changed = False
    for el in container.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            continue
        if el.tag in ("p", "div", "td", "li", "table", "tr", "h1", "h2", "h3", "h4", "br", "ul"):
            if el.tag != "br":
                el.text = "\r\n\t\t" + (el.text or "")
            el.tail = "\r\n\t" + (el.tail or "")
            changed = True
    for slot in text_slots(container):
        value = _get(slot)
        if "  " not in value and " " in value.strip():
            _set(slot, value.replace(" ", "  "))
    return changed


def e_nbsp_indent(prep, container, rng) -> bool:
    starts = _paragraph_starts(container)
    for slot in starts:
        _set(slot, "\u00a0\u00a0\u00a0\u00a0" + _get(slot).lstrip(" \u3000\u00a0"))
    return bool(starts)


def e_fullwidth_indent(prep, container, rng) -> bool:
    starts = _paragraph_starts(container)
    for slot in starts:
        _set(slot, "\u3000\u3000" + _get(slot).lstrip(" \u3000\u00a0"))
    return bool(starts)


_TO_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}
_TO_FULLWIDTH.update({",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？", " ": "\u3000"})


def e_fullwidth_chars(prep, container, rng) -> bool:
    """ASCII letters, digits, punctuation and spaces written full-width (NFKC folds them back)."""
    changed = False
    table = str.maketrans(_TO_FULLWIDTH)
    for slot in text_slots(container):
        value = _get(slot)
        new = value.translate(table)
        if new != value:
            _set(slot, new)
            changed = True
    return changed


# -- metadata re-wrapped --

def parse_info_fields(text: str) -> list[tuple[str, str]] | None:
    """(label, value) pairs of an info line, or None when it holds text we cannot place."""
    text = " ".join(text.split())
    matches = list(_INFO_LABEL_RE.finditer(text))
    if not matches:
        return None
    fields: list[tuple[str, str]] = []
    lead = text[:matches[0].start()].strip(" |｜\u3000")
    if lead:
        if not _DATE_RE.fullmatch(lead.split(" ")[0]) or len(lead) > 25:
            return None
        fields.append(("", lead))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end].strip(" |｜\u3000").strip()
        fields.append((m.group(1) + "：", value))
    return fields


def _rewrap(style: str):
    def apply(prep: Prepared, rng: random.Random) -> Result:
        if prep.info is None:
            return "no info line with 来源/发布时间 labels"
        root, _, info = prep.copy()
        fields = parse_info_fields(info.text_content())
        if not fields or not any(not label or label[:-1] in _SOURCE_DATE_LABELS for label, _ in fields):
            return "info line has no source or date field"
        tail = info.tail
        for child in list(info):
            info.remove(child)
        info.text = None
        if style == "spans":
            for label, value in fields:
                info.append(_fragment(f"<span>{label}{value}</span>"))
        elif style == "cells":
            cells = "".join(f"<td>{label}</td><td>{value}</td>" if label else f"<td>{value}</td>"
                            for label, value in fields)
            table = _fragment(f'<table class="info"><tr>{cells}</tr></table>')
            if info.tag in ("p", "span", "font", "a", "b", "strong", "em", "h1", "h2", "h3", "h4"):
                info.addnext(table)
                table.tail = tail
                info.getparent().remove(info)
            else:
                info.append(table)
        else:
            info.text = "\u3000\u3000".join(f"{label}{value}" for label, value in fields)
        return None, root

    return apply


# -- links around the notice --

def _page_rng(prep: Prepared) -> random.Random:
    """Link boxes drawn per page, so that "added" and the base of "rotated" are the same page
    (one extraction, cached) and differ only in what the transformation changes."""
    return random.Random(zlib.crc32(prep.page.id.encode()))


def t_related_added(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    root, container, _ = prep.copy()
    insert_after(container, link_list(headlines(_page_rng(prep), 5), 100, "相关阅读", "related"))
    return None, root


def t_related_rotated(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    items = headlines(_page_rng(prep), 8)
    trees = []
    for shown, heading in ((items[:5], "相关阅读"), (items[3:8][::-1], "相关链接")):
        root, container, _ = prep.copy()
        insert_after(container, link_list(shown, 100 + len(trees) * 3, heading, "related"))
        trees.append(root)
    return trees[0], trees[1]


def _sidebar_anchor(container: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    parent = container.getparent()
    if parent is None or parent.tag in ("body", "html"):
        return container
    while parent.getparent() is not None and parent.tag in _TABLE_PARTS | {"td", "th"}:
        parent = parent.getparent()
    return parent if parent.tag not in ("body", "html") else container


def t_sidebar_added(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    root, container, _ = prep.copy()
    _sidebar_anchor(container).addnext(_fragment(link_list(headlines(_page_rng(prep), 30), 500, "热点推荐",
                                                           "sidebar")))
    return None, root


def t_sidebar_rotated(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    items = headlines(_page_rng(prep), 37)
    trees = []
    for shown in (items[:30], items[7:]):
        root, container, _ = prep.copy()
        _sidebar_anchor(container).addnext(_fragment(link_list(shown, 500 + len(trees) * 7, "热点推荐",
                                                               "sidebar")))
        trees.append(root)
    return trees[0], trees[1]


# -- the article in another template family's frame --
# The frames move the smallest element that holds (nearly) all of the notice, not the 80%
# container: a frame around part of the notice would be an edit, not a new template.

_NAV = "".join(f'<li><a href="/{slug}/">{name}</a></li>' for slug, name in (
    ("", "首页"), ("zwgk", "政务公开"), ("xwzx", "新闻中心"), ("zwfw", "政务服务"), ("hdjl", "互动交流"),
    ("zjxx", "走进本地")))
_FOOTER = ('<p>主办单位：某某省人民政府办公厅 承办单位：某某省大数据中心</p>'
           '<p>网站标识码：4300000001 某ICP备05001234号 某公网安备 43010202000123号</p>'
           '<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/sy/">使用帮助</a></p>')

FRAMES = {
    "trs": """<html><head><meta charset="{charset}"><title>{title}_某某省人民政府门户网站</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{pubdate}">
<meta name="ContentSource" content="{source}"></head><body>
<div class="header"><div class="top">某某省人民政府门户网站 <a href="/big5/">繁體</a> <a href="/">无障碍</a></div>
<div class="logo"><a href="/"><img src="/images/logo.png" alt="某某省人民政府"></a></div>
<div class="search"><form action="/search"><input name="q"><button>搜索</button></form></div>
<ul class="nav">{nav}</ul></div>
<div class="main"><div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/xwzx/">新闻中心</a> &gt;
<a href="/xwzx/zwdt/">政务动态</a></div>
<div class="article"><div class="article-title">{h1}</div>{info}<div class="article-con">{article}</div>
{attachments}</div></div>
<div class="footer">{footer}</div></body></html>""",
    "hanweb": """<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}</title></head><body>
<table width="1000" align="center" class="top"><tr><td><img src="/picture/0/banner.jpg"></td></tr>
<tr><td class="nav"><ul>{nav}</ul></td></tr></table>
<table width="1000" align="center"><tr>
<td width="240" valign="top" class="left"><div class="lm"><h3>政务动态</h3><ul><li><a href="/col/col1/">工作动态</a></li>
<li><a href="/col/col2/">通知公告</a></li><li><a href="/col/col3/">部门信息</a></li><li><a href="/col/col4/">市县动态</a></li>
</ul></div></td>
<td width="760" valign="top"><table width="100%" class="article"><tr><td class="title" align="center">{h1}</td></tr>
<tr><td class="info" align="center">{info}</td></tr>
<tr><td class="bt_content" id="zoom">{article}{attachments}</td></tr></table></td></tr></table>
<table width="1000" align="center" class="bottom"><tr><td>{footer}</td></tr></table></body></html>""",
    "govcn": """<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_中国政府网</title>
<meta name="keywords" content="{title}"><meta name="description" content="{title}"></head><body>
<div class="header"><div class="header_top"><a href="/">中国政府网</a> <a href="/english/">English</a></div>
<div class="nav">{nav}</div></div>
<div class="BreadcrumbNav"><a href="/">首页</a> &gt; <a href="/zhengce/">政策</a> &gt; 最新</div>
<div class="article oneColumn pub_border"><h1>{h1}</h1>
<div class="pages-date">{info}</div>
<div class="pages_content" id="UCAP-CONTENT">{article}</div>{attachments}
<div class="share"><a href="#">分享</a></div></div>
<div class="footer">{footer}</div></body></html>""",
}


def _display_time(published: str | None) -> str:
    if not published:
        return ""
    return published[:16].replace("T", " ")


def _frame_info(frame: str, article: Article) -> str:
    when, source = _display_time(article.published), article.source
    if frame == "trs":
        parts = ([f"<span>发布时间：{when}</span>"] if when else []) + (
            [f"<span>来源：{source}</span>"] if source else [])
        return f'<div class="article-info">{" ".join(parts)}</div>' if parts else ""
    if frame == "hanweb":
        parts = ([f"信息来源：{source}"] if source else []) + ([f"发布日期：{when}"] if when else [])
        return "\u3000\u3000".join(parts)
    return (when + (f' <span class="font">来源：{source}</span>' if source else "")).strip()


def _disclosure_table(article: Article, container_text: str) -> str:
    rows = [(label, value) for label, value in (("索引号", article.index_number), ("发布机关", article.issuer),
                                                ("文号", article.doc_number))
            if value and label not in container_text]
    if not rows:
        return ""
    cells = "".join(f"<tr><td>{label}：</td><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="xxgk">{cells}</table>'


def _frame(name: str):
    def apply(prep: Prepared, rng: random.Random) -> Result:
        if prep.container is None:
            return "no article container found"
        if not prep.title:
            return "base extraction has no title to put in the frame"
        if prep.whole is None:
            return "no element holds the whole notice"
        root, _, info = prep.copy()
        moved = copy.deepcopy(_at(root, prep.whole))
        moved.tail = None
        if moved.tag in ("td", "th", "li", "dd", "dt", "p", "span", "font", "center"):
            moved.tag = "div"
        elif moved.tag in ("tr", "tbody", "thead"):
            wrapper = _fragment("<table></table>")
            wrapper.append(moved)
            moved = wrapper
        container_text = compact(moved.text_content())
        base = prep.base
        title_inside = compact(prep.title) in container_text
        info_inside = info is not None and compact(info.text_content()) in container_text
        present = {a.get("href") for a in moved.iter("a")}
        links = [a for a in base.attachments if a.url not in present
                 and not any(h and a.url.endswith(h.lstrip("./")) for h in present)]
        attachments = ('<div class="fj">附件：' + "".join(f'<p><a href="{a.url}">{a.text}</a></p>' for a in links)
                       + "</div>") if links else ""
        frame_html = FRAMES[name].format(
            charset="gb2312" if prep.page.encoding.lower() in _GB_ENCODINGS else "utf-8",
            title=_escape(prep.title), h1="" if title_inside else _escape(prep.title),
            pubdate=_display_time(base.published), source=_escape(base.source or ""),
            info=_disclosure_table(base, container_text) + ("" if info_inside else _frame_info(name, base)),
            nav=_NAV, footer=_FOOTER, article='<div id="__article__"></div>', attachments=attachments)
        frame = parse(frame_html)
        slot = frame.get_element_by_id("__article__")
        slot.addnext(moved)
        slot.getparent().remove(slot)
        return None, frame

    return apply


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# -- Traditional characters and pinyin (issue 14) --

_S2T = None


def _s2t(text: str) -> str:
    global _S2T
    if _S2T is None:
        from opencc import OpenCC

        _S2T = OpenCC("s2t")
    return _S2T.convert(text)


def t_traditional(prep: Prepared, rng: random.Random) -> Result:
    root = copy.deepcopy(prep.root)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and el.tag not in ("script", "style"):
            el.text = _s2t(el.text)
        if el.tail:
            el.tail = _s2t(el.tail)
        if el.tag == "meta" and el.get("content") and el.get("http-equiv") is None:
            el.set("content", _s2t(el.get("content")))
    return None, root


# Tone-marked readings of common characters, as mirror sites print them: 國務(wù)院, 會(huì).
PINYIN = {"务": "wù", "会": "huì", "国": "guó", "发": "fā", "政": "zhèng", "府": "fǔ", "工": "gōng",
          "作": "zuò", "业": "yè", "经": "jīng", "济": "jì", "展": "zhǎn", "市": "shì", "省": "shěng",
          "部": "bù", "全": "quán", "关": "guān", "人": "rén", "民": "mín", "年": "nián"}


def t_pinyin(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    root, container, _ = prep.copy()
    budget = 15
    for slot in text_slots(container):
        if budget <= 0:
            break
        out = []
        for ch in _get(slot):
            out.append(ch)
            if ch in PINYIN and budget > 0 and rng.random() < 0.5:
                out.append(f"({PINYIN[ch]})")
                budget -= 1
        _set(slot, "".join(out))
    if budget == 15:
        return "no annotated character in the body"
    return None, root


# -- sensitive: real edits --

def t_number_changed(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    root, container, _ = prep.copy()
    choices = [(slot, m) for slot in _body_slots(prep, container) for m in re.finditer(r"\d+", _get(slot))]
    if not choices:
        return "no number in the extracted body"
    slot, m = rng.choice(choices)
    digits = m.group()
    new = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    value = _get(slot)
    _set(slot, value[:m.start()] + new + value[m.end():])
    return None, root


_SENTENCE = re.compile(r"[^。！？!?；;]*[。！？!?；;]")


def t_sentence_deleted(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"
    root, container, _ = prep.copy()
    choices = [(slot, m) for slot in _body_slots(prep, container) for m in _SENTENCE.finditer(_get(slot))
               if len(re.findall(r"[\u4e00-\u9fff]", m.group())) >= 6]
    if not choices:
        return "no sentence in the extracted body"
    slot, m = rng.choice(choices)
    value = _get(slot)
    _set(slot, value[:m.start()] + value[m.end():])
    return None, root


def t_title_changed(prep: Prepared, rng: random.Random) -> Result:
    title = prep.page.truth.get("title") or prep.title
    if not title or len(title) < 4:
        return "no title known"
    half = len(title) // 2
    new = title[:half] + "调整" + title[half:]
    root = copy.deepcopy(prep.root)
    replaced = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and title in value:
                setattr(el, attr, value.replace(title, new))
                replaced += 1
        if el.tag == "meta" and title in (el.get("content") or ""):
            el.set("content", el.get("content").replace(title, new))
    if not replaced:
        return "title not written verbatim in the page"
    return None, root


_OTHER_SOURCES = ("新华社", "人民日报")


def t_source_changed(prep: Prepared, rng: random.Random) -> Result:
    source = prep.page.truth.get("source")
    if not source:
        return "source not known"
    new = _OTHER_SOURCES[1] if _OTHER_SOURCES[0] in source else _OTHER_SOURCES[0]
    root = copy.deepcopy(prep.root)
    replaced = 0
    for slot in text_slots(root.find("body") if root.find("body") is not None else root):
        value = _get(slot)
        if source in value:
            _set(slot, value.replace(source, new))
            replaced += 1
    if not replaced:
        return "source not shown verbatim in one text node"
    for el in root.iter("meta"):
        if source in (el.get("content") or ""):
            el.set("content", el.get("content").replace(source, new))
    return None, root


def _shift_day(day: int) -> int:
    return day + 1 if day < 28 else day - 1


def t_date_changed(prep: Prepared, rng: random.Random) -> Result:
    published = prep.page.truth.get("published")
    if not published:
        return "published date not known"
    y, m, d = (int(part) for part in published[:10].split("-"))

    def shift(text: str) -> tuple[str, int]:
        count = 0

        def ymd(match):
            nonlocal count
            if (int(match.group(1)), int(match.group(3)), int(match.group(5))) != (y, m, d):
                return match.group()
            count += 1
            day = str(_shift_day(d)).zfill(len(match.group(5)))
            return match.group(1) + match.group(2) + match.group(3) + match.group(4) + day

        def mdy(match):
            nonlocal count
            if (int(match.group(3)), int(match.group(1)), int(match.group(2))) != (y, m, d):
                return match.group()
            count += 1
            return f"{match.group(1)}/{_shift_day(d)}/{match.group(3)}"

        text = _DATE_RE.sub(ymd, text)
        return _MDY_RE.sub(mdy, text), count

    root = copy.deepcopy(prep.root)
    shown = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            # Date lines and info bars, not sentences of the body that mention the day.
            if value and len(compact(value)) <= 60:
                new, count = shift(value)
                if count:
                    setattr(el, attr, new)
                    shown += count
        if el.tag == "meta" and el.get("content"):
            el.set("content", shift(el.get("content"))[0])
    if not shown:
        return "published date not shown in a date line"
    return None, root


def t_attachment_replaced(prep: Prepared, rng: random.Random) -> Result:
    if prep.container is None:
        return "no article container found"

    def change(root, container, info, href):
        host = _host(container)
        tag = "p" if host.tag in _BLOCK_HOSTS else "span"
        host.append(_fragment(f'<{tag}><a href="{href}">附件1：2024年度项目资金分配表.pdf</a></{tag}>'))

    return _pair(prep, change, "/files/a.pdf", "/files/b.pdf")


TRANSFORMATIONS: tuple[Transformation, ...] = (
    Transformation("counter", INVARIANT, t_counter, "浏览次数：N in the info line, N changed"),
    Transformation("date_widget", INVARIANT, t_date_widget, "今天是…星期… in the header, day changed"),
    Transformation("buttons_in:added", INVARIANT, _widget(True, None, _BUTTONS_LONG),
                   "【打印本页】【关闭窗口】 added at the end of the container"),
    Transformation("buttons_in:short", INVARIANT, _widget(True, _BUTTONS_LONG, _BUTTON_VARIANTS["short"]),
                   "【打印本页】【关闭窗口】 -> 【打印】【关闭】 inside the container"),
    Transformation("buttons_in:ascii", INVARIANT, _widget(True, _BUTTONS_LONG, _BUTTON_VARIANTS["ascii"]),
                   "【打印本页】【关闭窗口】 -> [打印] [关闭] inside the container"),
    Transformation("font_in", INVARIANT, _widget(True, None, _FONT, at_start=True),
                   "【字体：大 中 小】 added at the start of the container"),
    Transformation("share_in", INVARIANT, _widget(True, None, _SHARE), "分享到：微信 微博 added inside"),
    Transformation("buttons_out:added", INVARIANT, _widget(False, None, _BUTTONS_LONG),
                   "【打印本页】【关闭窗口】 added after the container"),
    Transformation("buttons_out:short", INVARIANT, _widget(False, _BUTTONS_LONG, _BUTTON_VARIANTS["short"]),
                   "-> 【打印】【关闭】 after the container"),
    Transformation("buttons_out:ascii", INVARIANT, _widget(False, _BUTTONS_LONG, _BUTTON_VARIANTS["ascii"]),
                   "-> [打印] [关闭] after the container"),
    Transformation("font_out", INVARIANT, _widget(False, None, _FONT), "【字体：大 中 小】 after the container"),
    Transformation("share_out", INVARIANT, _widget(False, None, _SHARE), "分享到：微信 微博 after the container"),
    Transformation("whitespace", INVARIANT, _body_edit(e_whitespace, "no block in the container"),
                   "source re-indented, doubled spaces"),
    Transformation("nbsp_indent", INVARIANT, _body_edit(e_nbsp_indent, "no paragraph start"),
                   "&nbsp;x4 at each paragraph start"),
    Transformation("fullwidth_indent", INVARIANT, _body_edit(e_fullwidth_indent, "no paragraph start"),
                   "U+3000x2 at each paragraph start"),
    Transformation("fullwidth_chars", INVARIANT, _body_edit(e_fullwidth_chars, "no ASCII in the body"),
                   "ASCII letters/digits/punctuation in the body written full-width"),
    Transformation("info:spans", INVARIANT, _rewrap("spans"), "info line as one span per field, no separator"),
    Transformation("info:cells", INVARIANT, _rewrap("cells"), "info line as table cells (label | value)"),
    Transformation("info:plain", INVARIANT, _rewrap("plain"), "info line as plain text, U+3000 separated"),
    Transformation("related:added", INVARIANT, t_related_added, "相关阅读 box after the container"),
    Transformation("related:rotated", INVARIANT, t_related_rotated, "相关阅读 -> 相关链接, items rotated/replaced"),
    Transformation("sidebar:added", INVARIANT, t_sidebar_added, "sidebar of 30 links"),
    Transformation("sidebar:rotated", INVARIANT, t_sidebar_rotated, "sidebar items rotated by 7"),
    Transformation("frame:trs", INVARIANT, _frame("trs"), "container + title in a TRS-like frame"),
    Transformation("frame:hanweb", INVARIANT, _frame("hanweb"), "container + title in a Hanweb-like table frame"),
    Transformation("frame:govcn", INVARIANT, _frame("govcn"), "container + title in a gov.cn-like frame"),
    Transformation("traditional", SCRIPT, t_traditional, "whole page converted with OpenCC s2t"),
    Transformation("pinyin", SCRIPT, t_pinyin, "pinyin after some body characters: 务(wù)"),
    Transformation("number_changed", SENSITIVE, t_number_changed, "one number of the body changed"),
    Transformation("sentence_deleted", SENSITIVE, t_sentence_deleted, "one sentence of the body deleted"),
    Transformation("title_changed", SENSITIVE, t_title_changed, "title changed in <title>, h1 and meta"),
    Transformation("source_changed", SENSITIVE, t_source_changed, "truth source replaced where shown"),
    Transformation("date_changed", SENSITIVE, t_date_changed, "truth date shifted by a day where shown"),
    Transformation("attachment_replaced", SENSITIVE, t_attachment_replaced, "attachment link href replaced"),
)


# --- running and comparing -------------------------------------------------------------------

@dataclass
class Outcome:
    page: str
    transformation: str
    kind: str
    applicable: bool
    changed: bool = False
    fields: list[str] = field(default_factory=list)
    detail: str = ""  # why not applicable, or a short diff

    @property
    def passed(self) -> bool:
        return self.applicable and (self.changed if self.kind == SENSITIVE else not self.changed)


def _stored(content: VersionContent) -> StoredVersion:
    return StoredVersion(id=0, page_id=0, url="", number=1, created_at="", capture_id=None,
                         fingerprint=content.fingerprint, text=content.text, title=content.title,
                         published=content.published, source=content.source, editor=content.editor,
                         author=content.author, doc_number=content.doc_number,
                         index_number=content.index_number, issuer=content.issuer,
                         attachments=content.attachments, extractor=content.extractor, reextracted=False)


def short_diff(before: VersionContent, after: VersionContent, names: list[str], width: int = 160) -> str:
    parts = []
    for name in names:
        if name == "text":
            old, new = normalize_text(before.text).split("\n"), normalize_text(after.text).split("\n")
            lines = [line for line in difflib.unified_diff(old, new, lineterm="", n=0)
                     if line[:1] in "+-" and not line.startswith(("+++", "---"))]
            shown = " / ".join(line[:70] for line in lines[:4])
            parts.append(f"text({len(lines)} lines): {shown}"[:width])
        else:
            fields_before = compared_fields(before.title, before.published, before.source, before.doc_number,
                                            before.index_number, before.issuer, before.attachments)
            fields_after = compared_fields(after.title, after.published, after.source, after.doc_number,
                                           after.index_number, after.issuer, after.attachments)
            parts.append(f"{name}: {fields_before[name]!r} -> {fields_after[name]!r}"[:width])
    return "; ".join(parts)


def rng_for(page: CorpusPage, transformation: Transformation) -> random.Random:
    """The seeded generator of one (page, transformation) pair."""
    return random.Random(zlib.crc32(f"{page.id}:{transformation.name}".encode()))


def run_page(prep: Prepared, transformations: Iterable[Transformation] = TRANSFORMATIONS) -> list[Outcome]:
    """Every transformation on one page, compared with the round-tripped page (or its own base)."""
    page = prep.page
    cache: dict[bytes, VersionContent] = {encode(page, serialise(prep.root)): version_content(prep.base)}

    def content(tree: lxml.html.HtmlElement | None) -> VersionContent:
        raw = encode(page, serialise(prep.root if tree is None else tree))
        if raw not in cache:
            cache[raw] = version_content(extract_article(raw, page.url))
        return cache[raw]

    outcomes = []
    for t in transformations:
        rng = rng_for(page, t)
        try:
            result = t.apply(prep, rng)
        except Exception as exc:  # noqa: BLE001 - a transformation bug must show, not stop the run
            outcomes.append(Outcome(page.id, t.name, t.kind, False, detail=f"transformation failed: {exc!r}"))
            continue
        if isinstance(result, str):
            outcomes.append(Outcome(page.id, t.name, t.kind, False, detail=result))
            continue
        before, after = content(result[0]), content(result[1])
        outcomes.append(compare(page, t.name, t.kind, before, after))
    return outcomes


def compare(page: CorpusPage, name: str, kind: str, before: VersionContent, after: VersionContent) -> Outcome:
    changed = before.fingerprint != after.fingerprint
    names = changed_fields(_stored(before), after) if changed else []
    outcome = Outcome(page.id, name, kind, True, changed, names)
    if changed:
        outcome.detail = short_diff(before, after, names)
        if "text" in names:
            outcome.detail = f"{truth_note(page, before, after)} | {outcome.detail}"
    return outcome


def truth_note(page: CorpusPage, before: VersionContent, after: VersionContent) -> str:
    """Whether the body lines that came or went are notice text (in the truth body) or not."""
    truth = compact(normalize_text(page.truth.get("body") or ""))
    old = set(normalize_text(before.text).split("\n"))
    new = set(normalize_text(after.text).split("\n"))

    def split(lines: set[str]) -> tuple[int, int]:
        inside = sum(len(compact(line)) for line in lines if compact(line) and compact(line) in truth)
        return inside, sum(len(compact(line)) for line in lines) - inside

    lost_notice, lost_other = split(old - new)
    gained_notice, gained_other = split(new - old)
    return (f"lost {lost_notice} notice + {lost_other} other chars, "
            f"gained {gained_notice} notice + {gained_other} other chars")


def _run_one(args: tuple[CorpusPage, tuple[str, ...]]) -> list[Outcome]:
    page, names = args
    prep = prepare(page)
    return [roundtrip_outcome(prep), *run_page(prep, [t for t in TRANSFORMATIONS if t.name in names])]


def run_suite(pages: list[CorpusPage], transformations: tuple[Transformation, ...] = TRANSFORMATIONS,
              processes: int = 2) -> list[Outcome]:
    """All pages x transformations (plus each page's round trip), pages spread over processes."""
    names = tuple(t.name for t in transformations)  # closures do not pickle; workers look them up
    jobs = [(page, names) for page in pages]
    if processes <= 1:
        return [o for job in jobs for o in _run_one(job)]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return [o for found in pool.imap(_run_one, jobs) for o in found]


def roundtrip_outcome(prep: Prepared) -> Outcome:
    """The page as served vs re-serialised by lxml: what every other comparison starts from."""
    original = version_content(extract_article(prep.page.raw, prep.page.url))
    return compare(prep.page, "roundtrip", INVARIANT, original, version_content(prep.base))


@dataclass
class Row:
    name: str
    kind: str
    applicable: int
    passed: int
    not_applicable: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.applicable if self.applicable else None


def summarise(outcomes: list[Outcome]) -> list[Row]:
    rows: dict[str, Row] = {}
    for o in outcomes:
        row = rows.setdefault(o.transformation, Row(o.transformation, o.kind, 0, 0, 0))
        if o.applicable:
            row.applicable += 1
            row.passed += o.passed
        else:
            row.not_applicable += 1
    return list(rows.values())


def overall(outcomes: list[Outcome], kind: str) -> float | None:
    chosen = [o for o in outcomes if o.kind == kind and o.applicable]
    return sum(o.passed for o in chosen) / len(chosen) if chosen else None
