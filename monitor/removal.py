"""How a portal says a notice is gone without saying 404.

Many portal CMSs answer 200 when a notice is taken down: with a bare stub ("该信息已删除"),
with the whole site template around a one-line message (header, navigation, sidebar and
related links included), or by redirecting to the home page. The body extractor cannot be
trusted on such pages — it picks the sidebar as "the body" — so removal is read off the
whole page: its ``<title>``, its headings and the short lines of its main area, once links
and furniture are set aside (:func:`gone_message_on_page`, run during extraction, which
stores the result on :attr:`Article.gone_message <monitor.article.Article.gone_message>`).

A message is recognised by the phrases in :data:`monitor.vocabulary.SOFT_404_MESSAGES`, and,
for wordings nobody listed, by its shape: a short sentence naming a page or notice
(信息, 页面, 文章…) and saying it is gone (不存在, 已删除, 已失效…). A real notice that quotes
such a phrase is not a removal: the page must hold little prose besides the message.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from monitor.extraction.furniture import FOOTER, alternation, folded
from monitor.vocabulary import GONE_OBJECTS, GONE_WORDS, SOFT_404_MESSAGES

# A removal stub is short; a real notice that quotes one of the phrases is long.
SOFT_404_MAX_CHARS = 200
# A message line is short (抱歉，您要查看的信息不存在或已被删除！).
MESSAGE_MAX_CHARS = 60
# Prose (punctuated, non-link lines of some length) a page may hold besides the message and
# still be a removal page: template boxes (站点简介, 联系我们) carry a little. With the message in
# <title> or a heading the page may hold more (a "hot news" box with summaries).
PROSE_LINE_MIN_CHARS = 20
MAX_PROSE_WITH_LINE_MESSAGE = 150
MAX_PROSE_WITH_TITLE_MESSAGE = 400
# The body the extractor chose may hold this much prose besides the message: a notice that
# says 原文件已失效 among its paragraphs is a notice, not a stub.
MAX_BODY_PROSE = 30

REMOVED_STATUSES = (404, 410)

_MESSAGE_RE = re.compile(
    rf"{alternation(SOFT_404_MESSAGES)}"
    rf"|(?:{alternation(GONE_OBJECTS)})[^，。！!？?\n]{{0,12}}?(?:{alternation(GONE_WORDS)})"
)
_SENTENCE_MARKS = re.compile(r"[，。；！？]")


def gone_phrase(text: str | None) -> str | None:
    """The removal message in a short piece of text (matched in Simplified), or None."""
    if not text or len(text) > MESSAGE_MAX_CHARS:
        return None
    m = _MESSAGE_RE.search(folded(text))
    return text[m.start():m.end()] if m else None


def soft_404_marker(title: str | None, text: str) -> str | None:
    """The message that makes an extracted notice a removal stub, or None for a real notice."""
    body = (text or "").strip()
    if len(body) > SOFT_404_MAX_CHARS:
        return None
    for piece in [title or "", *body.split("\n")]:
        if found := gone_phrase(piece):
            return found
    return None


def gone_message_on_page(page_title: str | None, headings: list[str], lines: list[str],
                         link_texts: set[str], body: str = "") -> str | None:
    """The removal message of a page in the full site template, or None.

    ``lines`` are the page's visible lines (scripts and hidden blocks gone), ``link_texts``
    the texts of its links: lines made of links are navigation, never prose or message.
    ``body`` is what the extractor took for the notice: prose there besides the message
    means a notice that mentions removal, not a removal page.
    """
    if _prose(body.split("\n"), link_texts, skip_messages=True) > MAX_BODY_PROSE:
        return None
    in_title = next((found for text in [page_title or "", *headings] if (found := gone_phrase(text))), None)
    in_line = None
    prose = 0
    for line in lines:
        if _is_links(line, link_texts):
            continue
        if in_line is None and (found := gone_phrase(line)):
            in_line = found
            continue
        if len(line) >= PROSE_LINE_MIN_CHARS and _SENTENCE_MARKS.search(line) and not FOOTER.search(folded(line)):
            prose += len(line)
    if in_line is not None and prose <= MAX_PROSE_WITH_LINE_MESSAGE:
        return in_line
    if in_title is not None and prose <= MAX_PROSE_WITH_TITLE_MESSAGE:
        return in_title
    return None


# A notice whose body shrinks to this little, sharing nothing with what it was and under
# another headline, is no longer shown: the site put a message (or nothing) in its place.
SHRUNK_BODY_CHARS = 120
SHRUNK_FROM_CHARS = 100
SHRUNK_SHARE = 0.6
SHARED_LINE_CHARS = 8


def shrunk_to_message(before_title: str | None, before_text: str, title: str | None, text: str) -> str | None:
    """What a notice's page now shows instead of the notice, or None.

    For removal pages worded in ways no list holds (此信息已下架，感谢您的关注。), where the
    extractor may even take the footer for the body: the page keeps its header, navigation
    and sidebar, but what is left has nothing in common with the notice, is short, and the
    headline is gone or replaced. An edit keeps its headline or some of its text.
    """
    body = (text or "").strip()
    before = (before_text or "").strip()
    if len(body) > SHRUNK_BODY_CHARS or len(before) < SHRUNK_FROM_CHARS or len(body) > SHRUNK_SHARE * len(before):
        return None
    if title and before_title and _flat(title) == _flat(before_title):
        return None
    before_flat, body_flat = _flat(before_text), _flat(body)
    if any(len(line) >= SHARED_LINE_CHARS and line in before_flat for line in map(_flat, body.split("\n"))):
        return None
    if any(len(line) >= SHARED_LINE_CHARS and line in body_flat for line in map(_flat, before_text.split("\n"))):
        return None
    return body.replace("\n", " ") or "(nothing)"


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", folded(text))


def _prose(lines: list[str], link_texts: set[str], *, skip_messages: bool) -> int:
    """Characters of punctuated, non-link lines (of :data:`PROSE_LINE_MIN_CHARS` or more)."""
    total = 0
    for line in lines:
        if len(line) < PROSE_LINE_MIN_CHARS or not _SENTENCE_MARKS.search(line) or _is_links(line, link_texts):
            continue
        if skip_messages and gone_phrase(line):
            continue
        if not FOOTER.search(folded(line)):
            total += len(line)
    return total


def _is_links(line: str, link_texts: set[str]) -> bool:
    """A line that is one link, or mostly the text of links (a menu, a list of titles)."""
    if line in link_texts:
        return True
    if len(line) < PROSE_LINE_MIN_CHARS:
        return False
    rest = line
    for text in link_texts:
        if len(text) > 1 and text in rest:
            rest = rest.replace(text, "")
    return len(rest.strip()) < 0.3 * len(line)


def _path_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "", (parts.path.rstrip("/") or "/") + ("?" + parts.query if parts.query else ""))


def redirected_away(requested: str, final: str) -> bool:
    """Did the notice's URL redirect to a different page (home page, column, elsewhere)?

    http→https, a trailing slash, or a ``www.`` prefix alone are the same page.
    """
    a_host, a_path = _path_key(requested)
    b_host, b_path = _path_key(final)
    a_host, b_host = a_host.removeprefix("www."), b_host.removeprefix("www.")
    return (a_host, a_path) != (b_host, b_path)
