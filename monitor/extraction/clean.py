"""Strip page furniture from an extracted body, whichever path produced it."""
from __future__ import annotations

import re

from monitor.extraction.furniture import (
    BREADCRUMB,
    BREADCRUMB_TRAIL,
    BUTTON_WORDS,
    COUNTER,
    FONT_SIZE,
    PAGER,
    RELATED_HEADINGS,
    SHARE_WORDS,
)
from monitor.extraction.labels import LABEL_RE, field_of

# An info line is made of metadata labels; past this many other characters it is prose.
INFO_LINE_SLACK = 40
_RELATED_HEADING = re.compile(r"^[【\[]?(?:" + "|".join(RELATED_HEADINGS) + r")[】\]]?\s*[:：]?$")


def strip_furniture(text: str) -> str:
    """Remove widget lines, counters, breadcrumbs, info lines and trailing link boxes."""
    out: list[str] = []
    for line in text.split("\n"):
        line = FONT_SIZE.sub("", line)
        for word in BUTTON_WORDS:
            line = line.replace(word, "")
        line = COUNTER.sub("", line).strip()
        if not line:
            continue
        if _RELATED_HEADING.match(line):
            break  # the related-links box runs to the end of the body
        if any(line.startswith(w) for w in SHARE_WORDS) and len(line) < 40:
            continue
        if BREADCRUMB.match(line) or BREADCRUMB_TRAIL.match(line) or PAGER.match(line):
            continue
        if is_info_line(line):
            continue
        if line in ("打印", "关闭", "收藏", "分享", "【】", "[]", "|", "大 中 小", "大中小"):
            continue
        out.append(line)
    return "\n".join(out)


def is_info_line(line: str) -> bool:
    """A line that is only metadata: 发布时间：… 来源：… 责任编辑：…"""
    matches = list(LABEL_RE.finditer(line))
    if not matches or matches[0].start() > 2:
        return False
    if all(field_of(m.group(1)) == "other" for m in matches):
        return False
    return len(line) - sum(len(m.group(0)) for m in matches) <= INFO_LINE_SLACK * len(matches)
