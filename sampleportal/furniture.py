"""Page furniture: everything on a page that is not the notice and changes without it.

Real portals change visit counters on every request, date widgets every day, and related-link
boxes, sidebars and nav order whenever an editor touches the template. A monitor that calls
those edits is useless, so the sample portal changes them on purpose: per request (counter)
and per :meth:`SamplePortal.churn_boilerplate` generation (everything else).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from string import Template

from sampleportal import wording

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
WEEKDAYS = "一二三四五六日"
# Where off-site links point: a reserved name that never resolves (RFC 6761).
OFF_SITE = "http://example.invalid"


@dataclass(slots=True)
class Furniture:
    """What varies on a page besides the notice, fixed for one response."""

    generation: int  # bumped by churn_boilerplate
    visits: int  # 浏览次数 / 访问量: differs on every request
    today: date  # the date widget's day
    redesigned: bool
    host: str  # this site's netloc, e.g. 127.0.0.1:43211
    other_sites: dict[str, str] = field(default_factory=dict)  # site key -> base URL
    frame: str | None = None  # a template family's frame instead of the site's own

    @property
    def clock_text(self) -> str:
        """A clock widget (北京时间 hh:mm:ss) that moves on every request."""
        seconds = 8 * 3600 + self.visits * 37
        return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    @property
    def today_text(self) -> str:
        d = self.today
        return f"{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"

    def rotate(self, items: list | tuple) -> list:
        """The same items in a generation-dependent order (nav reshuffles)."""
        if not items:
            return []
        k = self.generation % len(items)
        return list(items[k:]) + list(items[:k])

    def related_links(self, count: int = 5) -> list[tuple[str, str]]:
        """(href, text) pairs for a 相关链接 box; which ones depends on the generation."""
        titles = self.rotate(wording.RELATED_LINKS)[:count]
        return [(f"{OFF_SITE}/xgxx/{self.generation}/{i}.html", t) for i, t in enumerate(titles)]


def widget_day(anchor: date, generation: int) -> date:
    """The date widget's day: the anchor, moved on one day per churn generation."""
    return anchor + timedelta(days=1 + generation)


@cache
def frame(name: str) -> Template:
    """A page frame from ``templates/``: header, nav and footer around ``$main``."""
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def links(pairs: list[tuple[str, str]], *, item: str = "<li><a href=\"{href}\" target=\"_blank\">{text}</a></li>") -> str:
    return "\n".join(item.format(href=esc(h), text=esc(t)) for h, t in pairs)
