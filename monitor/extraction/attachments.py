"""Files attached to a notice: the links a reader downloads (pdf, doc, xls, ofd, zip...).

Attachment link lists are metadata (``Article.attachments``), never body text: templates
put the 附件 list inside the article container on one site and after it on another, and a
body that sometimes holds the list and sometimes not would raise false edits. A plain-text
附件 line without links (附件：1. xxx in the document's own wording) stays in the body.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from monitor.article import Attachment
from monitor.extraction.dom import BLOCK_TAGS, tag_of
from monitor.vocabulary import ATTACHMENT_EXTENSIONS

_EXT_RE = re.compile(r"\.(" + "|".join(ATTACHMENT_EXTENSIONS) + r")$", re.IGNORECASE)
# What may stand around attachment links in a block that is only an attachment list: the
# 附件 heading of TRS / Hanweb / gov.cn / NFCMS templates (附件：, 相关附件, 附件下载, 附件1),
# list numbering (1. 2、 一、), separators and brackets.
ATTACHMENT_HEADING = re.compile(r"^(?:相关)?附件(?:下载|列表)?\s*[:：]?$")
# Parts of a table are never removed one by one: a table of files with other columns keeps
# its rows whole (a table holding nothing but attachment links goes as a whole).
KEPT_WHOLE = frozenset(["html", "body", "tr", "td", "th", "tbody", "thead", "tfoot", "caption"])
_LIST_RESIDUE = re.compile(r"(?:相关)?附件(?:下载|列表)?|[\d一二三四五六七八九十]+|[\s:：.．、,，;；|｜()（）\[\]【】《》<>\-—·•]")


def is_attachment_link(a) -> bool:
    """A link to a downloadable document, judged by the file extension of its address."""
    href = (a.get("href") or "").strip()
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return False
    return bool(_EXT_RE.search(urlsplit(href).path))


def find_attachments(root, base_url: str | None) -> tuple[Attachment, ...]:
    """Every link to an attachment, absolute, with its link text; duplicates kept once."""
    seen: set[str] = set()
    found: list[Attachment] = []
    for a in root.iter("a"):
        if not is_attachment_link(a):
            continue
        href = a.get("href").strip()
        url = urljoin(base_url, href) if base_url else href
        if url in seen:
            continue
        seen.add(url)
        text = re.sub(r"\s+", " ", a.text_content()).strip() or (a.get("title") or "").strip()
        found.append(Attachment(url=url, text=text))
    return tuple(found)


def drop_attachment_lists(root) -> int:
    """Remove every block that holds only attachment links (with a 附件 heading or numbering),
    and a bare 附件： heading block right before one. Returns how many blocks were removed."""
    removed = 0
    # Only the block ancestors of attachment links can be lists; outermost first, so a
    # whole list goes at once.
    blocks: dict = {}
    for a in root.iter("a"):
        if is_attachment_link(a):
            for el in a.iterancestors(*BLOCK_TAGS):
                blocks[el] = None
    for el in sorted(blocks, key=_depth):
        if el.getparent() is None or tag_of(el) in KEPT_WHOLE or _inside_removed(el, root) \
                or not _is_attachment_list(el):
            continue
        heading = el.getprevious()
        if heading is not None and tag_of(heading) in BLOCK_TAGS and next(heading.iter("a"), None) is None \
                and ATTACHMENT_HEADING.match(_squash(heading.text_content())):
            _drop(heading)
            removed += 1
        _drop(el)
        removed += 1
    return removed


def drop_attachment_lines(text: str, attachments: tuple[Attachment, ...]) -> str:
    """Drop a trailing run of attachment link texts (and the 附件 heading above it) from a body.

    The DOM pass misses links that sit loose in the article container, one per line
    between ``<br>``; this is the same rule on the text.
    """
    names = {_squash(a.text) for a in attachments if a.text}
    if not names:
        return text
    lines = text.split("\n")
    end = len(lines)
    while end and _LIST_RESIDUE.sub("", _squash(lines[end - 1]).replace(_link_name(lines[end - 1], names), "", 1)) == "" \
            and _link_name(lines[end - 1], names):
        end -= 1
    if end == len(lines):
        return text
    if end and ATTACHMENT_HEADING.match(_squash(lines[end - 1])):
        end -= 1
    return "\n".join(lines[:end])


def _link_name(line: str, names: set[str]) -> str:
    """The longest attachment name contained in ``line`` ('' when none)."""
    flat = _squash(line)
    return max((n for n in names if n in flat), key=len, default="")


def _is_attachment_list(el) -> bool:
    links = list(el.iter("a"))
    if not links or not all(is_attachment_link(a) for a in links):
        return False
    text = el.text_content()
    for a in links:
        text = text.replace(a.text_content(), " ", 1)
    return not _LIST_RESIDUE.sub("", text)


def _depth(el) -> int:
    return sum(1 for _ in el.iterancestors())


def _inside_removed(el, root) -> bool:
    """True when an ancestor of ``el`` was already dropped (it no longer reaches ``root``)."""
    top = el
    for top in el.iterancestors():
        pass
    return top is not root


def _drop(el) -> None:
    """Remove ``el`` but keep its tail text, which belongs to the parent."""
    if el.tail and el.tail.strip():
        el.tail = "\n" + el.tail  # the block ended a line; its tail starts a new one
    el.drop_tree()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
