"""Article extraction: from a page's bytes to an :class:`~monitor.article.Article`.

``extract_article`` decodes (``spiders.encoding.decode_html``), parses the whole
document, picks the body among several paths (:mod:`.body`), reads metadata
(:mod:`.metadata`) and attachments, and never raises: a page it cannot read gives an
Article with empty text and an explanation saying why.
"""
from __future__ import annotations

from monitor.article import Article
from monitor.extraction.attachments import drop_attachment_lines, drop_attachment_lists, find_attachments
from monitor.extraction.body import choose_body, link_texts_of
from monitor.extraction.dom import ELEMENT_END, drop_invisible, node_text, parse_document, tidy_lines
from monitor.extraction.furniture import forget_lines, title_key
from monitor.extraction.metadata import extract_metadata, pick_title, read_meta
from monitor.removal import gone_message_on_page
from spiders.encoding import decode_html

__all__ = ["article_record", "extract_article"]


def extract_article(html: bytes | str, url: str | None = None, *, content_type: str | None = None,
                    content_selector: str | None = None) -> Article:
    """Body and metadata of one notice page. Never raises on bad input."""
    try:
        return _extract(html, url, content_type, content_selector)
    except Exception as exc:  # noqa: BLE001 - a bug or a pathological page must not stop a crawl
        return Article(url=url, explanation=f"extraction failed: {type(exc).__name__}: {exc}")
    finally:
        forget_lines()  # the line caches serve one page; keep no other page's text in memory


def _extract(html: bytes | str, url: str | None, content_type: str | None,
             content_selector: str | None) -> Article:
    if isinstance(html, bytes):
        text, encoding = decode_html(html, content_type)
    else:
        text, encoding = html, None
    root = parse_document(text)
    if root is None:
        return Article(url=url, encoding=encoding, explanation="empty or unparseable page")
    meta = read_meta(root)
    attachments = find_attachments(root, url)
    drop_invisible(root)
    body_el = root.find("body")
    marked = node_text(body_el if body_el is not None else root, mark_element_ends=True)
    marked_lines, page_lines = marked.split("\n"), tidy_lines(marked.replace(ELEMENT_END, "")).split("\n")
    if len(marked_lines) != len(page_lines):  # never expected; metadata then reads unmarked lines
        marked_lines = page_lines
    title, title_note = pick_title(root, meta, page_lines)
    drop_attachment_lists(root)
    link_texts = link_texts_of(root)
    best, candidates = choose_body(root, url, content_selector, title, link_texts)
    gone = gone_message_on_page(_page_title(root), _headings(root), page_lines, link_texts,
                                best.text if best is not None else "")
    first_body_line = best.text.split("\n", 1)[0] if best is not None and best.text else None
    md = extract_metadata(root, page_lines, title, meta, url, first_body_line, marked_lines, link_texts)
    considered = "; ".join(f"{c.name}: quality {c.quality:.0f}, {len(c.text)} chars ({c.note})" for c in candidates)
    if best is None:
        explanation = f"no body found. considered: {considered or 'nothing'}"
        body, extractor = "", ""
    else:
        body, extractor = drop_attachment_lines(_drop_title_line(best.text, title), attachments), best.name
        explanation = f"body from {best.name}: {best.note}. considered: {considered}"
    explanation += f". title: {title_note}"
    if md.notes:
        explanation += ". " + "; ".join(md.notes)
    if gone:
        explanation += f". the page says the notice is gone: {gone!r}"
    return Article(
        url=url, title=title, published=md.published, source=md.source, editor=md.editor, author=md.author,
        doc_number=md.doc_number, index_number=md.index_number, issuer=md.issuer, attachments=attachments,
        text=body, extractor=extractor, explanation=explanation, encoding=encoding, gone_message=gone,
    )


def _page_title(root) -> str | None:
    el = root.find(".//title")
    return " ".join(el.text_content().split()) if el is not None else None


def _headings(root) -> list[str]:
    return [" ".join(el.text_content().split()) for el in root.iter("h1", "h2", "h3")]


def _drop_title_line(text: str, title: str | None) -> str:
    """The headline is a field of its own; a body starting with it repeats it."""
    if not title:
        return text
    lines = text.split("\n")
    if lines and title_key(lines[0]) == title_key(title):
        return "\n".join(lines[1:])
    return text


def article_record(article: Article, file: str | None) -> dict:
    """The JSON object ``portalwatch extract`` prints for one file."""
    return {
        "file": file,
        "url": article.url,
        "title": article.title,
        "published": article.published,
        "source": article.source,
        "editor": article.editor,
        "author": article.author,
        "doc_number": article.doc_number,
        "index_number": article.index_number,
        "issuer": article.issuer,
        "attachments": [{"url": a.url, "text": a.text} for a in article.attachments],
        "text": article.text,
        "extractor": article.extractor,
        "explanation": article.explanation,
    }
