"""Page furniture of Chinese portals: patterns, built from :mod:`monitor.vocabulary`, that
mark text which is not the notice.

One set of patterns serves the extractor's line filter (:mod:`monitor.extraction.clean`) and
the comparison form (:mod:`monitor.normalize`), so a widget one of them knows is never kept
by the other. Widgets are matched by *shape* — a bracketed group whose content is only
widget words, a counter label with its number, a line of nothing but buttons — and removed
whole, brackets included: ``【打印本页】【关闭窗口】`` and ``【打印】【关闭】`` both vanish
without leaving ``【】【】`` behind, while 请打印后关闭电源。 stays a sentence.

Every pattern runs on the line folded to Simplified (same length, see
:mod:`storage.textfold`) and cuts the same spans out of the line as published, so
Traditional pages (``【列印】【關閉】``, ``瀏覽次數``) need no second list.
"""
from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from monitor import vocabulary as V
from storage.textfold import PINYIN_ANNOTATION, script_folded, simplified_table

# Tags whose content a reader never sees as article text.
INVISIBLE_TAGS = (
    "script", "style", "noscript", "iframe", "object", "embed", "select", "option",
    "button", "textarea", "input", "template", "svg", "canvas", "map",
)


# Stands in for a pinyin annotation in folded text (U+2064, invisible; never in real text).
ANNOTATION_FILL = "\u2064"


def alternation(words) -> str:
    """A regex alternation of ``words``, longest first (so 打印本页 wins over 打印)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


OPEN = r"[【\[［〔〖『「]"
CLOSE = r"[】\]］〕〗』」]"
SEPARATOR = r"[\s|｜/·•,，、:：()（）\[\]【】［］〔〕〖〗『』「」\-]"
_COLON = r"\s*[:：]\s*"
_NOT_AFTER_LETTER = r"(?<![^\W\d_])"  # not glued to a preceding letter or ideograph
_NOT_BEFORE_LETTER = r"(?![^\W\d_])"  # not glued to a following letter or ideograph

# Words that make up a bracketed button group. One-character size words (大 中 小) count only
# inside a font-size widget: 【中】 alone may be a heading.
_GROUP_WORDS = alternation(w for w in V.BUTTON_WORDS + V.SHARE_TARGETS if len(w) > 1)
_SIZE_WORD = rf"(?:{OPEN}?\s*(?:{alternation(V.FONT_SIZE_WORDS)})\s*{CLOSE}?)"

COUNTER_RE = re.compile(
    rf"{OPEN}?\s*{_NOT_AFTER_LETTER}(?:{alternation(V.COUNTER_PREFIXES)})?"
    rf"(?:(?:{alternation(V.COUNTER_LABELS_LONG)}){_COLON}(?:\d[\d,]*(?!\d)\s*次?)?"
    rf"|(?:{alternation(V.COUNTER_LABELS_SHORT)}){_COLON}\d[\d,]*(?!\d)\s*次?)"
    rf"(?!\w)\s*{CLOSE}?"
)
# A bracketed group holding only button words and separators: 【打印本页】, [打印] ,
# 【打印 | 关闭】, 『返回顶部』; and a group left empty by a template (【】).
BUTTON_GROUP_RE = re.compile(
    rf"{OPEN}\s*(?:(?:{_GROUP_WORDS})(?:[\s|｜/·、]*(?:{_GROUP_WORDS}))*)?\s*{CLOSE}"
)
FONT_SIZE_RE = re.compile(
    rf"{OPEN}?\s*(?:{alternation(V.FONT_SIZE_LABELS)}){_COLON}"
    rf"{_SIZE_WORD}(?:[\s|/｜]*{_SIZE_WORD})+\s*{CLOSE}?"
    rf"|{OPEN}\s*大\s*中\s*小\s*{CLOSE}"
)
SHARE_RE = re.compile(
    rf"{_NOT_AFTER_LETTER}(?:{alternation(V.SHARE_LABELS)})"
    rf"(?:{_COLON}(?:(?:{alternation(V.SHARE_TARGETS)})[\s、|/]*)*"
    rf"|\s*(?:(?:{alternation(V.SHARE_TARGETS)})[\s、|/]*)+)"
)
STANDALONE_RE = re.compile(
    rf"{_NOT_AFTER_LETTER}{OPEN}?(?:{alternation(V.STANDALONE_BUTTONS)}){CLOSE}?{_NOT_BEFORE_LETTER}"
)
TODAY_RE = re.compile(
    rf"(?:{alternation(V.TODAY_LABELS)})\s*[:：]?\s*"
    r"\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-./]\d{1,2}[-./]\d{1,2})"
    rf"(?:\s*[(（]?\s*(?:{alternation(V.WEEKDAY_WORDS)})[一二三四五六日天]\s*[)）]?)?"
    r"(?=\s|$|[|｜])"  # a widget ends there; 今天是2024年3月5日，我们... is a sentence
)
READER_NUMBER = re.compile(rf"您?是本[文帖页]第\s*\d+\s*[个位名](?:{alternation(V.READER_NUMBER_WORDS)})")
_FRAGMENTS = (TODAY_RE, FONT_SIZE_RE, COUNTER_RE, BUTTON_GROUP_RE, SHARE_RE, STANDALONE_RE, READER_NUMBER)
# A line of nothing but button words and separators: "打印 关闭", "分享到", "大 中 小".
_LINE_WORDS = alternation(V.BUTTON_WORDS + V.SHARE_LABELS)
WIDGET_LINE_RE = re.compile(rf"^(?:{SEPARATOR}*(?:{_LINE_WORDS}))+{SEPARATOR}*$")
ONLY_SEPARATORS_RE = re.compile(rf"^{SEPARATOR}*$")
# Two or more short bracketed groups with nothing else on the line are a button bar even
# when some of its captions are not in the vocabulary (【发送邮件】【打印】【关闭】), provided
# one of them is: the structure says "toolbar", the known word confirms it.
_SHORT_GROUP = rf"{OPEN}[^{OPEN[1:-1]}{CLOSE[1:-1]}。，；]{{0,8}}{CLOSE}"
BUTTON_BAR_RE = re.compile(rf"^\s*(?:{_SHORT_GROUP}[\s|｜/·]*){{2,}}$")

# Captions of navigation buttons that templates write one character per line (返/回/顶/部).
VERTICAL_BUTTON = re.compile(r"^(?:返回|回到|上一|下一|顶部|打印|关闭|收藏|分享|首页|目录|版|页|篇)+$")
_SIZE_VOCABULARY = frozenset(V.FONT_SIZE_LABELS + V.FONT_SIZE_WORDS)
# A widget after the last metadata value on an info line, often glued to it
# (来源：新华社浏览次数：12, 来源：新华社 分享到：): the value ends where one starts.
WIDGET_START = re.compile(
    rf"(?:{alternation(V.COUNTER_LABELS_LONG)}"
    rf"|(?:{alternation(V.FONT_SIZE_LABELS)})\s*[:：大]"
    rf"|{alternation(w for w in V.BUTTON_WORDS + V.SHARE_LABELS if len(w) > 1 and w not in _SIZE_VOCABULARY)})"
)
# Comment widgets and copyright notices under a story: the body ends where they start.
COMMENT_START = re.compile(
    rf"^(?:网友|读者|最新|热门|全部|精彩)?{V.COMMENT_WORD}(?:\s*[（(]\s*\d+\s*[)）])?\s*[:：]?$"
    rf"|(?:发表|我要|查看|所有|全部|网友){V.COMMENT_WORD}"
    rf"|共\s*\d+\s*[篇条个件]{V.COMMENT_WORD}"
    rf"|已有\s*\d+\s*[人条位件篇](?:参与)?{V.COMMENT_WORD}"
    r"|^#\s*re\s*[:：]"
    rf"|^{OPEN}?(?:{alternation(V.DISCLAIMER_HEADINGS)}){CLOSE}?\s*[:：]?"
)
# The heading of a box of links to other notices, alone on its line (相关阅读, 【相关链接】).
RELATED_HEADING = re.compile(rf"^{OPEN}?\s*(?:{alternation(V.RELATED_HEADINGS)})\s*{CLOSE}?\s*[:：]?$")
RELATED_START = re.compile(rf"^\s*{OPEN}?(?:{alternation(V.RELATED_HEADINGS)})")
BREADCRUMB = re.compile(rf"^(?:您?(?:当前|现在)?(?:所在)?的?位置|{alternation(V.BREADCRUMB_LABELS)})\s*[:：]")
BREADCRUMB_TRAIL = re.compile(rf"^{V.HOME_WORD}\s*(?:[>»>›/]|&gt;)")
PAGER = re.compile(rf"^(?:{alternation(V.PAGER_LABELS)})\s*[:：]?")
# Site footers: ICP licence numbers (ICP备), copyright and reporting lines that every
# mainland site must show; they are never part of a notice.
FOOTER = re.compile(
    r"ICP备|ICP证|版权所有|All Rights Reserved|Copyright\s*(?:©|\(c\)|\d)|©\s*\d{4}|许可证编号|举报电话|举报邮箱"
    r"|网站标识码|公网安备|主办单位[:：]|承办单位[:：]|技术支持[:：]|建议使用.{0,20}浏览器"
    r"|禁止(?:商业)?转载|转载申请|未经(?:书面)?(?:许可|授权)[，,]?不得(?:转载|复制)",
    re.IGNORECASE,
)


# Full-width ASCII (２０２４, ：stays) to ASCII, one character to one, so dates and 文号 typed
# in full-width digits read like any other. The full-width colon and brackets are the
# patterns' own and stay.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in "：（）［］｜，；"}
_HALF_WIDTH[0x3000] = 0x20


@cache
def _folding_table() -> dict[int, int]:
    return {**simplified_table(), **_HALF_WIDTH}


# Every check of a line folds it again (widgets, labels, info lines, titles): a cache makes
# that one translation per distinct line. extract_article empties it after each page
# (forget_lines), so a worker never holds other pages' text.
@lru_cache(maxsize=4096)
def folded(line: str) -> str:
    """The line as the patterns read it: Simplified, half-width, same length and offsets.

    Pinyin annotations of mirror sites (``發(fā)佈機關``) become :data:`ANNOTATION_FILL`
    characters of the same length, which label patterns skip like white space."""
    if "(" in line or "（" in line:
        line = PINYIN_ANNOTATION.sub(lambda m: ANNOTATION_FILL * (m.end() - m.start()), line)
    return line.translate(_folding_table())


@lru_cache(maxsize=2048)
def title_key(text: str) -> str:
    """A headline as compared with headings and page lines: NFKC, one script, no pinyin
    annotations, no white space (an h1 in ２０２４ or with 國(guó)務院 is the same headline)."""
    return re.sub(rf"[\s{ANNOTATION_FILL}]+", "", script_folded(unicodedata.normalize("NFKC", text)))


def forget_lines() -> None:
    """Empty the per-line caches (called once a page is extracted)."""
    folded.cache_clear()
    title_key.cache_clear()


def strip_widgets(line: str) -> str:
    """``line`` without its widget fragments (counters, button groups, share bars...).

    Spans are found in the folded line and cut from the line as published; a removed
    widget leaves one space, so neighbouring words stay apart.
    """
    fold = folded(line)
    spans: list[tuple[int, int]] = []
    for pattern in _FRAGMENTS:
        spans.extend(m.span() for m in pattern.finditer(fold) if m.end() > m.start())
    if not spans:
        return line
    spans.sort()
    out, at = [], 0
    for start, end in spans:
        if start < at:  # overlapping matches of two patterns: take their union
            at = max(at, end)
            continue
        out.append(line[at:start])
        out.append(" ")
        at = end
    out.append(line[at:])
    return "".join(out)


def is_widget_line(line: str) -> bool:
    """A line that is nothing but buttons, separators or a bar of bracketed buttons."""
    fold = folded(line.strip())
    if not fold:
        return True
    if ONLY_SEPARATORS_RE.match(fold) or WIDGET_LINE_RE.match(fold):
        return True
    return bool(BUTTON_BAR_RE.match(fold)) and bool(BUTTON_GROUP_RE.search(fold) or WIDGET_START.search(fold))


def trim_dangling_separators(line: str) -> str:
    """Drop separators that only framed removed furniture: ``来源：本站 | `` -> ``来源：本站``."""
    return re.sub(r"(?:\s*[|｜/·•])+\s*$", "", re.sub(r"^\s*(?:[|｜/·•]\s*)+", "", line))


# A share bar with targets the vocabulary does not list (分享到：微信 腾讯新闻 学习强国).
SHARE_BAR_MAX_CHARS = 40
_SHARE_BAR_RE = re.compile(rf"^\s*(?:{alternation(V.SHARE_LABELS[:2])})\s*[:：]?[^，。；]*$")


def without_widgets(line: str) -> str | None:
    """The real part of a line once its widgets are gone, or None when nothing real is left.

    A line without widgets is returned unchanged (same object), so callers can tell."""
    if is_widget_line(line) or (len(line) < SHARE_BAR_MAX_CHARS and _SHARE_BAR_RE.match(folded(line))):
        return None
    cleaned = strip_widgets(line)
    if cleaned is line:
        return line
    cleaned = " ".join(cleaned.split())
    if is_widget_line(cleaned):
        return None
    return trim_dangling_separators(cleaned)
