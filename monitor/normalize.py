"""The form two captures are compared in, so that only real edits count as changes.

Portals re-render the same notice with different white space, full-width vs half-width
characters, and page furniture that lives inside the body container (visit counters,
print/close buttons, font-size widgets, share bars, "today is ..." date widgets). None of
that is an edit. ``normalize_text`` folds all of it away; ``content_fingerprint`` hashes the
result so that equal fingerprints mean "no edit".

Furniture is matched by widget *shape* (label + colon + number, bracketed buttons, a
phrase standing on its own), never by bare words, so a sentence such as
本次会议听取了访问量统计报告 stays text.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping

# Characters that render as nothing and only differ between template versions.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ZERO_WIDTH_RE = re.compile(f"[{ZERO_WIDTH}]")

# Scripts written without spaces between words: white space next to them is layout only.
_CJK = (
    "\u2e80-\u2fff"  # radicals, Kangxi
    "\u3000-\u303f"  # CJK symbols and punctuation (。、「」【】...)
    "\u3040-\u30ff"  # kana
    "\u3100-\u31ff"  # bopomofo, CJK strokes
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uac00-\ud7af"  # hangul
    "\uf900-\ufaff"  # compatibility ideographs
    "\ufe30-\ufe4f"  # vertical / compatibility forms
    "\uff00-\uffef"  # full-width forms NFKC leaves alone
    "\U00020000-\U0003134f"  # extensions B-G
)
_CJK_CHAR = f"[{_CJK}]"
_CJK_CHAR_RE = re.compile(_CJK_CHAR)
_SPACE_RUN_RE = re.compile(r"\s+")

# --- furniture found inside body containers -------------------------------------------
# Visit counters in TRS / Hanweb / gov.cn article info bars: 浏览次数：123, 访问量：4567,
# 阅读数, 点击数, 阅读：. Long labels may show an empty number (filled in by JavaScript).
COUNTER_LABELS_LONG = (
    "浏览次数",
    "访问次数",
    "阅读次数",
    "点击次数",
    "浏览量",
    "访问量",
    "阅读量",
    "点击量",
    "阅读数",
    "点击数",
    "浏览数",
    "访问数",
)
# Short counter labels are ordinary verbs too, so they count only with a number.
COUNTER_LABELS_SHORT = ("阅读", "浏览", "点击", "访问")
# Prefixes some templates put before a counter label: 总访问量, 本页浏览次数.
COUNTER_PREFIXES = ("总", "本页", "本文", "今日")
# Buttons that templates render as 【打印】【关闭】 (Hanweb, TRS) or [打印] after NFKC.
BRACKETED_BUTTONS = (
    "打印",
    "打印本页",
    "打印此页",
    "打印文章",
    "关闭",
    "关闭窗口",
    "关闭本页",
    "收藏",
    "加入收藏",
    "保存",
    "返回",
    "返回顶部",
    "顶部",
    "我要纠错",
    "纠错",
    "分享",
    "大",
    "中",
    "小",
)
# Button phrases distinctive enough to remove when they stand alone in a line
# (not glued to other Chinese text): "打印本页 关闭窗口" at the foot of gov.cn pages.
STANDALONE_BUTTONS = (
    "打印本页",
    "打印此页",
    "关闭窗口",
    "关闭本页",
    "返回顶部",
    "我要纠错",
    "扫一扫在手机打开当前页",
    "扫一扫在手机上打开当前页",
    "扫一扫在手机上查看当前页面",
    "扫一扫在手机打开当前页面",
    "用手机扫一扫",
    "手机扫一扫",
)
# Words that are furniture only when they make up a whole line: "打印 关闭", "分享到".
LINE_ONLY_BUTTONS = (
    "打印",
    "关闭",
    "收藏",
    "纠错",
    "返回",
    "分享",
    "分享到",
    "保存",
    "字体",
    "字号",
    "大",
    "中",
    "小",
    "默认",
    "超大",
    "扫一扫",
)
# Font-size widgets: 【字体：大 中 小】, 字号：默认 大 超大 (Hanweb and TRS templates).
FONT_SIZE_LABELS = ("字体", "字号", "字体大小", "文字大小")
FONT_SIZE_WORDS = ("超大", "特大", "较大", "默认", "标准", "大", "中", "小")
# Share bars: 分享到：微信 微博 QQ空间 (gov.cn and provincial portal templates).
SHARE_LABEL = "分享到"
SHARE_TARGETS = (
    "微信朋友圈",
    "朋友圈",
    "微信",
    "新浪微博",
    "腾讯微博",
    "微博",
    "QQ空间",
    "QQ好友",
    "QQ",
    "人人网",
    "豆瓣",
    "复制链接",
)
# Date widgets in portal headers that leak into bodies: 今天是2024年3月5日 星期二.
TODAY_LABELS = ("今天是", "今天是：", "今日是")

_BRACKET_OPEN = r"[【\[〔〖]"
_BRACKET_CLOSE = r"[】\]〕〗]"
_SEPARATORS = r"[\s|｜/·•,，、:：()（）\[\]【】〔〕〖〗-]"
_COLON = r"\s*[:：]\s*"
_NOT_AFTER_LETTER = r"(?<![^\W\d_])"  # not glued to a preceding letter or ideograph
_NOT_BEFORE_LETTER = r"(?![^\W\d_])"  # not glued to a following letter or ideograph


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_COUNTER_RE = re.compile(
    rf"{_BRACKET_OPEN}?\s*{_NOT_AFTER_LETTER}(?:{_alternation(COUNTER_PREFIXES)})?"
    rf"(?:(?:{_alternation(COUNTER_LABELS_LONG)}){_COLON}(?:\d[\d,]*(?!\d)\s*次?)?"
    rf"|(?:{_alternation(COUNTER_LABELS_SHORT)}){_COLON}\d[\d,]*(?!\d)\s*次?)"
    rf"(?!\w)\s*{_BRACKET_CLOSE}?"
)
_BRACKETED_BUTTON_RE = re.compile(
    rf"{_BRACKET_OPEN}\s*(?:{_alternation(BRACKETED_BUTTONS)})\s*{_BRACKET_CLOSE}"
)
_SIZE_WORD = rf"(?:{_BRACKET_OPEN}?\s*(?:{_alternation(FONT_SIZE_WORDS)})\s*{_BRACKET_CLOSE}?)"
_FONT_SIZE_RE = re.compile(
    rf"{_BRACKET_OPEN}?\s*(?:{_alternation(FONT_SIZE_LABELS)}){_COLON}"
    rf"{_SIZE_WORD}(?:[\s|/]*{_SIZE_WORD})+\s*{_BRACKET_CLOSE}?"
    rf"|{_BRACKET_OPEN}\s*大\s*中\s*小\s*{_BRACKET_CLOSE}"
)
_SHARE_RE = re.compile(
    rf"{_NOT_AFTER_LETTER}{re.escape(SHARE_LABEL)}"
    rf"(?:{_COLON}(?:(?:{_alternation(SHARE_TARGETS)})[\s、|/]*)*"
    rf"|\s*(?:(?:{_alternation(SHARE_TARGETS)})[\s、|/]*)+)"
)
_STANDALONE_RE = re.compile(
    rf"{_NOT_AFTER_LETTER}{_BRACKET_OPEN}?(?:{_alternation(STANDALONE_BUTTONS)})"
    rf"{_BRACKET_CLOSE}?{_NOT_BEFORE_LETTER}"
)
_TODAY_RE = re.compile(
    rf"(?:{_alternation(TODAY_LABELS)})\s*[:：]?\s*"
    r"\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-./]\d{1,2}[-./]\d{1,2})"
    r"(?:\s*[(（]?\s*(?:星期|周|礼拜)[一二三四五六日天]\s*[)）]?)?"
    r"(?=\s|$|[|｜])"  # a widget ends there; 今天是2024年3月5日，我们... is a sentence
)
_FRAGMENT_RES = (_TODAY_RE, _FONT_SIZE_RE, _COUNTER_RE, _BRACKETED_BUTTON_RE, _SHARE_RE, _STANDALONE_RE)
_LINE_ONLY_RE = re.compile(rf"^(?:{_SEPARATORS}*(?:{_alternation(LINE_ONLY_BUTTONS)}))+{_SEPARATORS}*$")
_ONLY_SEPARATORS_RE = re.compile(rf"^{_SEPARATORS}*$")


def strip_furniture_lines(text: str) -> str:
    """Remove in-body page furniture: whole furniture lines and furniture fragments.

    Lines that held only furniture disappear; a line that had furniture appended
    (``发布时间：2024-03-05 浏览次数：123``) keeps its real part. Other lines are
    returned untouched, so this is safe to run on text that has not been normalised.
    """
    kept: list[str] = []
    for line in text.split("\n"):
        cleaned = line
        for pattern in _FRAGMENT_RES:
            cleaned = pattern.sub(" ", cleaned)
        if cleaned == line:
            if not _LINE_ONLY_RE.match(line.strip()):
                kept.append(line)
            continue
        cleaned = _SPACE_RUN_RE.sub(" ", cleaned).strip()
        if _ONLY_SEPARATORS_RE.match(cleaned) or _LINE_ONLY_RE.match(cleaned):
            continue
        kept.append(_trim_dangling_separators(cleaned))
    return "\n".join(kept)


def _trim_dangling_separators(line: str) -> str:
    """Drop separators that only framed removed furniture: ``来源：本站 | `` -> ``来源：本站``."""
    return re.sub(r"(?:\s*[|｜/·•])+\s*$", "", re.sub(r"^\s*(?:[|｜/·•]\s*)+", "", line))


def _fold_spaces(line: str) -> str:
    """Fold white space runs: nothing next to CJK, one space between Latin words."""

    def replace(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        if (start > 0 and _CJK_CHAR_RE.match(line, start - 1)) or _CJK_CHAR_RE.match(line, end):
            return ""
        return " "

    return _SPACE_RUN_RE.sub(replace, line).strip()


def _unify(text: str) -> str:
    """NFKC, invisible characters dropped, every white space run one space, blank lines gone."""
    text = _ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFKC", text))
    lines = (_SPACE_RUN_RE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _fold_lines(text: str) -> str:
    lines = (_fold_spaces(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_text(text: str) -> str:
    """The comparison form of a notice body. Idempotent.

    NFKC folds full-width/half-width forms (and ``\\u3000``/NBSP to spaces); white space
    inside a line vanishes next to CJK and becomes one space between Latin words; lines
    are stripped and blank lines dropped; furniture is removed. Furniture is stripped
    before spaces next to CJK vanish, because spaces are what separate ``打印 关闭``.
    """
    current = _unify(text)
    for _ in range(5):  # reach a fixed point so that normalising twice changes nothing
        following = _fold_lines(strip_furniture_lines(current))
        if following == current:
            break
        current = following
    return current


def normalize_field(value: str | None) -> str | None:
    """A metadata value in comparison form: NFKC, white space folded; empty means None."""
    if value is None:
        return None
    text = _ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFKC", value))
    folded = _fold_spaces(_SPACE_RUN_RE.sub(" ", text).strip())
    return folded or None


def content_fingerprint(text: str, fields: Mapping[str, str | None]) -> str:
    """SHA-256 hex of the normalised text and fields; equal fingerprints mean "no edit".

    Fields are hashed by name in sorted order; a field that normalises to None counts
    the same as an absent field, so a template that stops showing an empty 责任编辑
    does not look like an edit.
    """
    normalized_fields = {
        name: folded for name in sorted(fields) if (folded := normalize_field(fields[name])) is not None
    }
    payload = json.dumps(
        {"text": normalize_text(text), "fields": normalized_fields},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def display_form(text: str) -> str:
    """The text a diff is shown in: furniture and blank lines removed, white space runs
    folded, but characters kept as the portal wrote them (full-width ，。 stay full-width,
    unlike :func:`normalize_text`, which is for comparing, not reading)."""
    lines = (" ".join(line.split()) for line in strip_furniture_lines(text).split("\n"))
    return "\n".join(line for line in lines if line)
