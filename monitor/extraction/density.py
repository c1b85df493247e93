"""Find the article in a page by where readable Chinese prose is, not by tag names.

Old portal templates lay pages out in nested tables, and general extractors then
return the navigation table or nothing. Here each block of text gets a value: prose
(non-link text with Chinese sentence punctuation) counts for itself, link text and
short unpunctuated labels count against. The element whose subtree has the highest
total is the article: it takes in every paragraph of prose and stops before the
menus around it, because adding them would lower the total.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from monitor.extraction.containers import container_hint
from monitor.extraction.dom import BLOCK_TAGS, tag_of
from monitor.extraction.labels import MAX_INFO_LINE_CHARS, is_info_line

# Sentence punctuation of Chinese prose (full-width), plus the ASCII ones used in text.
PROSE_PUNCTUATION = frozenset("，。；：！？、“”‘’（）《》…—,.;:!?")
SENTENCE_ENDS = ("。", "！", "？")
# A block this long is prose even without punctuation (a headline-free paragraph).
LONG_BLOCK = 60
# Weights: a link character costs more than a prose character earns, because menus
# and "related" lists are made of links and must never be pulled into the body.
LINK_COST = 1.5
LABEL_COST = 0.5


@dataclass(slots=True)
class BlockStats:
    prose: int = 0  # non-space characters outside links
    links: int = 0  # non-space characters inside <a>
    punctuation: int = 0
    sentence: bool = False  # ends like a sentence (。！？): prose however short, e.g. 特此通告。
    head: str = ""  # the block's first characters, to tell an info line from prose

    def value(self) -> float:
        if (self.prose >= 8 and (self.punctuation or self.prose >= LONG_BLOCK) or self.sentence) \
                and not self.is_info_line():
            return self.prose - LINK_COST * self.links
        return -LABEL_COST * self.prose - LINK_COST * self.links

    def is_info_line(self) -> bool:
        """发布时间：… 来源：… has colons but is metadata, not prose: counted as a label so
        the article's block never grows to take the info line in (or not, by template)."""
        return self.prose + self.links <= MAX_INFO_LINE_CHARS and is_info_line(" ".join(self.head.split()))


def _count(text: str, stats: BlockStats, in_link: bool) -> None:
    n = sum(1 for ch in text if not ch.isspace())
    if not n:
        return
    if len(stats.head) <= MAX_INFO_LINE_CHARS:
        stats.head += text
    if in_link:
        stats.links += n
    else:
        stats.prose += n
        stats.punctuation += sum(1 for ch in text if ch in PROSE_PUNCTUATION)
        stats.sentence = text.rstrip().endswith(SENTENCE_ENDS)


@dataclass(slots=True)
class DensityPick:
    node: object
    score: float
    prose: int
    links: int
    where: str = ""


def best_content_node(root, scores: dict | None = None) -> DensityPick | None:
    """The element whose blocks add up to the most prose; None when the page has none.

    ``scores``, when given, receives every element's subtree total (for --explain and tests).
    """
    blocks: list[BlockStats] = []  # stack: the nearest block ancestor's stats
    totals: list[float] = []  # stack: running subtree totals
    prose_tot: list[int] = []
    link_tot: list[int] = []
    opened: list[bool] = []  # stack: did this element open a block
    link_depth = 0
    best: DensityPick | None = None
    scores_all: dict = {} if scores is None else scores
    prose_of: dict = {}
    links_of: dict = {}
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = tag_of(el)
        if event == "start":
            if tag == "a":
                link_depth += 1
            opens_block = tag in BLOCK_TAGS or not blocks
            if opens_block:
                blocks.append(BlockStats())
            opened.append(opens_block)
            totals.append(0.0)
            prose_tot.append(0)
            link_tot.append(0)
            if el.text and tag:
                _count(el.text, blocks[-1], link_depth > 0)
            continue
        # end event: close this element, then account its tail to the enclosing block
        subtotal, sub_prose, sub_links = totals.pop(), prose_tot.pop(), link_tot.pop()
        if opened.pop():
            stats = blocks.pop()
            subtotal += stats.value()
            sub_prose += stats.prose
            sub_links += stats.links
        if tag == "a":
            link_depth -= 1
        scores_all[el] = subtotal
        prose_of[el] = sub_prose
        links_of[el] = sub_links
        # deepest of equals wins; a known article-container name breaks near ties
        if subtotal > 0 and tag not in ("html", "body"):
            rank = subtotal * container_hint(el)
            if best is None or rank > best.score:
                best = DensityPick(el, rank, sub_prose, sub_links)
        if totals:
            totals[-1] += subtotal
            prose_tot[-1] += sub_prose
            link_tot[-1] += sub_links
            if el.tail and blocks:
                _count(el.tail, blocks[-1], link_depth > 0)
    if best is None:
        return None
    run = _best_child_run(root, scores_all)
    if run is not None and run[0] > best.score:
        score, parent, start, end = run
        start = _extend_over_opening_blocks(parent, start, prose_of, links_of)
        end = _extend_over_closing_blocks(parent, end, prose_of, links_of)
        wrapper = parent.makeelement("div", {})
        for child in parent[start:end + 1]:
            wrapper.append(copy.deepcopy(child))  # deepcopy keeps each child's tail text
        prose = sum(prose_of[c] for c in parent[start:end + 1])
        links = sum(links_of[c] for c in parent[start:end + 1])
        return DensityPick(wrapper, score, prose, links, f"children {start}-{end} of <{tag_of(parent)}>")
    return best


# After the last paragraph of a notice come its closing lines — 特此通告。, the issuing
# office, the date — and data tables; they are short or unpunctuated, so the run stops
# before them. Following siblings without links are taken back in.
CLOSING_SIBLINGS = 6
CLOSING_BLOCK_CHARS = 40
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# The addressee line of an official document ends with a colon: 各有关部门：
ADDRESSEE = re.compile(r"[^\d\s:：][：:]$")


def _extend_over_closing_blocks(parent, end: int, prose_of: dict, links_of: dict) -> int:
    for offset in range(1, CLOSING_SIBLINGS + 1):
        if end + 1 >= len(parent):
            break
        sibling = parent[end + 1]
        if links_of.get(sibling, 0) or not isinstance(sibling.tag, str):
            break
        if tag_of(sibling) != "table" and prose_of.get(sibling, 0) > CLOSING_BLOCK_CHARS:
            break
        end += 1
    return end


def _extend_over_opening_blocks(parent, start: int, prose_of: dict, links_of: dict) -> int:
    """Before the first paragraph of a notice comes its addressee line (各有关部门：), too
    short to count as prose, so the run starts after it on one template and not on
    another. A preceding addressee line without links is taken back in (empty blocks
    between are passed over)."""
    k = start
    for _ in range(CLOSING_SIBLINGS):
        if k == 0:
            break
        sibling = parent[k - 1]
        if links_of.get(sibling, 0) or not isinstance(sibling.tag, str) or tag_of(sibling) in HEADING_TAGS:
            break
        text = "".join(sibling.text_content().split())
        if not text:
            k -= 1
            continue
        if len(text) <= CLOSING_BLOCK_CHARS and ADDRESSEE.search(text) and not is_info_line(text):
            start = k - 1
        break
    return start


def _best_child_run(root, scores: dict) -> tuple[float, object, int, int] | None:
    """Best run of adjacent siblings (Kadane over each element's children's totals).

    Old templates put the paragraphs of a story straight into a layout cell that also
    holds headline tables, "related" lists and adverts; no single element is the
    article there, but a run of its children is.
    """
    best: tuple[float, object, int, int] | None = None
    for parent in root.iter():
        if len(parent) < 2:
            continue
        run_score, run_start = 0.0, 0
        for i, child in enumerate(parent):
            value = scores.get(child, 0.0)
            if run_score <= 0:
                run_score, run_start = value, i
            else:
                run_score += value
            if run_score > 0 and i > run_start and (best is None or run_score > best[0]):
                best = (run_score, parent, run_start, i)
    return best
