"""Evidence packages: a real crawl of the sample portal, an edit, a check, then
`portalwatch evidence CHANGE_ID -o file.zip` and `--verify`."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from monitor.cli import cli
from storage.archive import Archive
from storage.warc import PROFILE_NOT_MODIFIED, payload_digest
from tests.conftest import make_setup


def check(setup) -> dict:
    return json.loads(setup.invoke("check", "--recheck", "all", "--workers", "0", "--json").output)


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """hunan crawled, re-checked unchanged (304s: revisit records), notice 1 edited and
    checked again; yields the setup, the edited change and its package."""
    from sampleportal import SamplePortal

    with SamplePortal() as portal:
        tmp_path = tmp_path_factory.mktemp("evidence")
        setup = make_setup(portal, tmp_path, sites=["hunan"])
        setup.invoke("crawl", "--workers", "0")
        check(setup)
        portal.edit_notice("hunan", 1)
        assert check(setup)["changes"] == {"edited": 1}
        (change,) = setup.json_lines("changes", "--kind", "edited")
        assert change["url"] == portal.article_url("hunan", 1)
        package = tmp_path / "evidence.zip"
        setup.invoke("evidence", str(change["id"]), "-o", str(package))
        yield setup, change, package


def warc_records(data: bytes) -> list[dict]:
    out = []
    for record in ArchiveIterator(io.BytesIO(data)):
        http = record.http_headers
        out.append({"type": record.rec_type, "headers": dict(record.rec_headers.headers),
                    "status": int(http.get_statuscode()) if http and record.rec_type != "request" else None,
                    "payload": record.raw_stream.read()})
    return out


def verify(path: Path):
    return CliRunner().invoke(cli, ["evidence", "--verify", str(path)])


def test_the_package_holds_both_captures_as_warc_records_with_the_revisit_resolved(edited):
    setup, change, package = edited
    with zipfile.ZipFile(package) as z:
        before = warc_records(z.read("warc/before.warc.gz"))
        after = warc_records(z.read("warc/after.warc.gz"))
        manifest = json.loads(z.read("manifest.json"))
    # Before: the last check before the edit answered 304, a revisit; its original response is there too.
    kinds = [r["type"] for r in before]
    assert kinds == ["response", "request", "revisit", "request"], kinds
    original, revisit = before[0], before[2]
    assert revisit["headers"]["WARC-Profile"] == PROFILE_NOT_MODIFIED
    assert revisit["headers"]["WARC-Refers-To"] == original["headers"]["WARC-Record-ID"]
    assert [r["type"] for r in after] == ["response", "request"]
    for response in (original, after[0]):
        assert response["status"] == 200 and response["payload"]
        assert response["headers"]["WARC-Payload-Digest"] == payload_digest(response["payload"])
        assert response["headers"]["WARC-Target-URI"] == change["url"]
    assert original["payload"] != after[0]["payload"]
    # The records are the archive's own, byte for byte: the ids the capture rows point to.
    roles = {entry["role"]: entry for entry in manifest["captures"]}
    with Archive(setup.archive_path, readonly=True) as archive:
        captures = {c.id: c for c in archive.captures(change["url"])}
    assert revisit["headers"]["WARC-Record-ID"] == captures[roles["before"]["capture_id"]].warc_record_id
    assert after[0]["headers"]["WARC-Record-ID"] == captures[roles["after"]["capture_id"]].warc_record_id


def test_the_package_holds_both_texts_the_diffs_and_a_manifest_whose_hashes_match(edited):
    setup, change, package = edited
    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        assert {"manifest.json", "warc/before.warc.gz", "warc/after.warc.gz", "text/before.txt", "text/after.txt",
                "diff/diff.txt", "diff/diff.unified.txt", "diff/diff.html"} <= names
        listed = {entry["path"]: entry for entry in manifest["files"]}
        assert set(listed) == names - {"manifest.json"}
        for name, entry in listed.items():
            data = z.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"], name
        before_text = z.read("text/before.txt").decode("utf-8")
        after_text = z.read("text/after.txt").decode("utf-8")
        diff_text = z.read("diff/diff.txt").decode("utf-8")
        diff_html = z.read("diff/diff.html").decode("utf-8")
    with Archive(setup.archive_path, readonly=True) as archive:
        versions = archive.versions(change["url"])
    assert versions[0].text in before_text and versions[1].text in after_text
    assert "[+" in diff_text and "[-" in diff_text
    assert "<ins>" in diff_html and "<del>" in diff_html and "<script" not in diff_html
    assert manifest["change"]["id"] == change["id"] and manifest["change"]["kind"] == "edited"
    assert manifest["url"] == change["url"]
    assert manifest["portalwatch_version"] and manifest["software"].startswith("portalwatch/")
    for entry in manifest["captures"]:
        assert entry["url"] == change["url"]
        assert entry["fetched_at"]["utc"].endswith("Z") and entry["fetched_at"]["+08:00"].endswith("+08:00")
        assert entry["warc"]["file"] == f"warc/{entry['role']}.warc.gz"
    statuses = {entry["role"]: entry["http_status"] for entry in manifest["captures"]}
    assert statuses == {"before": 304, "after": 200}
    assert manifest["attachments"] == [] and manifest["attachments_note"]


def test_verify_passes_on_the_package(edited):
    _, change, package = edited
    result = verify(package)
    assert result.exit_code == 0, result.output
    assert f"change #{change['id']}" in result.output


def rewrite(package: Path, target: Path, name: str, change) -> None:
    """Copy ``package`` to ``target`` with ``change(bytes)`` applied to member ``name``."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, change(data) if info.filename == name else data)


def flip_one_byte(data: bytes, at: int = 0) -> bytes:
    at = at if at >= 0 else len(data) + at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.mark.parametrize("name", ["text/after.txt", "warc/before.warc.gz", "diff/diff.html"])
def test_verify_fails_naming_the_file_with_one_byte_changed(edited, tmp_path, name):
    _, _, package = edited
    tampered = tmp_path / "tampered.zip"
    rewrite(package, tampered, name, lambda data: flip_one_byte(data, len(data) // 2))
    result = verify(tampered)
    assert result.exit_code == 1
    assert name in result.output
    others = {"text/after.txt", "warc/before.warc.gz", "diff/diff.html"} - {name}
    assert not any(other in result.output for other in others)


def test_verify_fails_on_a_byte_changed_in_the_zip_file_itself(edited, tmp_path):
    """A byte flipped in the stored WARC member's data: the zip's own CRC check fails, and the
    file is named all the same."""
    _, _, package = edited
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as z:
        info = z.getinfo("warc/after.warc.gz")
    header = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[header + info.compress_size // 2] ^= 0x01
    tampered = tmp_path / "flipped.zip"
    tampered.write_bytes(bytes(data))
    result = verify(tampered)
    assert result.exit_code == 1 and "warc/after.warc.gz" in result.output


def test_verify_names_a_file_added_or_removed(edited, tmp_path):
    _, _, package = edited
    added = tmp_path / "added.zip"
    rewrite(package, added, "", lambda data: data)
    with zipfile.ZipFile(added, "a") as z:
        z.writestr("text/extra.txt", "补充材料")
    result = verify(added)
    assert result.exit_code == 1 and "text/extra.txt" in result.output
    removed = tmp_path / "removed.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(removed, "w") as out:
        for info in source.infolist():
            if info.filename != "text/before.txt":
                out.writestr(info, source.read(info))
    result = verify(removed)
    assert result.exit_code == 1 and "text/before.txt" in result.output


def test_evidence_needs_an_output_and_a_known_change(edited, tmp_path):
    setup, _, _ = edited
    assert setup.invoke("evidence", "1", ok=False).exit_code == 2
    missing = setup.invoke("evidence", "99999", "-o", str(tmp_path / "x.zip"), ok=False)
    assert missing.exit_code == 1 and "99999" in missing.output
    assert not (tmp_path / "x.zip").exists()
