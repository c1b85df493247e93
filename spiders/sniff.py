"""Is a body HTML at all? A cheap look at its first bytes, whatever the Content-Type says.

Servers send PDFs, images, archives and other binary files as ``text/html`` (a CMS serving an
attachment through its page handler, a broken proxy). Extracting such bytes as a page stores
garbage text as a version; the monitor stores them as a capture with outcome ``not_html``
instead. Only the first kilobyte is read: a per-page cost of microseconds.
"""
from __future__ import annotations

# File signatures of formats that turn up where a notice page should be.
MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP/Office file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office file"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x1f\x8b", "gzip data"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "executable"),
    (b"MZ", "Windows executable"),
    (b"OggS", "audio"),
    (b"ID3", "audio"),
    (b"\x00\x00\x01\x00", "icon"),
)
SNIFF_BYTES = 1024
# Control bytes (not tab, newline, carriage return, form feed or escape) in text: binary when
# they are more than this share of the first kilobyte. UTF-16 pages start with a BOM.
CONTROL_SHARE = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c\x1b")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def sniff_not_html(body: bytes) -> str | None:
    """What the body is when it is plainly not an HTML page (``"PDF"``, ``"binary data"``),
    else None. Text without tags counts as HTML: the extractor decides what text it holds."""
    head = body[:SNIFF_BYTES]
    stripped = head.lstrip()
    for magic, kind in MAGIC:
        if stripped.startswith(magic):
            return kind
    if head.startswith(_UTF16_BOMS):
        return None
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if head and controls > CONTROL_SHARE * len(head):
        return "binary data"
    return None
