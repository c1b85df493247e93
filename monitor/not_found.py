"""The site's own not-found page: learnt once per round, recognised when a notice answers with it.

Many portals answer a URL that does not exist with HTTP 200 and a "not found" page in the full
site template (header, navigation, sidebar, footer), so a withdrawn notice looks like a live
page with strange text. Each round the spider asks the site for a URL that cannot exist
(:func:`monitor.crawl.probe_url_for`); when the answer is 200, its *fingerprint* is kept per
site. A notice that later answers with the same page is ``removed``.

The fingerprint is the set of the page's visible text lines (one per block element, ``<title>``
included; scripts, styles and comments left out), each in a form that ignores what changes from
one request to the next: NFKC, no white space, no digits (visit counters, dates, clocks) and no
URL-like tokens (a page that echoes the requested path). It holds no markup, so a change of
class names or attribute order does not matter.

Two pages are the same page when, weighing each distinct line by its length:

- at least :data:`SIMILARITY` of all their characters are on lines both pages have, and
- at most :data:`PAGE_ONLY_MAX_CHARS` characters of the notice's page are on lines the
  not-found page does not have.

The second rule is what keeps a live notice safe in a heavy template: whatever the share of
navigation and sidebar, a notice brings its own title, metadata and body, far more than 40
characters that the not-found page never shows. A not-found page with a box that rotates per
request (random recommendations) falls below the thresholds: it is then not recognised this
way, and the other removal signals (status, redirect, stub text) still apply.
"""
from __future__ import annotations

import re
import unicodedata

from lxml import etree, html

from spiders.encoding import decode_html

# Share of characters on shared lines for two pages to be the same page.
SIMILARITY = 0.9
# Characters a page may hold on lines the not-found page lacks and still be that page.
PAGE_ONLY_MAX_CHARS = 40
# A fingerprint with less text than this says too little to recognise anything by.
MIN_FINGERPRINT_CHARS = 4

# Elements whose start and end break a line of visible text.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "td", "tfoot", "th", "thead", "title", "tr", "ul",
})
# Elements whose text is never shown.
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "head", "select", "option", "iframe"})

_DIGITS = re.compile(r"\d+")
_URL_LIKE = re.compile(r"[A-Za-z0-9_.~%:?=&#+-]*/[A-Za-z0-9_.~%:/?=&#+-]*")
_SPACE = re.compile(r"\s+")


def normalise_line(line: str) -> str:
    """A text line in the form fingerprints compare: NFKC, no URLs, digits or white space."""
    line = unicodedata.normalize("NFKC", line)
    line = _URL_LIKE.sub("", line)
    line = _DIGITS.sub("", line)
    return _SPACE.sub("", line)


def visible_lines(body: bytes, content_type: str | None = None) -> list[str]:
    """The page's visible text, one normalised line per block, lines without letters dropped."""
    if not body:
        return []
    text, _ = decode_html(body, content_type)
    try:
        root = html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return []
    parts: list[str] = []
    title = root.find(".//title")
    if title is not None and title.text:
        parts.extend(("\n", title.text, "\n"))
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if event in ("comment", "pi"):
            if element.tail:
                parts.append(element.tail)
        elif event == "start":
            if tag in HIDDEN_TAGS or tag is None:
                walker.skip_subtree()  # its "end" still comes, and adds the tail
                continue
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if element.text:
                parts.append(element.text)
        else:
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if element.tail:
                parts.append(element.tail)
    lines = (normalise_line(line) for line in "".join(parts).split("\n"))
    return [line for line in lines if any(ch.isalpha() for ch in line)]


def fingerprint(body: bytes, content_type: str | None = None) -> list[str] | None:
    """The fingerprint kept for a site's not-found page (sorted distinct lines), or None when
    the page has too little text to recognise it by."""
    lines = sorted(set(visible_lines(body, content_type)))
    return lines if sum(map(len, lines)) >= MIN_FINGERPRINT_CHARS else None


def _weight(lines: set[str]) -> int:
    return sum(len(line) for line in lines)


def is_not_found_page(body: bytes, content_type: str | None, not_found: list[str]) -> bool:
    """Does this page (a notice's answer) carry the site's not-found page of fingerprint
    ``not_found``? See the module docstring for the rule."""
    reference = set(not_found)
    if _weight(reference) < MIN_FINGERPRINT_CHARS:
        return False
    page = set(visible_lines(body, content_type))
    if _weight(page - reference) > PAGE_ONLY_MAX_CHARS:
        return False
    union = _weight(page | reference)
    return union > 0 and _weight(page & reference) / union >= SIMILARITY
