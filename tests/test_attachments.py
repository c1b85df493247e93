"""Attachments on the sample portal, crawled by the real CLI: fetched with their notice,
versioned with it (a file replaced behind the same link is one edit), read (PDF, DOCX, XLSX,
OFD) and searchable; a corrupt file is recorded as unreadable."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from storage import attachments as stored
from storage.archive import Archive
from tests.conftest import make_setup
from tests.test_monitor import changes, check


def make_pdf(words: str) -> bytes:
    """A one-page PDF whose text layer says ``words`` (ASCII), written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({words}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
         b" /Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_docx(text: str) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as docx:
        docx.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                      'package/2006/content-types"/>')
        docx.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}">'
                      f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def make_xlsx(cells: list[str]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row, value in enumerate(cells, 1):
        sheet.cell(row=row, column=1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_ofd(text: str) -> bytes:
    """A minimal OFD package (GB/T 33190): OFD.xml, a document and one page with one text object."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as ofd:
        ofd.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0"><ofd:DocBody>'
                     "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        ofd.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:Pages>'
                     '<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>')
        ofd.writestr("Doc_0/Pages/Page_0/Content.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}>'
                     '<ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" Boundary="0 0 100 10" Font="4" Size="5">'
                     f'<ofd:TextCode X="0" Y="5">{text}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content>'
                     "</ofd:Page>")
    return buffer.getvalue()


@pytest.fixture
def watched(portal, tmp_path):
    return make_setup(portal, tmp_path, retries=0, timeout=5)


def diff_json(setup, url: str) -> dict:
    return json.loads(setup.invoke("diff", url, "--format", "json").output)


def fetch_outcomes(setup, url: str) -> list[str]:
    with Archive(setup.archive_path, readonly=True) as archive:
        return [row[0] for row in archive.conn.execute(
            "SELECT outcome FROM attachment_fetches WHERE url = ? ORDER BY id", (url,))]


def test_attachment_replaced_behind_the_same_link_raises_one_edit_with_both_hashes(watched):
    portal = watched.portal
    notice = portal.article_url("hunan", 1)
    file_url = portal.set_attachment("hunan", 1, "P0roster.pdf", make_pdf("Floodgate inspection roster"),
                                     label="防汛检查安排表.pdf")
    check(watched)
    assert changes(watched, kinds=["edited"]) == []

    # Unchanged on re-check: a conditional request answered 304, nothing raised.
    report = check(watched)
    assert report["changes"] == {}, report
    assert fetch_outcomes(watched, file_url) == ["fetched", "not_modified"]
    with Archive(watched.archive_path, readonly=True) as archive:  # in the WARC files: a response, then a revisit
        rows = archive.conn.execute("SELECT warc_record_id, warc_refers_to FROM attachment_fetches WHERE url = ?"
                                    " ORDER BY id", (file_url,)).fetchall()
    assert rows[0][0] and rows[0][1] is None and rows[1][1] == rows[0][0]

    # Another file behind the same link; the notice page itself is byte for byte the same.
    portal.set_attachment("hunan", 1, "P0roster.pdf", make_pdf("Floodgate inspection roster revised for July"))
    report = check(watched)
    assert report["changes"] == {"edited": 1}, report
    (edited,) = changes(watched, kinds=["edited"])
    assert (edited.url, edited.fields) == (notice, ["attachments"])
    diff = diff_json(watched, notice)
    assert diff["fields"] == ["attachments"]
    (entry,) = diff["attachments"]
    assert (entry["name"], entry["url"], entry["change"]) == ("P0roster.pdf", file_url, "replaced")
    assert entry["old_sha256"] and entry["new_sha256"] and entry["old_sha256"] != entry["new_sha256"]
    assert any(op["op"] == "insert" and "July" in op["text"] for op in entry["text_diff"]["ops"])

    # And nothing more while it stays that way.
    assert check(watched)["changes"] == {}
    assert len(changes(watched, kinds=["edited"])) == 1


def test_added_and_renamed_attachment_links_each_raise_one_edit(watched):
    portal = watched.portal
    check(watched)
    body = make_docx("补充说明材料")
    portal.set_attachment("govcn", 2, "P0extra.docx", body, label="补充说明.docx")
    assert check(watched)["changes"] == {"edited": 1}
    assert changes(watched, kinds=["edited"])[0].fields == ["attachments"]
    portal.set_attachment("govcn", 2, "P0extra.docx", body, label="补充说明（修订）.docx")
    assert check(watched)["changes"] == {"edited": 1}
    entry = diff_json(watched, portal.article_url("govcn", 2))["attachments"][0]
    assert entry["change"] == "renamed" and entry["old_sha256"] == entry["new_sha256"]


def test_words_inside_pdf_docx_xlsx_and_ofd_attachments_are_searchable(watched):
    portal = watched.portal
    files = {
        "P0plan.pdf": (make_pdf("Reservoir dredging timetable"), "dredging"),
        "P0note.docx": (make_docx("关于做好汛期水库巡查工作的补充说明"), "水库巡查"),
        "P0table.xlsx": (make_xlsx(["乡镇名称", "堤防加固里程统计"]), "堤防加固"),
        "P0notice.ofd": (make_ofd("版式文件中的应急物资储备清单"), "应急物资储备"),
    }
    urls = {name: portal.set_attachment("zhejiang", 2, name, body, label=name) for name, (body, _) in files.items()}
    broken = portal.set_attachment("zhejiang", 2, "P0broken.docx", b"PK\x03\x04 truncated zip", label="损坏.docx")
    check(watched)
    notice = portal.article_url("zhejiang", 2)
    for name, (_, words) in files.items():
        hits = watched.json_lines("search", words)
        assert [(h["url"], h["attachment"]) for h in hits if h["attachment"]] == [(notice, urls[name])], name
    text = watched.invoke("search", "堤防加固").output
    assert f"in attachment {urls['P0table.xlsx']}" in text
    # Exported with the notice: each file's hash and the text read from it.
    out = watched.config_path.parent / "notices.jsonl"
    watched.invoke("export", "--format", "jsonl", "-o", str(out))
    (record,) = [r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines()) if r["url"] == notice]
    contents = {a["url"]: a.get("content") for a in record["attachments"]}
    assert "堤防加固里程统计" in contents[urls["P0table.xlsx"]] and contents[broken] is None
    # The corrupt file is recorded as unreadable; the notice is stored all the same.
    with Archive(watched.archive_path, readonly=True) as archive:
        version = archive.version(notice)
        by_url = {a["url"]: a.get("sha256") for a in version.attachments}
        unreadable = stored.file_by_sha(archive, by_url[broken])
        assert unreadable.readable == stored.READ_UNREADABLE and unreadable.note
        assert {stored.file_by_sha(archive, by_url[u]).readable for u in urls.values()} == {stored.READ_TEXT}
