"""The labels Chinese portals print in front of notice metadata, and how to read them.

Labels come from the info line under a headline (TRS: ``发布时间：… 来源：…``; Hanweb:
``发布日期：… 信息来源：…``; NFCMS: ``发表时间：… 信息来源：…``) and from the
metadata table of policy-disclosure pages (政府信息公开: 索引号 / 发布机关 / 发文字号 /
成文日期 / 发布日期). A label is recognised only at the start of a line or after a
separator, so ``数据来源：`` inside a table is not taken for ``来源：``.
"""
from __future__ import annotations

import re

from monitor.extraction.furniture import WIDGET_START

# field name -> labels, longest first within each field (alternation order matters).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "published": ("发布时间", "发布日期", "发表时间", "发表日期", "发稿时间", "发文时间", "公开日期", "公布日期",
                  "更新时间", "更新日期", "印发日期", "时间", "日期"),
    "written": ("成文日期", "成文时间", "发文日期"),
    "source": ("信息来源", "文章来源", "新闻来源", "稿件来源", "内容来源", "消息来源", "来源单位", "稿源", "来源", "出处"),
    "editor": ("责任编辑", "网络编辑", "值班编辑", "本文编辑", "责编", "编辑"),
    "author": ("作者", "撰稿", "记者", "撰文", "通讯员"),
    "doc_number": ("发文字号", "发文文号", "文号", "字号"),
    "index_number": ("索引号",),
    "issuer": ("发布机关", "发文机关", "发布机构", "发布单位", "发文单位", "制发机关", "发文机构"),
    # Read but not kept: they end the value of the label before them.
    "other": ("主题分类", "主题词", "分类", "体裁分类", "组配分类", "服务对象", "有效性", "生效日期", "废止日期",
              "名称", "标题", "浏览次数", "浏览量", "访问量", "阅读数", "点击数", "字体", "字号", "审核", "校对",
              "摄影", "供稿", "初审", "复审", "终审", "审核人", "签发", "编审", "所属机构", "公开方式", "公开范围", "信息分类", "关键词", "统一编号", "登记号", "效力状态"),
}
_LABEL_TO_FIELD = {label.replace(" ", ""): f for f, labels in FIELD_LABELS.items() for label in labels}
_ALL_LABELS = sorted(_LABEL_TO_FIELD, key=len, reverse=True)
# "字号" is both the font-size switcher and short for 发文字号; the table form is followed
# by a value, the switcher by 大 中 小, which the caller strips first.
LABEL_RE = re.compile(
    r"(?:(?<=^)|(?<=[\s|｜【\[（(丨/·•]))(" + "|".join(r"\s*".join(map(re.escape, x)) for x in _ALL_LABELS)
    + r")\s*[:：]\s*"
)
# A bare label with no colon, alone in a table cell (the value is in the next cell).
BARE_LABEL_RE = re.compile(r"^(" + "|".join(r"\s*".join(map(re.escape, x)) for x in _ALL_LABELS) + r")\s*[:：]?$")
# A 文号 standing on a line of its own, without a label: TRS templates print it under the
# headline (<div class="wh">湘政办发〔2026〕7号</div>), and documents open with it. Shape:
# issuing office's short name + 发/函/字... , year in 〔〕 (or [] 【】 () （） ［］), serial, 号.
DOC_NUMBER_LINE = re.compile(
    r"^[\u4e00-\u9fff]{1,16}\s*[〔\[【(（［]\s*(?:19|20)\d{2}\s*[〕\]】)）］]\s*第?\s*\d{1,5}\s*号$"
)
# Values longer than this are sentences that merely contain a label, not metadata.
MAX_VALUE_CHARS = 60
MAX_INFO_LINE_CHARS = 200


def field_of(label: str) -> str:
    return _LABEL_TO_FIELD.get(re.sub(r"\s+", "", label), "other")


def labelled_values(lines: list[str]) -> list[tuple[str, str, int]]:
    """``(field, value, line_index)`` for every ``label：value`` found, in page order.

    ``line_index`` is the line holding the value.

    A label whose value is empty takes the next line (the table-cell layout), unless
    that line is itself a label.
    """
    found: list[tuple[str, str, int]] = []
    for i, line in enumerate(lines):
        if len(line) > MAX_INFO_LINE_CHARS:
            continue
        matches = list(LABEL_RE.finditer(line))
        if not matches:
            bare = BARE_LABEL_RE.match(line)
            if bare and i + 1 < len(lines) and not _is_label_line(lines[i + 1]):
                value = lines[i + 1].strip()
                if value and len(value) <= MAX_VALUE_CHARS:
                    found.append((field_of(bare.group(1)), value, i + 1))
            continue
        for k, m in enumerate(matches):
            end = matches[k + 1].start() if k + 1 < len(matches) else len(line)
            value = WIDGET_START.split(line[m.end():end], maxsplit=1)[0].strip(" \u3000|｜丨【】[]（）()·•")
            at = i
            if not value and k + 1 == len(matches) and i + 1 < len(lines) and not _is_label_line(lines[i + 1]):
                value, at = lines[i + 1].strip(), i + 1
            if value and len(value) <= MAX_VALUE_CHARS:
                found.append((field_of(m.group(1)), value, at))
    return found


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
    matches = list(LABEL_RE.finditer(line))
    if not matches or matches[0].start() > 2:
        return False
    if all(field_of(m.group(1)) == "other" for m in matches):
        return False
    return len(line) - sum(len(m.group(0)) for m in matches) <= INFO_LINE_SLACK * len(matches)


def _is_label_line(line: str) -> bool:
    return bool(LABEL_RE.match(line) or BARE_LABEL_RE.match(line))
