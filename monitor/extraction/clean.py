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
    title_key,
    without_widgets,
)
from monitor.extraction.labels import DOC_NUMBER_LINE, ends_with_empty_label, is_info_line

# Comment widgets end the body only past this share of it, so a post that opens with
# the word 评论 (a commentary column) keeps its text.
COMMENT_CUT_AFTER = 0.3
COMMENT_CUT_CHARS = 150
# A bare date line within the first lines is the info line's date; at the end of a
# document it is the date under the signature and stays.
DATE_LINE_HEAD = 3
# A 文号 line within the first body lines sits under the headline and is read as doc_number.
DOC_NUMBER_HEAD = 2
# The value printed in the cell after a label cell is as short as metadata values are.
LABEL_CELL_VALUE_CHARS = 30
_SENTENCE_MARK = re.compile(r"[，。；！？]")
# A bare date line (the info line's date on a line of its own) is furniture.
_DATE_ONLY = re.compile(r"^[\[【(（]?\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
                        r"(?:\s*\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2})?)?\s*[\])）】]?")


def strip_furniture(text: str, title: str | None = None, marked: str | None = None) -> str:
    """Remove widget lines, counters, breadcrumbs, info lines, the repeated headline
    and whatever follows a "related links" heading or a comment widget.

    ``marked`` is the same text with inline element ends marked (see
    :func:`~monitor.extraction.dom.node_text`): an info bar whose fields sit in adjacent
    elements with nothing between them is recognised there."""
    out: list[str] = []
    all_lines = text.split("\n")
    marked_lines = marked.split("\n") if marked is not None else all_lines
    if len(marked_lines) != len(all_lines):
        marked_lines = all_lines
    lines = _drop_headline(all_lines, title)
    marked_lines = marked_lines[len(all_lines) - len(lines):]
    total = sum(len(x) for x in lines) or 1
    seen = 0
    value_pending = False
    for line, marked_line in zip(lines, marked_lines):
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
        if value_pending:
            value_pending = False
            if len(line) <= LABEL_CELL_VALUE_CHARS and not _SENTENCE_MARK.search(line):
                continue  # the value cell of a label cell dropped just before (<td>来源：</td><td>…</td>)
        if (not _DATE_ONLY.sub("", fold, count=1).strip() and len(out) < DATE_LINE_HEAD) \
                or _is_metadata(line) or (marked_line is not line and _is_metadata(marked_line)):
            value_pending = ends_with_empty_label(line)
            continue
        if DOC_NUMBER_LINE.match(fold) and len(out) < DOC_NUMBER_HEAD:
            continue  # the 文号 under the headline: a metadata field (doc_number), not body text
        out.append(line)
    return "\n".join(_drop_vertical_runs(out))


def _is_metadata(line: str) -> bool:
    """An info line, possibly after a bare date (2015-11-05 来源：转载 作者：…)."""
    real = without_widgets(line)
    if not real:
        return False
    fold = folded(real)
    rest = _DATE_ONLY.sub("", fold, count=1).strip()
    return bool(rest and rest != fold and is_info_line(rest)) or is_info_line(real)


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
    squashed = title_key(title)
    for i, line in enumerate(lines[:HEADLINE_LOOKAHEAD]):
        flat = title_key(line)
        if flat and (flat == squashed or (flat.endswith(squashed) and len(flat) - len(squashed) <= 6)):
            if sum(len(x) for x in lines[:i]) <= HEADLINE_PREFIX_CHARS:
                return lines[i + 1:]
            break
    return lines
