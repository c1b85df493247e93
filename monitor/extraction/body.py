"""Choose the notice body among candidates from several extraction paths.

Paths: the site's own CSS selector (when configured), trafilatura (fast mode, on our
already-parsed tree), and the prose-density scorer for old table layouts. Each
candidate is scored for quality the same way — length of prose, Chinese punctuation
density, share of text that is link text — and the best wins. trafilatura's slow
fallbacks (readability, jusText) are not used: the density scorer covers their cases.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from monitor.extraction.clean import strip_furniture
from monitor.extraction.density import PROSE_PUNCTUATION, best_content_node
from monitor.extraction.dom import node_text
from monitor.extraction.furniture import RELATED_START, folded

# The density pick is the default: on portal pages it keeps to one container, while
# trafilatura tends to add neighbouring blocks or whole forum threads. trafilatura is
# run only when the density pick has less prose than this (quality units ~ characters).
MIN_DENSITY_QUALITY = 40
# A density pick with less prose than this (two or three sentences) that holds less than this
# share of the page's prose is checked against trafilatura. The size bound keeps short notices
# on busy news pages (ia-a6e8b739: 173 of 4,668 prose characters, rightly) with the density pick.
FALLBACK_SHARE = 0.2
FALLBACK_MAX_PROSE = 150
_CELL_BAR = re.compile(r"\s\|\s|^\|\s?|\s?\|$")


@dataclass(slots=True)
class Candidate:
    name: str
    text: str
    quality: float
    note: str


def quality(text: str, link_texts: set[str]) -> float:
    """Prose characters, less link text and unpunctuated short pieces; higher is better.

    Lines are split at table-cell bars (trafilatura renders tables as ``a | b``) so a
    row of menu links counts as links, not as one long line of prose.
    """
    score = 0.0
    for line in text.split("\n"):
        for piece in _CELL_BAR.split(line):
            piece = piece.strip()
            n = len(piece.replace(" ", ""))
            if not n:
                continue
            punct = sum(1 for ch in piece if ch in PROSE_PUNCTUATION)
            if piece in link_texts:
                score -= 1.5 * n
            elif n >= 8 and (punct or n >= 60):
                score += n
            else:
                score -= 0.5 * n
    return score


def prose_chars(text: str, link_texts: set[str]) -> int:
    """Characters of prose in ``text``: the positive part of :func:`quality`."""
    total = 0
    for line in text.split("\n"):
        for piece in _CELL_BAR.split(line):
            piece = piece.strip()
            n = len(piece.replace(" ", ""))
            if n >= 8 and piece not in link_texts and (n >= 60 or any(ch in PROSE_PUNCTUATION for ch in piece)):
                total += n
    return total


def link_texts_of(root) -> set[str]:
    texts = set()
    for a in root.iter("a"):
        t = re.sub(r"\s+", " ", a.text_content()).strip()
        if t and len(t) > 1:
            texts.add(t)
    return texts


def prune_link_boxes(node) -> None:
    """Inside a chosen body, drop "related links" boxes and blocks that are nothing but links."""
    for el in list(node.iter("div", "ul", "ol", "table", "dl", "section")):
        if el is node or el.getparent() is None:
            continue
        text = re.sub(r"\s+", "", el.text_content())
        if not text:
            continue
        link_chars = sum(len(re.sub(r"\s+", "", a.text_content())) for a in el.iter("a"))
        heading_related = bool(RELATED_START.match(folded(el.text_content())))
        if heading_related and link_chars / len(text) > 0.3 or link_chars / len(text) > 0.8 and len(list(el.iter("a"))) >= 3:
            el.drop_tree()


def from_node(name: str, node, link_texts: set[str], note: str, title: str | None = None) -> Candidate:
    node = copy.deepcopy(node)
    prune_link_boxes(node)
    text = drop_link_rows(strip_furniture(node_text(node), title, node_text(node, mark_element_ends=True)),
                          link_texts)
    return Candidate(name, text, quality(text, link_texts), note)


_ROW_SEPARATORS = re.compile(r"\s*[|｜/·•]\s*|\s{2,}")


def drop_link_rows(text: str, link_texts: set[str]) -> str:
    """Drop lines made only of two or more links (网站地图 | 联系我们 | 使用帮助): a footer or
    menu row the pick took in with a short notice. One link alone on a line stays."""
    kept = []
    for line in text.split("\n"):
        pieces = [p for p in _ROW_SEPARATORS.split(line) if p]
        if len(pieces) >= 2 and all(p in link_texts for p in pieces):
            continue
        kept.append(line)
    return "\n".join(kept)


def trafilatura_candidate(root, url: str | None, link_texts: set[str], title: str | None = None) -> Candidate | None:
    import trafilatura  # imported here so the module loads fast for callers without it

    try:
        text = trafilatura.extract(copy.deepcopy(root), url=url, fast=True, include_comments=False,
                                   include_tables=True, deduplicate=False)
    except Exception as exc:  # noqa: BLE001 - trafilatura raises assorted errors on odd trees
        return Candidate("trafilatura", "", 0.0, f"trafilatura failed: {exc!r}")
    if not text:
        return None
    text = strip_furniture(text, title)
    return Candidate("trafilatura", text, quality(text, link_texts), "trafilatura main-text extraction")


def choose_body(root, url: str | None, content_selector: str | None = None,
                title: str | None = None, link_texts: set[str] | None = None,
                ) -> tuple[Candidate | None, list[Candidate]]:
    """Return the winning candidate and all candidates considered (for --explain)."""
    if link_texts is None:
        link_texts = link_texts_of(root)
    candidates: list[Candidate] = []
    if content_selector:
        try:
            matched = root.cssselect(content_selector)
        except Exception as exc:  # noqa: BLE001 - cssselect raises several error types on bad syntax
            matched = []
            candidates.append(Candidate("selector", "", 0.0, f"selector {content_selector!r} invalid: {exc}"))
        if matched:
            cand = from_node("selector", matched[0], link_texts, f"configured selector {content_selector!r}", title)
            if cand.text:
                return cand, [cand]
    pick = best_content_node(root)
    if pick is not None:
        density = from_node("density", pick.node, link_texts,
                            f"{pick.where or '<' + pick.node.tag + '>'} with the most prose (score {pick.score:.0f},"
                            f" {pick.prose} prose / {pick.links} link chars)", title)
        candidates.append(density)
        if density.text and density.quality >= MIN_DENSITY_QUALITY:
            picked = prose_chars(density.text, link_texts)
            if picked >= FALLBACK_MAX_PROSE or picked >= FALLBACK_SHARE * prose_chars(node_text(root), link_texts):
                return density, candidates
            # The pick holds a small part of the page's prose: a notice that continues past a
            # table or a block the scorer cut it at, or a page whose prose sits in boxes of
            # many kinds. trafilatura reads the page's structure instead; the better one wins.
            traf = trafilatura_candidate(root, url, link_texts, title)
            if traf is None or not traf.text or traf.quality <= density.quality:
                return density, candidates
            traf.note += f" (fallback: the density pick held only {picked} prose characters of a page with many more)"
            candidates.append(traf)
            return traf, candidates
    # The page has little prose (a short notice, a table, an image caption): trafilatura's
    # structural rules do better there than counting punctuation.
    traf = trafilatura_candidate(root, url, link_texts, title)
    if traf is not None:
        candidates.append(traf)
    real = [c for c in candidates if c.text]
    if not real:
        return None, candidates
    return max(real, key=lambda c: c.quality), candidates


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)
