"""How a portal says a notice is gone without saying 404.

Many portal CMSs answer 200 with a stub page, or redirect to the home page, when a notice
is taken down. These markers are what such stubs say (seen on TRS, Hanweb and gov.cn
portals); a page whose whole text is short and carries one is a soft 404.
"""
from __future__ import annotations

from urllib.parse import urlsplit

# Stub texts of withdrawn notices: TRS "该信息已删除", Hanweb "信息已撤销"/"该文章已被删除",
# generic CMS "页面不存在"/"您访问的页面不存在"/"404".
SOFT_404_MARKERS = (
    "该信息已删除",
    "信息已删除",
    "该信息已撤销",
    "信息已撤销",
    "该文章已被删除",
    "文章已删除",
    "该页面已删除",
    "页面不存在",
    "您访问的页面不存在",
    "您访问的页面已删除",
    "页面未找到",
    "找不到该页面",
    "信息不存在",
    "该信息不存在",
    "内容已下线",
    "已被撤回",
    "404 Not Found",
    "Not Found",
)
# A removal stub is short; a real notice that quotes one of the phrases is long.
SOFT_404_MAX_CHARS = 200

REMOVED_STATUSES = (404, 410)


def soft_404_marker(title: str | None, text: str) -> str | None:
    """The marker that makes this page a removal stub, or None for a real notice."""
    body = (text or "").strip()
    if len(body) > SOFT_404_MAX_CHARS:
        return None
    haystack = f"{title or ''}\n{body}"
    for marker in SOFT_404_MARKERS:
        if marker in haystack:
            return marker
    return None


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
