"""Strip page furniture from an extracted body, whichever path produced it."""
from __future__ import annotations

import re

from monitor.extraction.furniture import (
    BREADCRUMB,
    BREADCRUMB_TRAIL,
    COMMENT_START,
    FOOTER,
    PAGER,
    RELATED_HEADING,
    VERTICAL_BUTTON,
    folded,
    without_widgets,
)
from monitor.extraction.labels import DOC_NUMBER_LINE, is_info_line

# Comment widgets end the body only past this share of it, so a post that opens with
# the word 评论 (a commentary column) keeps its text.
COMMENT_CUT_AFTER = 0.3
COMMENT_CUT_CHARS = 150
# A bare date line within the first lines is the info line's date; at the end of a
# document it is the date under the signature and stays.
DATE_LINE_HEAD = 3
# A 文号 line within the first body lines sits under the headline and is read as doc_number.
DOC_NUMBER_HEAD = 2
# A bare date line (the info line's date on a line of its own) is furniture.
_DATE_ONLY = re.compile(r"^[\[【(（]?\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
                        r"(?:\s*\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2})?)?\s*[\])）】]?")


def strip_furniture(text: str, title: str | None = None) -> str:
    """Remove widget lines, counters, breadcrumbs, info lines, the repeated headline
    and whatever follows a "related links" heading or a comment widget."""
    out: list[str] = []
    lines = _drop_headline(text.split("\n"), title)
    total = sum(len(x) for x in lines) or 1
    seen = 0
    for line in lines:
        seen += len(line)
        before = seen - len(line)
        fold = folded(line)
        if (before / total > COMMENT_CUT_AFTER or before >= COMMENT_CUT_CHARS) and COMMENT_START.search(fold) \
                and len(line) < 60:
            break
        if RELATED_HEADING.match(fold.strip()):
            break  # the related-links box runs to the end of the body
        kept = without_widgets(line)
        if kept is None:
            continue
        line, fold = kept.strip(), folded(kept.strip())
        if not line:
            continue
        if BREADCRUMB.match(fold) or BREADCRUMB_TRAIL.match(fold) or PAGER.match(fold):
            continue
        if FOOTER.search(fold) and len(line) < 200:
            continue
        rest = _DATE_ONLY.sub("", fold, count=1).strip()
        if (not rest and len(out) < DATE_LINE_HEAD) or (rest and rest != fold and is_info_line(rest)) \
                or is_info_line(line):
            continue
        if DOC_NUMBER_LINE.match(line) and len(out) < DOC_NUMBER_HEAD:
            continue  # the 文号 under the headline: a metadata field (doc_number), not body text
        out.append(line)
    return "\n".join(_drop_vertical_runs(out))


def _drop_vertical_runs(lines: list[str]) -> list[str]:
    """Drop runs of one-character lines that spell a button caption written vertically
    (返/回/下/一/版). Other runs stay: table cells with vertical text (基/础/指/标) are content."""
    keep: list[str] = []
    run: list[str] = []
    for line in lines + [""]:
        if len(line) == 1:
            run.append(line)
            continue
        if len(run) < 3 or not VERTICAL_BUTTON.match(folded("".join(run))):
            keep.extend(run)
        run = []
        if line:
            keep.append(line)
    return keep


# The headline may sit in the first lines of a body, after a label such as 主题：.
HEADLINE_LOOKAHEAD = 4
HEADLINE_PREFIX_CHARS = 40


def _drop_headline(lines: list[str], title: str | None) -> list[str]:
    """Drop the headline (a field of its own) and the short lines above it."""
    if not title:
        return lines
    squashed = re.sub(r"\s+", "", title)
    for i, line in enumerate(lines[:HEADLINE_LOOKAHEAD]):
        flat = re.sub(r"\s+", "", line)
        if flat and (flat == squashed or (flat.endswith(squashed) and len(flat) - len(squashed) <= 6)):
            if sum(len(x) for x in lines[:i]) <= HEADLINE_PREFIX_CHARS:
                return lines[i + 1:]
            break
    return lines
