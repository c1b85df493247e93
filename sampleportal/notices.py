"""The notices a sample site publishes, generated from a seed rather than stored.

A portal of 20,000 notices per site must start instantly and use little memory, so a notice is
a pure function of (seed, site, index, total, anchor day): the same arguments always give the
same title, date, figures and paragraphs. Only notices that a test has changed are kept, as
mutable copies, by :mod:`sampleportal.state`.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone

from sampleportal import wording
from sampleportal.exemplars import BY_SITE as EXEMPLARS
from sampleportal.profiles import PROFILES

BEIJING = timezone(timedelta(hours=8))
# Notices are published during office hours (08:00-18:00) over the two years before the anchor day.
OFFICE_MINUTES_PER_DAY = 600
SPAN_DAYS = 730
ATTACHMENT_EXTENSIONS = ("pdf", "docx", "xlsx")


@dataclass(slots=True)
class Notice:
    """One notice as its publisher wrote it (no page furniture)."""

    site: str
    index: int
    docid: int
    column: str
    kind: str  # "notice" or "news"
    title: str
    published: datetime  # Beijing time, naive
    source: str  # 来源
    editor: str  # 责任编辑
    issuer: str  # 发布机关
    paragraphs: list[str]
    doc_number: str | None = None  # 发文字号
    index_number: str | None = None  # 索引号
    written: date | None = None  # 成文日期
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (file name, link text)
    modified: datetime | None = None  # UTC; when the content last changed (Last-Modified)
    shtml: bool = False  # TRS sites serve some articles as .shtml

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def published_text(self) -> str:
        """The date as the page prints it: ``2024-03-05 10:30``."""
        return self.published.strftime("%Y-%m-%d %H:%M")

    @property
    def last_modified(self) -> datetime:
        if self.modified is not None:
            return self.modified
        return self.published.replace(tzinfo=BEIJING).astimezone(UTC)

    @property
    def etag(self) -> str:
        """A strong validator over what the publisher wrote: furniture never changes it."""
        digest = hashlib.sha1(
            "\x1f".join(
                [
                    self.title,
                    self.published_text,
                    self.source,
                    self.editor,
                    self.doc_number or "",
                    self.index_number or "",
                    *self.paragraphs,
                    *(f"{name}|{label}" for name, label in self.attachments),
                ]
            ).encode("utf-8")
        ).hexdigest()
        return f'"{digest[:20]}"'

    def copy(self) -> Notice:
        return replace(self, paragraphs=list(self.paragraphs), attachments=list(self.attachments))


def published_at(index: int, total: int, anchor: date, rng: random.Random) -> datetime:
    """Index 0 is the newest; later indexes step back evenly over two years of office hours."""
    span = SPAN_DAYS * OFFICE_MINUTES_PER_DAY
    step = span / max(total, 1)
    offset = index * step + rng.random() * step * 0.5
    days_back, minutes_back = divmod(int(offset), OFFICE_MINUTES_PER_DAY)
    day = anchor - timedelta(days=days_back)
    minute_of_day = OFFICE_MINUTES_PER_DAY - 1 - minutes_back  # 17:59 downwards
    return datetime.combine(day, time(8, 0)) + timedelta(minutes=minute_of_day)


def generated_kind(site: str, index: int) -> str:
    """Column kind of a generated (non-exemplar) notice: every third is a notice, the rest news."""
    return "notice" if index % 3 == 0 or len(PROFILES[site].columns) == 1 else "news"


def is_shtml(site: str, index: int) -> bool:
    """TRS serves some articles as .shtml: every fifth generated hunan notice."""
    return site == "hunan" and index % 5 == 4


def locate(seed: int, site: str, index: int, total: int, anchor: date) -> Notice:
    """Enough of generated notice ``index`` to build its URL (date, column, id), without its text.

    Draws the date exactly as :func:`generate` does (first use of the same random stream).
    """
    profile = PROFILES[site]
    published = published_at(index, total, anchor, random.Random(f"{seed}:{site}:{index}"))
    kind = generated_kind(site, index)
    return Notice(
        site=site, index=index, docid=profile.docid_base + index, column=profile.column_for(kind).key,
        kind=kind, title="", published=published, source="", editor="", issuer="", paragraphs=[],
        shtml=is_shtml(site, index),
    )


def person(rng: random.Random) -> str:
    return rng.choice(wording.SURNAMES) + rng.choice(wording.GIVEN)


def generate(seed: int, site: str, index: int, total: int, anchor: date) -> Notice:
    """The notice at ``index`` of ``site``, exactly as ``seed`` makes it."""
    profile = PROFILES[site]
    rng = random.Random(f"{seed}:{site}:{index}")
    published = published_at(index, total, anchor, rng)
    exemplars = EXEMPLARS.get(site, ())
    if index < len(exemplars):
        return _from_exemplar(site, index, published, rng)
    kind = generated_kind(site, index)
    column = profile.column_for(kind)
    topic, measure, unit, project = rng.choice(wording.TOPICS)
    issuer, source = rng.choice(wording.ISSUERS)
    if site == "govcn":
        issuer, source = "国务院办公厅", rng.choice(("中国政府网", "新华社"))
    elif site == "zhejiang":
        issuer = issuer.replace("省", "浙江省", 1)
    year = published.year
    slots = _slots(rng, profile, published, topic, measure, unit, project, issuer)
    if kind == "notice":
        title = rng.choice(wording.TITLE_FORMS).format(**slots)
        paragraphs = _notice_paragraphs(rng, slots)
    else:
        source = rng.choice(wording.NEWS_SOURCES) if rng.random() < 0.5 else source
        title = rng.choice(wording.NEWS_TITLE_FORMS).format(**slots)
        paragraphs = _news_paragraphs(rng, slots)
    notice = Notice(
        site=site,
        index=index,
        docid=profile.docid_base + index,
        column=column.key,
        kind=kind,
        title=title,
        published=published,
        source=source,
        editor=person(rng),
        issuer=issuer,
        paragraphs=paragraphs,
        shtml=is_shtml(site, index),
    )
    if kind == "notice":
        notice.doc_number = f"{profile.doc_prefix}〔{year}〕{rng.randint(1, 68)}号"
        notice.index_number = f"{profile.index_prefix}/{year}-{notice.docid % 100000:05d}"
        notice.written = (published - timedelta(days=rng.randint(1, 9))).date()
        if rng.random() < 0.5:
            count = rng.randint(1, 3)
            labels = [f"{year}年{topic}工作任务分解表", "工作情况报送回执", f"{topic}情况统计表"][:count]
            notice.attachments = _attachment_files(notice, labels)
    return notice


def _slots(rng, profile, published, topic, measure, unit, project, issuer) -> dict[str, object]:
    m = published.month
    return {
        "year": published.year,
        "month": m,
        "m": m,
        "d": published.day,
        "m2": min(m + rng.randint(1, 3), 12),
        "topic": topic,
        "measure": measure,
        "unit": unit,
        "project": project,
        "issuer": issuer,
        "source_org": issuer,
        "area": rng.choice(profile.areas),
        "level": rng.choice(profile.levels),
        "upper": rng.choice(wording.UPPER),
        "gov": profile.government,
        "season": rng.choice(wording.SEASONS),
        "n": rng.randint(120, 9800),
        "n2": rng.randint(20, 600),
        "p": f"{rng.randint(600, 999) / 10:.1f}",
        "p2": f"{rng.randint(600, 999) / 10:.1f}",
        "money": f"{rng.randint(12, 980) / 10:.1f}",
        "count": rng.randint(3, 48),
        "leader": "副省长" if profile.key != "govcn" else "国务院有关负责同志",
        "name": person(rng),
        "phone": f"{profile.phone_prefix}{rng.randint(1000000, 9999999)}",
    }


def _notice_paragraphs(rng: random.Random, slots: dict) -> list[str]:
    level = slots["level"]
    paragraphs = [f"各{level}：", wording.INTRO.format(**slots)]
    sections = rng.randint(2, 4)
    facts = rng.sample(wording.FACT_SENTENCES, sections)
    duties = rng.sample(wording.DUTY_SENTENCES, len(wording.DUTY_SENTENCES))
    for k, heading in enumerate(wording.SECTION_HEADINGS[:sections]):
        paragraphs.append(heading)
        chosen = (facts[k], *duties[k :: sections][:2])
        paragraphs.append("".join(s.format(**slots) for s in chosen))
    close = dict(slots, m=slots["m2"], d=rng.randint(5, 28))
    paragraphs.append(wording.CLOSING.format(**close))
    paragraphs.append(wording.CONTACT.format(**slots))
    return paragraphs


def _news_paragraphs(rng: random.Random, slots: dict) -> list[str]:
    paragraphs = [wording.NEWS_OPENING.format(**slots)]
    paragraphs.extend(s.format(**slots) for s in wording.NEWS_SENTENCES[: rng.randint(3, 5)])
    return paragraphs


def _attachment_files(notice: Notice, labels: list[str]) -> list[tuple[str, str]]:
    stamp = notice.published.strftime("%Y%m%d")
    files = []
    for k, label in enumerate(labels):
        ext = ATTACHMENT_EXTENSIONS[k % len(ATTACHMENT_EXTENSIONS)]
        files.append((f"P0{stamp}{notice.docid % 1000000:06d}{k}.{ext}", f"{label}.{ext}"))
    return files


def _from_exemplar(site: str, index: int, published: datetime, rng: random.Random) -> Notice:
    profile = PROFILES[site]
    ex = EXEMPLARS[site][index]
    fill = {
        "year": published.year,
        "m": published.month,
        "d": published.day,
        "next_m": published.month % 12 + 1,
    }
    kind = "notice" if ex.paragraphs[0].endswith("：") else "news"
    notice = Notice(
        site=site,
        index=index,
        docid=profile.docid_base + index,
        column=profile.column_for(kind).key,
        kind=kind,
        title=ex.title.format(**fill),
        published=published,
        source=ex.source,
        editor=person(rng),
        issuer=ex.issuer,
        paragraphs=[p.format(**fill) for p in ex.paragraphs],
    )
    if kind == "notice":
        notice.doc_number = f"{profile.doc_prefix}〔{published.year}〕{7 + index}号"
        notice.index_number = f"{profile.index_prefix}/{published.year}-{notice.docid % 100000:05d}"
        notice.written = (published - timedelta(days=3)).date()
    notice.attachments = _attachment_files(notice, [a.format(**fill) for a in ex.attachments])
    return notice
