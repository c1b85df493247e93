"""The labels Chinese portals print in front of notice metadata, and how to read them.

Labels come from the info line under a headline (TRS: ``发布时间：… 来源：…``; Hanweb:
``发布日期：… 信息来源：…``; NFCMS: ``发表时间：… 信息来源：…``) and from the
metadata table of policy-disclosure pages (政府信息公开: 索引号 / 发布机关 / 发文字号 /
成文日期 / 发布日期). A label is recognised only at the start of a line or after a
separator, so ``数据来源：`` inside a table is not taken for ``来源：``.
"""
from __future__ import annotations

import re

from monitor.extraction.dom import ELEMENT_END
from monitor.extraction.furniture import ANNOTATION_FILL, WIDGET_START, folded
from monitor.vocabulary import FIELD_LABELS

_LABEL_TO_FIELD = {label.replace(" ", ""): f for f, labels in FIELD_LABELS.items() for label in labels}
_ALL_LABELS = sorted(_LABEL_TO_FIELD, key=len, reverse=True)


# Between a label's characters and before its colon: white space, or a folded pinyin annotation.
_GAP = rf"[\s{ANNOTATION_FILL}]*"


def _label_alternation(labels) -> str:
    return "|".join(_GAP.join(map(re.escape, x)) for x in labels)


# A label starts a line or follows a separator or the end of an element, so ``数据来源：``
# inside a table is not taken for ``来源：``. "字号" is both the font-size switcher and short
# for 发文字号; the table form is followed by a value, the switcher by 大 中 小, which the
# caller strips first.
LABEL_RE = re.compile(
    rf"(?:(?<=^)|(?<=[\s|｜【\[（(丨/·•{ELEMENT_END}]))(" + _label_alternation(_ALL_LABELS) + r")" + _GAP + r"[:：]\s*"
)
# Inside an info line, a long label may be glued to the value before it with no separator
# at all (来源：湖南日报发布日期：…): the value ends at the next known label.
GLUED_LABEL_MIN_CHARS = 4
GLUED_LABEL_RE = re.compile(
    "(" + _label_alternation(x for x in _ALL_LABELS if len(x) >= GLUED_LABEL_MIN_CHARS
                             and _LABEL_TO_FIELD[x] != "other") + r")" + _GAP + r"[:：]\s*"
)
# A bare label with no colon, alone in a table cell (the value is in the next cell).
BARE_LABEL_RE = re.compile(r"^(" + _label_alternation(_ALL_LABELS) + r")" + _GAP + r"[:：]?$")
# Fields whose value may span elements (a date in one <span>, its time in the next).
SPANNING_FIELDS = frozenset(["published", "written"])
# A 文号 standing on a line of its own, without a label: TRS templates print it under the
# headline (<div class="wh">湘政办发〔2026〕7号</div>), and documents open with it. Shape:
# issuing office's short name + 发/函/字... , year in 〔〕 (or [] 【】 () （） ［］), serial, 号.
# Matched on the folded line (digits half-width, pinyin annotations as fill).
DOC_NUMBER_LINE = re.compile(
    rf"^[\u4e00-\u9fff{ANNOTATION_FILL}]{{1,40}}\s*[〔\[【(（［]\s*(?:19|20)\d{{2}}\s*[〕\]】)）］]\s*第?\s*\d{{1,5}}"
    rf"\s*号{ANNOTATION_FILL}*$"
)
# Values longer than this are sentences that merely contain a label, not metadata.
MAX_VALUE_CHARS = 60
MAX_INFO_LINE_CHARS = 200


def field_of(label: str) -> str:
    """The field a label (as matched in folded text) names; "other" when none."""
    return _LABEL_TO_FIELD.get(re.sub(rf"[\s{ANNOTATION_FILL}]+", "", label), "other")


def label_matches(line: str) -> list[re.Match[str]]:
    """Every ``label：`` on a line, matched on its Simplified form (offsets are the line's)."""
    fold = folded(line)
    matches = list(LABEL_RE.finditer(fold))
    if matches:
        taken = [m.span() for m in matches]
        glued = [m for m in GLUED_LABEL_RE.finditer(fold, matches[0].end())
                 if not any(a <= m.start() < b for a, b in taken)]
        if glued:
            matches = sorted(matches + glued, key=lambda m: m.start())
    return matches


def labelled_values(lines: list[str]) -> list[tuple[str, str, int]]:
    """``(field, value, line_index)`` for every ``label：value`` found, in page order.

    ``line_index`` is the line holding the value. Lines may carry :data:`ELEMENT_END` marks
    where an inline element closed: a value ends at the next label, at a widget, and (except
    for dates) at the end of the element it started in, so ``<span>信息来源：湖南日报</span>
    <span>发布日期：…</span>`` reads 湖南日报 whatever separates the spans.

    A label whose value is empty takes the next line (the table-cell layout), unless
    that line is itself a label.
    """
    found: list[tuple[str, str, int]] = []
    for i, line in enumerate(lines):
        if len(line) > MAX_INFO_LINE_CHARS:
            continue
        matches = label_matches(line)
        if not matches:
            bare = BARE_LABEL_RE.match(folded(_plain(line)))
            if bare and i + 1 < len(lines) and not _is_label_line(lines[i + 1]):
                value = _plain(lines[i + 1]).strip()
                if value and len(value) <= MAX_VALUE_CHARS:
                    found.append((field_of(bare.group(1)), value, i + 1))
            continue
        for k, m in enumerate(matches):
            end = matches[k + 1].start() if k + 1 < len(matches) else len(line)
            field = field_of(m.group(1))
            value = _value(line[m.end():end], field)
            at = i
            if not value and k + 1 == len(matches) and i + 1 < len(lines) and not _is_label_line(lines[i + 1]):
                value, at = _value(lines[i + 1], field), i + 1
            if value and len(value) <= MAX_VALUE_CHARS:
                found.append((field, value, at))
    return found


def _value(raw: str, field: str) -> str:
    """A label's value: up to a widget, and to the end of its element unless it is a date."""
    fold = folded(raw)
    if (widget := WIDGET_START.search(fold)) is not None:
        raw = raw[:widget.start()]
    if field not in SPANNING_FIELDS:
        pieces = raw.split(ELEMENT_END)
        for n, piece in enumerate(pieces):
            if _trim(piece):
                raw = ELEMENT_END.join(pieces[:n + 1])
                break
    return _trim(_plain(raw))


def _trim(value: str) -> str:
    """A value without the separators and brackets around it; parentheses only when they pair
    with nothing inside (``(湖南日报)`` → 湖南日报, ``国办发〔2023〕12號(hào)`` stays whole)."""
    value = value.strip(" \u3000|｜丨【】[]·•")
    while value and value[-1] in ")）" and value.count("(") + value.count("（") < value.count(")") + value.count("）"):
        value = value[:-1].strip(" \u3000|｜丨【】[]·•")
    while value and value[0] in "(（" and value.count("(") + value.count("（") > value.count(")") + value.count("）"):
        value = value[1:].strip(" \u3000|｜丨【】[]·•")
    if len(value) > 1 and value[0] in "(（" and value[-1] in ")）":
        value = value[1:-1].strip(" \u3000|｜丨【】[]·•")
    return value


def _plain(line: str) -> str:
    return line.replace(ELEMENT_END, "")


# Author credits written with a slash instead of a label, on news pages: 文/记者 张三,
# 文/图 李四, 图文/王五 (the credit line under the headline or at the end of the story).
CREDIT_RE = re.compile(r"(?:^|(?<=[\s(（【\[|｜]))(?:文\s*[/／]\s*图|(?:文图|图文|撰文|文)\s*[/／])\s*"
                       r"(?:本报记者|特约记者|记者|通讯员)?\s*([^\s/／|｜()（）【】\[\]]{2,12})")
MAX_CREDIT_LINE_CHARS = 40


def credited_author(lines: list[str]) -> str | None:
    """The first slash credit (文/张三) on a short line, or None."""
    for line in lines:
        if len(line) <= MAX_CREDIT_LINE_CHARS and (m := CREDIT_RE.search(line)):
            return m.group(1)
    return None


# An info line is made of metadata labels; past this many other characters it is prose.
INFO_LINE_SLACK = 40


def is_info_line(line: str) -> bool:
    """A line that is only metadata: 发布时间：… 来源：… 责任编辑：…"""
    matches = label_matches(line)
    if not matches or matches[0].start() > 2:
        return False
    if all(field_of(m.group(1)) == "other" for m in matches):
        return False
    return len(line) - sum(len(m.group(0)) for m in matches) <= INFO_LINE_SLACK * len(matches)


def ends_with_empty_label(line: str) -> bool:
    """``来源：`` with nothing after it: the value is in the next cell or line."""
    matches = label_matches(line)
    return bool(matches) and not _trim(_plain(line[matches[-1].end():]))


def _is_label_line(line: str) -> bool:
    fold = folded(_plain(line))
    return bool(LABEL_RE.match(fold) or BARE_LABEL_RE.match(fold))
