"""Parse a page into one lxml tree that holds the whole document, and read text off it.

Portal templates are sloppy: header includes close ``</html>`` early (libxml2 then
starts a second top-level document and the article is no longer under the root),
XML declarations sit in front of HTML, and comments carry CMS markers. We strip the
early end tags so one tree sees everything.
"""
from __future__ import annotations

import re

import lxml.html
from lxml import etree

from monitor.extraction.furniture import INVISIBLE_TAGS

# Bigger pages are cut: no real notice is this long, and lxml time grows with size.
MAX_HTML_CHARS = 3_000_000

_END_TAGS = re.compile(r"</\s*(?:html|body)\s*>", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\ufeff]+")

# Marks where an inline element (<span>, <a>, <font>...) closed, in text rendered for
# metadata reading: Hanweb info bars put each field in its own element with nothing between
# them. An invisible separator (U+2063): never in real text, not white space to ``\s``.
ELEMENT_END = "\u2063"

PREFORMATTED_TAGS = frozenset(["pre", "xmp", "listing", "plaintext"])
# Elements that start a new line when a reader sees the page.
BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "caption", "body", "html", "title"]
)


def parse_document(html: str) -> lxml.html.HtmlElement | None:
    """Return the root of one tree holding the whole page, or None when nothing parses."""
    html = _XML_DECL.sub("", html[:MAX_HTML_CHARS], count=1)
    html = _END_TAGS.sub("", html)
    html = html.replace("\x00", "")
    if not html.strip():
        return None
    root, too_deep = _parse(html)
    for flatten in (_flatten_containers, _flatten_all):
        if not too_deep:
            break
        # libxml2 stops reading at 256 levels of nesting (2048 with huge_tree) and drops the
        # rest of the page, body included; without the nesting the text is all there.
        root, too_deep = _parse(flatten(html))
    return root


# Elements whose tags are dropped when a page nests too deep for libxml2: containers first
# (block ones become a line break, inline ones nothing); if that is not enough, every tag
# but those that carry the document's outline.
_BLOCK_CONTAINERS = re.compile(
    r"</?(?:div|section|article|center|blockquote|table|tbody|thead|tfoot|tr|td|th|ul|ol|li|dl|dd|dt|form"
    r"|fieldset|main|aside|header|footer|nav)\b[^>]*>", re.IGNORECASE)
_INLINE_CONTAINERS = re.compile(r"</?(?:span|font|b|i|u|em|strong|small|big|sub|sup|label)\b[^>]*>", re.IGNORECASE)
_ALL_BUT_OUTLINE = re.compile(r"</?(?!(?:html|head|title|meta|body|p|br|h[1-6]|a)\b)[a-zA-Z][^>]*>")


def _flatten_containers(html: str) -> str:
    return _INLINE_CONTAINERS.sub("", _BLOCK_CONTAINERS.sub("<br>", html))


def _flatten_all(html: str) -> str:
    return _ALL_BUT_OUTLINE.sub("<br>", html)


def _parse(html: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    """The parsed page, and whether libxml2 gave up on its nesting depth."""
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, default_doctype=False)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None, False
    too_deep = any(error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT or "Excessive depth" in error.message
                   for error in parser.error_log if error.level == etree.ErrorLevels.FATAL)
    return root, too_deep


def drop_invisible(root: lxml.html.HtmlElement) -> None:
    """Remove scripts, styles, form controls and blocks hidden with inline CSS.

    Some templates hide the whole page (``<body style="visibility:hidden">``) or the
    article wrapper until a script reveals it; a hidden block holding most of the
    page's text is such a wrapper and is kept.
    """
    for el in list(root.iter(*INVISIBLE_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    hidden = [el for el in root.iter() if (style := el.get("style")) and _HIDDEN.search(style)
              and tag_of(el) not in ("html", "body")]
    if not hidden:
        return
    total = len(root.text_content())
    for el in hidden:
        if el.getparent() is not None and len(el.text_content()) < total / 2:
            el.drop_tree()


def tag_of(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def node_text(node, *, mark_element_ends: bool = False) -> str:
    """The text a reader sees in ``node``: one line per block, white space collapsed.

    With ``mark_element_ends``, :data:`ELEMENT_END` follows the text of every inline element
    (lines that hold nothing but marks are dropped, so line numbers agree with the plain form).
    """
    parts: list[str] = []
    preformatted = 0  # inside <pre>, line breaks in the source are the text's own

    def source_text(text: str) -> str:
        # A browser shows a line break in the HTML source as white space; lines come only
        # from blocks and <br> (a notice wrapped at 80 columns in the CMS is one paragraph).
        return text if preformatted else text.replace("\r", " ").replace("\n", " ")

    for event, el in etree.iterwalk(node, events=("start", "end")):
        tag = tag_of(el)
        if event == "start":
            if tag == "br" or tag in BLOCK_TAGS:
                parts.append("\n")
            if tag in PREFORMATTED_TAGS:
                preformatted += 1
            if el.text and tag:
                parts.append(source_text(el.text))
        else:
            if tag in PREFORMATTED_TAGS:
                preformatted -= 1
            if tag in BLOCK_TAGS:
                parts.append("\n")
            elif mark_element_ends and tag and tag != "br":
                parts.append(ELEMENT_END)
            if el.tail and el is not node:
                parts.append(source_text(el.tail))
    return tidy_lines("".join(parts))


def tidy_lines(text: str) -> str:
    """Collapse white space inside lines and drop empty lines (and lines of only marks)."""
    lines = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip().strip("\u3000").strip()
        if line and line.strip(ELEMENT_END + " \u3000"):
            lines.append(line)
    return "\n".join(lines)
