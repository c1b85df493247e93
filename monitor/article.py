"""What extraction makes of a page: the notice body and its metadata."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file linked from a notice (pdf, doc, xls, ofd, zip...), with its link text."""

    url: str
    text: str


@dataclass(slots=True)
class Article:
    """The notice as a reader sees it, without page furniture.

    ``published`` is ISO 8601: ``YYYY-MM-DD`` when the page shows only a date,
    ``YYYY-MM-DDTHH:MM:SS+08:00`` when it shows a time (portal times are Beijing time).
    ``extractor`` names the path that produced ``text`` (e.g. ``trafilatura``,
    ``density``), and ``explanation`` says why it was chosen, for ``extract --explain``.
    """

    url: str | None = None
    title: str | None = None
    published: str | None = None
    source: str | None = None  # 来源 / 信息来源
    editor: str | None = None  # 责任编辑
    author: str | None = None  # 作者, 文/图 credits
    doc_number: str | None = None  # 文号 / 发文字号
    index_number: str | None = None  # 索引号
    issuer: str | None = None  # 发布机关 / 发文机关
    attachments: tuple[Attachment, ...] = ()
    text: str = ""
    extractor: str = ""
    explanation: str = ""
    encoding: str | None = None
    # What the page says when it is a withdrawn-notice page (该信息已删除 in the full site
    # template), read off the whole page rather than the body: see monitor.removal.
    gone_message: str | None = None
