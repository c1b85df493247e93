"""Files attached to a notice: the links a reader downloads (pdf, doc, xls, ofd, zip...)."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from monitor.article import Attachment

# Extensions of documents that portals attach to notices (ofd: China's fixed-layout format,
# wps/et: Kingsoft Office).
ATTACHMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar", "7z", "ppt", "pptx", "txt")
_EXT_RE = re.compile(r"\.(" + "|".join(ATTACHMENT_EXTENSIONS) + r")$", re.IGNORECASE)


def find_attachments(root, base_url: str | None) -> tuple[Attachment, ...]:
    """Every link to an attachment, absolute, with its link text; duplicates kept once."""
    seen: set[str] = set()
    found: list[Attachment] = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        path = urlsplit(href).path
        if not _EXT_RE.search(path):
            continue
        url = urljoin(base_url, href) if base_url else href
        if url in seen:
            continue
        seen.add(url)
        text = re.sub(r"\s+", " ", a.text_content()).strip() or (a.get("title") or "").strip()
        found.append(Attachment(url=url, text=text))
    return tuple(found)
