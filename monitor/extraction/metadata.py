"""Notice metadata: headline, publication time, source, editor, author, policy numbers.

Sources, most trusted first: what the page shows (labelled info lines and disclosure
tables, read by :mod:`monitor.extraction.labels`), then the CMS ``<meta>`` tags that
TRS / Hanweb / NFCMS templates emit (ArticleTitle, PubDate, ContentSource), then
``<title>``. The visible date wins over ``PubDate`` because the stored time is often the
database time, and the notice should carry a time of day only when the page shows one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.extraction.dates import (
    DATE_RE,
    URL_DATE_RE,
    US_DATE_RE,
    find_date,
    iso_datetime,
    jsonld_published,
    meta_published,
)
from monitor.extraction.dom import node_text
from monitor.extraction.furniture import RELATED_HEADING, folded, title_key
from monitor.extraction.labels import DOC_NUMBER_LINE, credited_author, labelled_values
from monitor.vocabulary import NOT_A_SOURCE

# CMS <meta> names (lower-case) by field; TRS/NFCMS use ArticleTitle/PubDate/ContentSource,
# news sites og:* and article:published_time, some portals firstpublishedtime.
META_TITLE = ("articletitle", "og:title", "twitter:title", "title")
META_SOURCE = ("contentsource", "source", "og:article:source")
META_AUTHOR = ("author", "article:author")

# Between the headline and the channel / site names in <title>: _ - | — · » (a middle dot
# only with spaces around it: unspaced it joins the parts of a transliterated name).
TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜»«›]|--|—+|\s[-–]\s|::|\s[·•]\s|-(?=[^-]*$))\s*")
# How far below the headline / above the body an unlabelled date may sit and still be
# the notice's date, and how long its line may be (longer lines are prose mentioning a date).
DATE_LINES_AFTER_TITLE = 12
DATE_LINES_BEFORE_BODY = 10
MAX_DATE_LINE_CHARS = 100
# Words next to a publication date on portal, news and blog templates.
DATE_WORDS = re.compile(r"发布时间|发布日期|发表|更新|时间|日期|来源|作者|编辑|张贴|by\s|posted", re.IGNORECASE)
# Page headers show today's date with the weekday (今天是 2005年6月14日 星期二).
TODAY_WORDS = re.compile(r"今天|今日|星期|农历|礼拜")
LEAD_TEXT_CHARS = 30
# An unlabelled 文号 line counts when it is this close to the headline or the body start.
DOC_NUMBER_LINES_NEAR = 6
DATE_WORD_WINDOW = 12
PROSE_MARKS = re.compile(r"[，。；]")
# A visible date with this many clues beats the <meta> date; weaker ones only follow it.
STRONG_DATE_CLUES = 3
# Dates in lists of other stories (·标题 (2005-04-27)) and 成文日期 are not this notice's.
LIST_ITEM = re.compile(r"^\s*[·•●◆■□▪\-]")
WRITTEN_WORDS = re.compile(r"成文日期|成文时间|印发日期|生效日期|废止日期|截止")


@dataclass(slots=True)
class Metadata:
    title: str | None = None
    published: str | None = None
    source: str | None = None
    editor: str | None = None
    author: str | None = None
    doc_number: str | None = None
    index_number: str | None = None
    issuer: str | None = None
    notes: tuple[str, ...] = ()


def read_meta(root) -> dict[str, str]:
    """``<meta name|property=… content=…>`` as a dict of lower-case name -> first non-empty value."""
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if name and content and name not in meta:
            meta[name] = content
    # schema.org microdata on any element (<time itemprop="datePublished" datetime=…>).
    for el in root.xpath("//*[@itemprop='datePublished' and (@datetime or @content)]"):
        meta.setdefault("datepublished", (el.get("content") or el.get("datetime")).strip())
        break
    for el in root.xpath("//script[@type='application/ld+json']"):
        if el.text and "datePublished" in el.text and (value := jsonld_published(el.text)):
            meta.setdefault("ld+json:datepublished", value.strip())
            break
    # The first <time datetime> of the page: HTML5 templates mark the article's time so.
    for el in root.iter("time"):
        if (value := (el.get("datetime") or "").strip()):
            meta.setdefault("time", value)
            break
    return meta


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"\s+", " ", value).strip(" \u3000:：|｜-")
    return value or None


def pick_title(root, meta: dict[str, str], page_lines: list[str] | None = None) -> tuple[str | None, str]:
    """The headline, and a note on where it came from."""
    page_title = ""
    for el in root.iter("title"):
        page_title = _clean(el.text_content()) or ""
        break
    candidates: list[str] = []
    headings = list(root.iter("h1", "h2", "h3")) + root.xpath(
        "//*[contains(@class,'title') or contains(@id,'title') or contains(@class,'Title') or contains(@id,'Title')]")
    for el in headings:
        text = _clean(" ".join(node_text(el).split("\n")))
        # The heading of a box of links (相关阅读, 热点推荐) is never the headline.
        if text and 4 <= len(text) <= 120 and not RELATED_HEADING.match(folded(text)):
            candidates.append(text)
    meta_title = _clean(meta.get("articletitle"))
    if meta_title:
        return meta_title, "meta ArticleTitle"
    squashed_title = title_key(page_title)
    # A heading that is only the site or channel name (the logo's <h1>) agrees with
    # <title> too; when <title> has several parts, those other than the longest are names.
    title_parts = [title_key(p) for p in TITLE_SEPARATORS.split(page_title) if p.strip()]
    names = set(title_parts) - {max(title_parts, key=len)} if len(title_parts) > 1 else set()
    agreeing = [c for c in candidates if (flat := title_key(c)) in squashed_title and flat not in names]
    if agreeing:
        return max(agreeing, key=len), "heading agreeing with <title>"
    shown_lines = {title_key(line) for line in page_lines or ()}
    for name in META_TITLE[1:3]:
        value = _clean(meta.get(name))
        if value and (not squashed_title or (flat := title_key(value)) in squashed_title
                      or flat in shown_lines):
            return value, f"meta {name}"
    if page_title:
        parts = [p.strip() for p in TITLE_SEPARATORS.split(page_title) if p.strip()]
        if parts:
            # The headline is usually first, site and channel names after it; some blogs
            # put the site first. A part that is also a line of the page is the headline.
            shown = title_key("".join(page_lines or ()))
            for k in range(len(parts), 0, -1):  # most parts first; of those, the longest
                runs = []
                for run in (parts[:k], parts[-k:]):
                    joined = page_title[page_title.find(run[0]):page_title.rfind(run[-1]) + len(run[-1])].strip()
                    if len(joined) >= 4 and title_key(joined) in shown:
                        runs.append(joined)
                if runs:
                    return max(runs, key=len), "<title> part shown on the page"
            return parts[0], "<title> without the site name"
    if candidates:
        return candidates[0], "first heading"
    return None, "no title found"


def extract_metadata(root, page_lines: list[str], title: str | None, meta: dict[str, str],
                     url: str | None, body_first_line: str | None = None,
                     marked_lines: list[str] | None = None, link_texts: set[str] | None = None) -> Metadata:
    """Read every field from the page's visible lines and its <meta> tags.

    ``marked_lines`` are the same lines with inline element ends marked
    (:func:`~monitor.extraction.dom.node_text`), so values end where their element does."""
    found = labelled_values(marked_lines or page_lines)
    first: dict[str, tuple[str, int]] = {}
    for field, value, index in found:
        first.setdefault(field, (value, index))
    notes: list[str] = []
    md = Metadata(title=title)

    # Dates and their clue words are read in Simplified (時 → 时, 發佈 → 发布); values are digits.
    md.published, note = pick_published([folded(line) for line in page_lines], found, _fold(title), meta, url,
                                        _fold(body_first_line), _link_entries(page_lines, link_texts or set()))
    notes.append(note)

    source = first.get("source", (None, 0))[0]
    if source:
        source = _first_token_run(source)
    if not source:
        # The CMS field defaults to 本网/本站 when nobody filled it in; a 来源：本网 printed
        # on the page is what the page says and is kept, so captures of both agree.
        source = _clean(meta.get("contentsource"))
        if source and folded(source.strip()) in NOT_A_SOURCE:
            source = None
    md.source = _clean(source)
    md.editor = _clean(_first_token_run(first["editor"][0])) if "editor" in first else None
    author = first.get("author", (None, 0))[0] or credited_author(page_lines) or meta.get("author")
    md.author = _clean(_first_token_run(author)) if author else None
    md.doc_number = _clean(first.get("doc_number", (None, 0))[0]) \
        or unlabelled_doc_number(page_lines, title, body_first_line)
    md.index_number = _clean(first.get("index_number", (None, 0))[0])
    md.issuer = _clean(first.get("issuer", (None, 0))[0])
    md.notes = tuple(notes)
    return md


def _link_entries(lines: list[str], link_texts: set[str]) -> frozenset[int]:
    """Lines that are an entry of a list of links: a link's text and a date (相关阅读, 热点,
    上一篇/下一篇 boxes). Their dates belong to the other notices."""
    out = set()
    for i, line in enumerate(lines):
        if len(line) <= MAX_DATE_LINE_CHARS and (m := DATE_RE.search(line)):
            rest = (line[:m.start()] + " " + line[m.end():]).strip(" ·•()（）[]【】|-")
            if len(rest) >= 4 and rest in link_texts:
                out.add(i)
    return frozenset(out)


def _fold(text: str | None) -> str | None:
    return folded(text) if text else text


def unlabelled_doc_number(lines: list[str], title: str | None, body_first_line: str | None) -> str | None:
    """A 文号 printed on its own line near the headline or just above the body, without a label."""
    titles = _title_lines(lines, title)
    body_line = _line_index(lines, body_first_line)
    for i, line in enumerate(lines):
        if not DOC_NUMBER_LINE.match(folded(line)):
            continue
        if any(0 < i - t <= DOC_NUMBER_LINES_NEAR for t in titles) \
                or (body_line is not None and 0 <= body_line - i <= DOC_NUMBER_LINES_NEAR):
            return re.sub(r"\s+", "", line)
    return None


def pick_published(lines: list[str], found: list[tuple[str, str, int]], title: str | None,
                   meta: dict[str, str], url: str | None, body_first_line: str | None,
                   link_entries: frozenset[int] = frozenset()) -> tuple[str | None, str]:
    """The notice's publication date (with time when shown), and where it came from.

    A labelled 发布时间/发布日期 wins. Otherwise every date on a short line is scored by
    the clues around it — a date word on the line (发表于, 更新, 时间), closeness below
    the headline, closeness above the body — and the best one wins if it has any clue.
    Then the CMS ``<meta>`` date, the 成文日期, and a date in the URL.
    """
    labelled = {index for field, value, index in found if field == "published" and find_date(value)}
    title_lines = _title_lines(lines, title)
    body_line = _line_index(lines, body_first_line)
    best: tuple[int, int, str] | None = None
    strong: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        if len(line) > MAX_DATE_LINE_CHARS or i in link_entries:
            continue
        found_date = _date_in(line)
        if found_date is None:
            continue
        value, start = found_date
        if i in labelled:
            label = next(v for f, v, k in found if k == i and f == "published" and find_date(v))
            value = find_date(label) or value
        near = line[max(0, start - DATE_WORD_WINDOW):start] + line[start:][:40]
        score = 4 if i in labelled else (3 if DATE_WORDS.search(near) else 0)
        if any(0 < i - t <= DATE_LINES_AFTER_TITLE for t in title_lines):
            score += 3
        if body_line is not None and 0 <= body_line - i <= DATE_LINES_BEFORE_BODY:
            score += 2
        elif body_line is not None and (i < body_line or 0 < i - body_line <= 2):
            score += 1
        if PROSE_MARKS.search(line) and i not in labelled:
            score -= 3  # a sentence that mentions a date
        if LIST_ITEM.match(line) or WRITTEN_WORDS.search(line) or TODAY_WORDS.search(line):
            score -= 5
        if i not in labelled and len(DATE_RE.sub("", line[:start]).strip()) > LEAD_TEXT_CHARS:
            score -= 2  # "<headline of another story> 2025-12-16": a list entry
        if best is None or score > best[0]:
            best = (score, i, value)
        if score >= STRONG_DATE_CLUES:
            strong.append((score, i, value))
    if best is not None and best[0] >= STRONG_DATE_CLUES and "T" not in best[2]:
        # The disclosure table shows the day, the info line the day and time: whichever
        # comes first in the template, the notice's time is the one with the clock.
        best = next((c for c in strong if c[2][:10] == best[2][:10] and "T" in c[2]), best)
    meta_date, meta_name = meta_published(meta)
    if best is not None and best[0] >= STRONG_DATE_CLUES:
        value = _day_month_order(best[2], lines[best[1]], meta_date)
        if "T" not in value and meta_date and "T" in meta_date and meta_date[:10] == value:
            # The page shows the day only; the CMS stored the same day with the time it
            # published the notice: that time is the notice's.
            return meta_date, f"date from line {best[1]} (clue score {best[0]}), time from meta {meta_name}"
        return value, f"date from line {best[1]} (clue score {best[0]})"
    if meta_date:
        return meta_date, f"date from meta {meta_name}"
    if best is not None and best[0] >= 1:
        return best[2], f"date from line {best[1]} (weak clue score {best[0]})"
    for field, value, _ in found:
        if field == "written" and (published := find_date(value)):
            return published, "date from 成文日期"
    if url:
        m = URL_DATE_RE.search(url)
        if m and (published := iso_datetime_from_parts(*m.groups())):
            return published, "date from the URL"
    return None, "no date found"


def _day_month_order(value: str, line: str, meta_date: str | None) -> str:
    """Read an ambiguous a/b/yyyy date day-first when the page's <meta> date says so."""
    if not meta_date or DATE_RE.search(line) or not US_DATE_RE.search(line):
        return value
    y, m, d = value[:4], value[5:7], value[8:10]
    if int(d) <= 12 and meta_date[:10] == f"{y}-{d}-{m}":
        return f"{y}-{d}-{m}" + value[10:]
    return value


def _date_in(line: str) -> tuple[str, int] | None:
    """The first date on a line (Chinese/ISO order, else US month/day/year) and where it starts."""
    for pattern, us in ((DATE_RE, False), (US_DATE_RE, True)):
        for m in pattern.finditer(line):
            if value := iso_datetime(m, us=us):
                return value, m.start()
    return None


def _title_lines(lines: list[str], title: str | None) -> list[int]:
    if not title:
        return []
    squashed = title_key(title)
    return [i for i, line in enumerate(lines) if title_key(line) == squashed]


def _line_index(lines: list[str], wanted: str | None) -> int | None:
    if not wanted:
        return None
    for i, line in enumerate(lines):
        if line == wanted:
            return i
    return None


def iso_datetime_from_parts(y: str, mo: str, d: str) -> str | None:
    y_, mo_, d_ = int(y), int(mo), int(d)
    if 1 <= mo_ <= 12 and 1 <= d_ <= 31:
        return f"{y_:04d}-{mo_:02d}-{d_:02d}"
    return None


def _first_token_run(value: str) -> str:
    """A label's value up to where the next thing on the line starts (a date, a bracket)."""
    value = DATE_RE.split(value, maxsplit=1)[0] if DATE_RE.search(value) else value
    value = re.split(r"[【\[]|\s{2,}", value, maxsplit=1)[0]
    return value.strip()


