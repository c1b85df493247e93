"""The text inside an attachment: PDF, DOCX, XLSX and OFD.

Government notices put the policy itself in the attached file, so its words must be
searchable and its edits diffable. Each reader is tolerant: a file that cannot be read (a
scanned PDF has no text layer, a password, a truncated zip, a .pdf that is an HTML error
page) gives a :class:`FileText` saying so, never an exception.

- PDF: pypdf (pure Python, maintained by the py-pdf organisation).
- DOCX: the zip's ``word/document.xml`` read directly (``w:t`` runs, ``w:p`` paragraphs):
  python-docx would add a dependency for what is one XML walk.
- XLSX: openpyxl in read-only mode, cell values row by row.
- OFD (GB/T 33190, the Chinese fixed-layout format): a zip of XML; the text is in the
  ``TextCode`` nodes of each page's ``Content.xml``, read here page by page in document order.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree

from storage.attachments import READ_NO_TEXT, READ_TEXT, READ_UNREADABLE, READ_UNSUPPORTED

# Text kept per file: enough for search and diff of any real notice attachment.
MAX_TEXT_CHARS = 2_000_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PAGE_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class FileText:
    file_type: str | None  # "pdf", "docx", "xlsx", "ofd", or the name's extension
    readable: str  # storage.attachments READ_*
    text: str | None = None
    note: str | None = None


def file_type(body: bytes, url: str) -> str | None:
    """What the file is, by its bytes first (sites serve .pdf names for HTML error pages), then
    for zips by the parts inside, else by the URL's extension."""
    extension = PurePosixPath(unquote(urlsplit(url).path)).suffix.lower().lstrip(".") or None
    if body.startswith(b"%PDF"):
        return "pdf"
    if body.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return extension
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "OFD.xml" in names:
            return "ofd"
    return extension


def read_text(body: bytes, url: str) -> FileText:
    """The file's text, or why there is none."""
    kind = file_type(body, url)
    reader = READERS.get(kind or "")
    if reader is None:
        return FileText(kind, READ_UNSUPPORTED, note=f"text is not read from {kind or 'unknown'} files")
    try:
        text = reader(body)
    except Exception as exc:  # noqa: BLE001 - each library raises its own errors for a bad file
        return FileText(kind, READ_UNREADABLE, note=f"{type(exc).__name__}: {exc}"[:300])
    text = _tidy(text)[:MAX_TEXT_CHARS]
    if not text:
        note = "no text layer (a scanned document?)" if kind == "pdf" else "no text in the file"
        return FileText(kind, READ_NO_TEXT, note=note)
    return FileText(kind, READ_TEXT, text=text)


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    # pypdf logs a WARNING for every repaired file (EOF marker not found…); a file it cannot read
    # is recorded as unreadable by the caller, so its repairs are not news on the user's terminal.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    reader = PdfReader(io.BytesIO(body))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise ValueError("the PDF is password-protected")
        except Exception as exc:  # noqa: BLE001 - pypdf raises when the crypto backend or password is missing
            raise ValueError(f"the PDF is password-protected ({exc})") from None
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def docx_text(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"), _PARSER)
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        paragraphs.append("".join(node.text or "" for node in paragraph.iter(f"{_W}t", f"{_W}tab")))
    return "\n".join(paragraphs)


def xlsx_text(body: bytes) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        lines = []
        for sheet in workbook.worksheets:
            lines.append(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                cells = [str(value) for value in row if value is not None and str(value).strip()]
                if cells:
                    lines.append("\t".join(cells))
        return "\n".join(lines)
    finally:
        workbook.close()


def ofd_text(body: bytes) -> str:
    """Every ``TextCode`` of every page, pages in number order (Doc_N/Pages/Page_N/Content.xml);
    a text object's codes joined, one text object per line."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        if "OFD.xml" not in archive.namelist():
            raise ValueError("not an OFD package (no OFD.xml)")
        pages = [name for name in archive.namelist() if name.lower().endswith("content.xml") and "/pages/" in
                 name.lower()]
        pages.sort(key=lambda name: [int(n) for n in _PAGE_NUMBER.findall(name)])
        lines = []
        for name in pages:
            root = etree.fromstring(archive.read(name), _PARSER)
            if root is None:
                continue
            for text_object in root.iter("{*}TextObject"):
                lines.append("".join(code.text or "" for code in text_object.iter("{*}TextCode")))
        return "\n".join(lines)


READERS = {"pdf": pdf_text, "docx": docx_text, "xlsx": xlsx_text, "ofd": ofd_text}
