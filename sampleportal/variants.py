"""Ways a template may print the same notice: widgets, info-bar markup, whitespace, script.

A real portal's pages differ from week to week in things that are not the notice: which
print/close widget the template carries and whether it sits inside the body container, how
the 发布时间/来源 info bar is marked up, how paragraphs are indented, whether the page is the
繁體 version. A :class:`Variant` fixes one choice of each; rendering the same notice under two
variants must give a monitor the same notice.

The words here are the sample portal's own, chosen from what portal templates commonly print
and deliberately not shared with the monitor's vocabulary: the portal has to be written
independently of the normaliser it tests, or a word both forget would never be noticed.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields, replace
from functools import cache, lru_cache

from sampleportal.furniture import esc

# --- knob values ----------------------------------------------------------------------------
# Print/close widget groups, as templates print them.
WIDGETS: dict[str, str] = {
    "full": '【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】',
    "short": '【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭</a>】',
    "bar": '<a href="javascript:window.print()">打印</a> | <a href="javascript:window.close()">关闭</a>',
    "square": '[<a href="javascript:window.print()">打印此页</a>] [<a href="javascript:self.close()">关闭</a>]',
    "none": "",
}
# Font-size widgets.
FONTS: dict[str, str] = {
    "zoom": ('【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> '
             '<a href="javascript:doZoom(14)">小</a>】'),
    "size": ('字号：<a href="javascript:setSize(18)">T</a>|<a href="javascript:setSize(16)">T</a>|'
             '<a href="javascript:setSize(14)">T</a>'),
    "none": "",
}
# Visit-counter labels (the number changes on every request).
COUNTERS = ("浏览次数：{n}", "访问量：{n}", "阅读数：{n}", "【浏览：{n}次】")
# How the info bar (发布时间, 来源, ...) is marked up.
INFO_STYLES = ("own", "spans", "table", "spaces", "br")
# How body paragraphs are indented / spelled.
WHITESPACE = ("plain", "nbsp", "ideographic", "fullwidth", "wrapped")
# Which script the whole page is served in.
SCRIPTS = ("simplified", "traditional", "pinyin")

# Labels per field; a variant picks one set, families print the set they are given.
LABEL_SETS: tuple[dict[str, str], ...] = (
    {"published": "发布时间", "source": "来源", "editor": "责任编辑", "doc_number": "文号",
     "index_number": "索引号", "issuer": "发布机关", "written": "成文日期"},
    {"published": "发布日期", "source": "信息来源", "editor": "责任编辑", "doc_number": "发文字号",
     "index_number": "索引号", "issuer": "发文机关", "written": "成文日期"},
    {"published": "时间", "source": "文章来源", "editor": "编辑", "doc_number": "文号",
     "index_number": "索 引 号", "issuer": "发布机构", "written": "成文时间"},
)


@dataclass(frozen=True, slots=True)
class Variant:
    """One choice of everything a template may vary without touching the notice."""

    widgets: str = "full"  # key of WIDGETS
    font: str = "zoom"  # key of FONTS
    inside: bool = False  # widgets and counter inside the body container
    info: str = "own"  # one of INFO_STYLES ("own": the family's usual markup)
    whitespace: str = "plain"  # one of WHITESPACE
    counter: int = 0  # index into COUNTERS
    labels: int = 0  # index into LABEL_SETS
    colon: str = "："  # after labels: full-width or ASCII

    def __post_init__(self) -> None:
        checks = (("widgets", self.widgets, WIDGETS), ("font", self.font, FONTS),
                  ("info", self.info, INFO_STYLES), ("whitespace", self.whitespace, WHITESPACE))
        for name, value, allowed in checks:
            if value not in allowed:
                raise ValueError(f"variant {name} must be one of {', '.join(allowed)}, not {value!r}")

    @property
    def label(self) -> dict[str, str]:
        return LABEL_SETS[self.labels % len(LABEL_SETS)]


DEFAULT = Variant()
# Named variants tests and benchmarks iterate over: each knob value appears at least once.
NAMED: dict[str, Variant] = {
    "plain": DEFAULT,
    "short-widgets-inside": Variant(widgets="short", inside=True, counter=1),
    "bar-widgets": Variant(widgets="bar", font="size", counter=2, labels=1),
    "square-widgets-inside": Variant(widgets="square", font="size", inside=True, counter=3, labels=2),
    "spans": Variant(info="spans", labels=1),
    "table-cells": Variant(info="table", widgets="short", labels=1),
    "fullwidth-spaces": Variant(info="spaces", widgets="bar", colon=":"),
    "br": Variant(info="br", font="none", labels=2),
    "nbsp": Variant(whitespace="nbsp", info="spaces"),
    "ideographic-indent": Variant(whitespace="ideographic", widgets="square"),
    "fullwidth-digits": Variant(whitespace="fullwidth", inside=True),
    "wrapped-lines": Variant(whitespace="wrapped", widgets="none", font="none"),
}


def rotating(docid: int, generation: int, pool: tuple[str, ...] = ()) -> Variant:
    """A variant picked from the notice id and churn generation (among ``pool``, default all
    NAMED): the page is re-wrapped every round."""
    digest = hashlib.blake2b(f"{docid}:{generation}".encode(), digest_size=8).digest()
    names = pool or tuple(NAMED)
    return NAMED[names[digest[0] % len(names)]]


def parse_variant(spec: str) -> Variant:
    """``plain`` / a NAMED key, or ``key=value,key=value`` over Variant's fields."""
    if spec in NAMED:
        return NAMED[spec]
    known = {f.name: f.type for f in fields(Variant)}
    values: dict[str, object] = {}
    for part in filter(None, spec.split(",")):
        key, _, value = part.partition("=")
        if key not in known:
            raise ValueError(f"unknown variant field {key!r}; fields are {', '.join(known)}")
        values[key] = value in ("1", "true", "yes") if key == "inside" else int(value) if key in ("counter", "labels") else value
    return replace(DEFAULT, **values)


# --- pieces ---------------------------------------------------------------------------------
def widgets_html(variant: Variant) -> str:
    """Font and print/close widgets as one run of markup."""
    return " ".join(p for p in (FONTS[variant.font], WIDGETS[variant.widgets]) if p)


def counter_html(variant: Variant, visits: int) -> str:
    text = COUNTERS[variant.counter % len(COUNTERS)]
    return '<span class="count">' + text.replace("{n}", f'<span id="hits">{visits}</span>') + "</span>"


def info_html(pairs: list[tuple[str, str]], variant: Variant, own: str, *, extra: str = "") -> str:
    """The info bar: ``pairs`` of (field key, value) under the variant's labels and markup.

    ``own`` names the family's usual markup for ``info="own"`` (any of the other styles, or
    ``"ascii"``: ASCII spaces between fields). ``extra`` (counter, widgets) follows the fields.
    """
    style = own if variant.info == "own" else variant.info
    lab, colon = variant.label, variant.colon
    items = [(lab[key] + colon, esc(value)) for key, value in pairs if value]
    if style == "spans":
        inner = "".join(f"<span>{k}{v}</span>" for k, v in items)
    elif style == "table":
        cells = "".join(f'<td class="lbl">{k}</td><td>{v}</td>' for k, v in items)
        return f'<table class="info-table"><tr>{cells}</tr></table>' + (f'<div class="info-tools">{extra}</div>' if extra else "")
    elif style == "spaces":
        inner = "\u3000\u3000".join(f"{k}{v}" for k, v in items)
        extra = ("\u3000\u3000" + extra) if extra else ""
    elif style == "br":
        inner = "<br>\n".join(f"{k}{v}" for k, v in items)
        extra = ("<br>\n" + extra) if extra else ""
    elif style == "em":
        inner = " ".join(f"<em>{k}</em><em>{v}</em>" for k, v in items)
    else:  # ascii
        inner = " ".join(f"{k}{v}" for k, v in items)
    if variant.whitespace == "nbsp":
        inner = inner.replace("\u3000\u3000", "&nbsp;&nbsp;&nbsp;")
    return f"{inner} {extra}".rstrip()


FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
SECTION_MARKS = ("一、", "二、", "三、", "四、", "五、")


def hard_wrap(text: str, width: int = 28) -> str:
    """Source line breaks about every ``width`` characters, only between two CJK characters:
    there a browser shows nothing (CSS Text segment-break rules), while a break inside
    ``70.3%`` would show as a space and so be a visible change."""
    out, run = [], 0
    for k, ch in enumerate(text):
        out.append(ch)
        run += 1
        nxt = text[k + 1] if k + 1 < len(text) else ""
        if run >= width and not ch.isascii() and nxt and not nxt.isascii():
            out.append("\n")
            run = 0
    return "".join(out)


def paragraph_html(text: str, variant: Variant) -> str:
    """One body paragraph under the variant's whitespace rule (same text once folded)."""
    body = esc(text)
    ws = variant.whitespace
    if ws == "fullwidth":
        body = body.translate(FULLWIDTH_DIGITS)
    elif ws == "wrapped":  # the CMS editor saved hard line breaks about every 28 characters
        body = hard_wrap(body)
    heading = text[:2] in SECTION_MARKS and len(text) < 30
    if heading:
        body = f"<strong>{body}</strong>"
    if ws == "nbsp":
        return f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{body}</p>"
    if ws == "ideographic":
        return f"<p>\u3000\u3000{body}</p>"
    return f'<p style="text-indent: 2em;">{body}</p>'


def paragraphs_html(paragraphs: list[str], variant: Variant) -> str:
    return "\n".join(paragraph_html(p, variant) for p in paragraphs)


# --- script ---------------------------------------------------------------------------------
# Where a Traditional page words its widgets the Taiwan/HK way (列印, not 打印).
TRADITIONAL_WIDGET_WORDS = (("打印", "列印"),)
# Pinyin a mirror inserts after some characters (in Traditional form, as mirrors show them).
PINYIN = {"務": "wù", "會": "huì", "國": "guó", "發": "fā", "區": "qū", "點": "diǎn", "業": "yè", "實": "shí"}
PINYIN_RE = re.compile("[" + "".join(PINYIN) + "]")
TEXT_NODE_RE = re.compile(r">([^<>]+)<")


@cache
def _converter():
    from opencc import OpenCC

    return OpenCC("s2t")


@lru_cache(maxsize=65536)
def _traditional_line(line: str) -> str:
    if line.isascii():
        return line
    out = _converter().convert(line)
    for simplified, traditional in TRADITIONAL_WIDGET_WORDS:
        out = out.replace(simplified, traditional)
    return out


def to_traditional(page: str) -> str:
    """The page as a 繁體 version serves it: every character converted, widgets reworded.

    Converted line by line with a cache: the pure-Python OpenCC takes ~50 ms for a whole
    page, and nav, footer, sidebar and body lines repeat from page to page and round to round.
    """
    return "\n".join(_traditional_line(line) for line in page.split("\n"))


def with_pinyin(page: str) -> str:
    """Traditional page with ``(pinyin)`` after some characters in the body's text nodes."""
    head, marker, body = page.partition("<body")
    if not marker:
        return page

    def annotate(m: re.Match) -> str:
        text = m.group(1)
        if text.lstrip().startswith(("function", "var ", "{")):  # script text
            return m.group(0)
        return ">" + PINYIN_RE.sub(lambda c: f"{c.group(0)}({PINYIN[c.group(0)]})", text) + "<"

    return head + marker + TEXT_NODE_RE.sub(annotate, body)


def convert_script(page: str, script: str) -> str:
    if script == "simplified":
        return page
    if script == "traditional":
        return to_traditional(page)
    if script == "pinyin":
        return with_pinyin(to_traditional(page))
    raise ValueError(f"script must be one of {', '.join(SCRIPTS)}, not {script!r}")
