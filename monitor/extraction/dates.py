"""Dates as portals print them, and as CMS tags and structured data store them.

Visible dates: 2024-03-05 10:30[:00], 2024年3月5日 10时30分, 2024/3/5, 2024.03.05, and the
US month-first order of old ASP pages (7/5/2005 9:23:57 PM). Machine dates: ISO 8601 with
or without an offset (converted to Beijing time), and compact 20240305[1030].

Every time is stored in one canonical form, ``YYYY-MM-DDTHH:MM:SS+08:00`` (seconds written
even when the page shows none), or ``YYYY-MM-DD`` when the page shows no time: one template
printing ``17:43`` and another ``17:43:00`` for the same notice store the same value.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

# 2024-03-05 10:30[:00], 2024年3月5日 10时30分, 2024/3/5, 2024.03.05
DATE_RE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?!\d)\s*分?(?:\s*[:：]\s*(\d{1,2})(?!\d)\s*秒?)?)?"
)
# US order used by old ASP pages: 7/5/2005 9:23:57 PM
US_DATE_RE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?:\s*-?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?",
                        re.IGNORECASE)
URL_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?!\d)")
# Beijing time: portals print local time without an offset.
BEIJING = "+08:00"
_BEIJING_TZ = timezone(timedelta(hours=8))
_ISO_WITH_OFFSET = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})\s*$")
_COMPACT = re.compile(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?\s*$")
# CMS <meta> names (lower-case) holding the publication time, most specific first: TRS /
# NFCMS PubDate, firstpublishedtime (people.com.cn and others), Open Graph and Dublin Core,
# schema.org itemprop; then <time datetime> and JSON-LD datePublished, read by read_meta.
META_PUBLISHED = ("pubdate", "firstpublishedtime", "article:published_time", "publishdate", "publish_date",
                  "og:release_date", "datepublished", "dc.date", "dc.date.issued", "dcterms.created",
                  "dcterms.issued", "releasedate", "date", "ld+json:datepublished", "time")
_JSONLD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


def iso_datetime(m: re.Match, us: bool = False) -> str | None:
    """ISO string for a date match: date only, or with time and Beijing offset."""
    if us:
        mo, d, y, h, mi, s, ampm = m.groups()
    else:
        y, mo, d, h, mi, s = m.groups()
        ampm = None
    y, mo, d = int(y), int(mo), int(d)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1990 <= y <= 2100):
        return None
    day = f"{y:04d}-{mo:02d}-{d:02d}"
    if h is None:
        return day
    h, mi = int(h), int(mi)
    if ampm:
        h = h % 12 + (12 if ampm.upper() == "PM" else 0)
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return day
    seconds = int(s) if s is not None else 0
    if not 0 <= seconds <= 59:
        seconds = 0
    return f"{day}T{h:02d}:{mi:02d}:{seconds:02d}{BEIJING}"


def find_date(text: str) -> str | None:
    m = DATE_RE.search(text)
    if m and (value := iso_datetime(m)):
        return value
    m = US_DATE_RE.search(text)
    if m:
        return iso_datetime(m, us=True)
    return None


def machine_date(value: str) -> str | None:
    """ISO string for a date stored by a CMS: ISO 8601 (an offset other than Beijing's is
    converted to Beijing time, as the page would print it), compact, or as printed."""
    m = _ISO_WITH_OFFSET.match(value)
    if m:
        day, clock, offset = m.groups()
        offset = "+00:00" if offset == "Z" else (offset if ":" in offset else offset[:3] + ":" + offset[3:])
        try:
            moment = datetime.fromisoformat(f"{day}T{clock}{offset}").astimezone(_BEIJING_TZ)
        except ValueError:
            return None
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + BEIJING
    m = _COMPACT.match(value)
    if m:
        y, mo, d, h, mi, sec = m.groups()
        if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
            return None
        day = f"{y}-{mo}-{d}"
        if h is None or int(h) > 23 or int(mi) > 59:
            return day
        return f"{day}T{h}:{mi}:{sec or '00'}" + BEIJING
    return find_date(value)


def meta_published(meta: dict[str, str]) -> tuple[str | None, str]:
    """The publication time the CMS stored, and the name it came from ('' when none)."""
    for name in META_PUBLISHED:
        if meta.get(name) and (value := machine_date(meta[name])):
            return value, name
    return None, ""


def jsonld_published(script_text: str) -> str | None:
    """``datePublished`` of a JSON-LD block (news sites), read with a regex when the
    block is not valid JSON (trailing commas are common)."""
    try:
        data = json.loads(script_text)
    except ValueError:
        m = _JSONLD_PUBLISHED.search(script_text)
        return m.group(1) if m else None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                return item["datePublished"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return None
