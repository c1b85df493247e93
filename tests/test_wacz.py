"""`portalwatch export --format wacz`: the WARC files of a real crawl as a WACZ package, checked
against the spec by reading the zip, by the `wacz` package's own validator, and replayed by pywb."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from storage.archive import Archive


def export_wacz(setup, target: Path, *extra: str):
    return setup.invoke("export", "--format", "wacz", "-o", str(target), *extra)


def notices(setup, site: str | None = None) -> dict[str, str]:
    """url -> title of every notice with a version (of one site)."""
    with Archive(setup.archive_path, readonly=True) as archive:
        return {page.url: archive.version(page.url).title for page in archive.pages(site) if page.versions}


def read_wacz(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as wacz:
        return {name: wacz.read(name) for name in wacz.namelist()}


def warc_records(data: bytes) -> list:
    out = []
    for record in ArchiveIterator(io.BytesIO(data)):
        out.append((record.rec_type, dict(record.rec_headers.headers), record.raw_stream.read()))
    return out


def assert_spec_layout(path: Path) -> dict[str, bytes]:
    """The files the WACZ spec (1.1.1) asks for, each hash in datapackage.json matching."""
    files = read_wacz(path)
    names = set(files)
    assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdxj", "pages/pages.jsonl"} <= names
    assert any(name.startswith("archive/") and name.endswith(".warc.gz") for name in names)
    package = json.loads(files["datapackage.json"])
    assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
    assert package["software"].startswith("portalwatch/") and package["created"].endswith("Z")
    resources = {resource["path"]: resource for resource in package["resources"]}
    assert set(resources) == names - {"datapackage.json", "datapackage-digest.json"}
    for name, resource in resources.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(files[name]).hexdigest(), name
        assert resource["bytes"] == len(files[name]), name
    digest = json.loads(files["datapackage-digest.json"])
    assert digest == {"path": "datapackage.json",
                      "hash": "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()}
    with zipfile.ZipFile(path) as wacz:
        for info in wacz.infolist():
            if info.filename.startswith("archive/"):
                assert info.compress_type == zipfile.ZIP_STORED, info.filename
    return files


def test_wacz_holds_the_warc_files_their_index_and_a_page_per_notice(crawled, tmp_path):
    target = tmp_path / "all.wacz"
    export_wacz(crawled, target)
    files = assert_spec_layout(target)
    directory = crawled.archive_path.parent / f"{crawled.archive_path.stem}.warc"
    originals = sorted(directory.glob("*.warc.gz"))
    # Without --site: every WARC file, byte for byte, and the index the crawl keeps.
    assert sorted(name for name in files if name.startswith("archive/")) == [f"archive/{p.name}" for p in originals]
    for original in originals:
        assert files[f"archive/{original.name}"] == original.read_bytes()
    assert files["indexes/index.cdxj"] == (directory / "index.cdxj").read_bytes()
    pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode("utf-8").splitlines()]
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    expected = notices(crawled)
    assert {page["url"]: page["title"] for page in pages[1:]} == expected
    indexed = {line.split(" ", 2)[0] for line in files["indexes/index.cdxj"].decode().splitlines()}
    for page in pages[1:]:
        assert page["ts"].endswith("Z") and page["text"] and page["id"]
        assert any(key.endswith(page["url"].split("/", 3)[3].lower()) for key in indexed), page["url"]


def test_wacz_of_one_site_holds_only_that_sites_records(crawled, tmp_path):
    target = tmp_path / "hunan.wacz"
    export_wacz(crawled, target, "--site", "hunan")
    files = assert_spec_layout(target)
    hunan = crawled.portal.base_url("hunan")
    records = [record for name, data in files.items() if name.startswith("archive/") for record in warc_records(data)]
    uris = {headers.get("WARC-Target-URI") for kind, headers, _ in records if kind != "warcinfo"}
    assert uris and all(uri.startswith(hunan) for uri in uris)
    infos = [payload.decode() for kind, _, payload in records if kind == "warcinfo"]
    assert infos and all("isPartOf: hunan" in info for info in infos)
    # Every response keeps its digest; the index points at each response and revisit where it now is.
    for kind, headers, payload in records:
        if kind == "response":
            from storage.warc import payload_digest

            assert headers["WARC-Payload-Digest"] == payload_digest(payload)
    lines = files["indexes/index.cdxj"].decode().splitlines()
    assert lines == sorted(lines)
    responses = [record for record in records if record[0] in ("response", "revisit")]
    assert len(lines) == len(responses)
    for line in lines:
        fields = json.loads(line.split(" ", 2)[2])
        data = files[f"archive/{fields['filename']}"]
        member = data[int(fields["offset"]):int(fields["offset"]) + int(fields["length"])]
        (kind, headers, _), = warc_records(member)
        assert headers["WARC-Target-URI"] == fields["url"]
    pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode("utf-8").splitlines()[1:]]
    assert {page["url"]: page["title"] for page in pages} == notices(crawled, "hunan")


def test_wacz_needs_an_output_file_and_only_site_filters(crawled, tmp_path):
    assert crawled.invoke("export", "--format", "wacz", ok=False).exit_code == 2
    assert crawled.invoke("export", "--format", "wacz", "-o", str(tmp_path / "x.wacz"), "--since", "2020-01-01",
                          ok=False).exit_code == 2
    unknown = crawled.invoke("export", "--format", "wacz", "-o", str(tmp_path / "x.wacz"), "--site", "nowhere",
                             ok=False)
    assert unknown.exit_code == 1 and "nowhere" in unknown.output


def wacz_cli() -> str | None:
    """The `wacz` command of the py-wacz package: on PATH, or named by WACZ_CLI. It is kept out
    of portalwatch's own environment: it installs chardet 7, which requests warns about on
    every import."""
    return os.environ.get("WACZ_CLI") or shutil.which("wacz")


@pytest.mark.parametrize("site", [None, "zhejiang"])
def test_wacz_passes_the_wacz_packages_validate(crawled, tmp_path, site):
    command = wacz_cli()
    if command is None:
        pytest.skip("the `wacz` package is not installed (pip install wacz in another venv and set WACZ_CLI to its"
                    " `wacz`); the layout and hashes are still checked by reading the zip")
    target = tmp_path / "package.wacz"
    export_wacz(crawled, target, *(["--site", site] if site else []))
    result = subprocess.run([command, "validate", "-f", str(target)], capture_output=True, text=True, check=False,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


# -- replay with pywb -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pywb_bin() -> Path | None:
    """pywb's scripts, from this venv or one named by PYWB_BIN (a folder with wb-manager and wayback).

    pywb is not installed in portalwatch's venv: it pins redis < 3 and would replace the
    redis 5+ client that `portalwatch worker` needs."""
    for folder in (os.environ.get("PYWB_BIN"), os.path.dirname(sys.executable)):
        if folder and (Path(folder) / "wb-manager").exists() and (Path(folder) / "wayback").exists():
            return Path(folder)
    return None


def test_pywb_replays_a_notice_from_the_warc_files(crawled, tmp_path):
    scripts = pywb_bin()
    if scripts is None:
        pytest.skip("pywb is not installed: it pins redis<3 and would downgrade the redis client the distributed"
                    " worker needs; set PYWB_BIN to the bin folder of a venv that has it")
    directory = crawled.archive_path.parent / f"{crawled.archive_path.stem}.warc"
    subprocess.run([str(scripts / "wb-manager"), "init", "pw"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run([str(scripts / "wb-manager"), "add", "pw", *map(str, sorted(directory.glob("*.warc.gz")))],
                   cwd=tmp_path, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(scripts / "wayback"), "-b", "127.0.0.1", "-p", str(port)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = crawled.portal.article_url("hunan", 0)
        with Archive(crawled.archive_path, readonly=True) as archive:
            text = archive.version(url).text
        replay = f"http://127.0.0.1:{port}/pw/mp_/{url}"
        body = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(replay, timeout=10) as answer:
                    body = answer.read()
                break
            except OSError:
                time.sleep(0.5)
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        page = body.decode("utf-8", "replace")
        sentence = max(text.splitlines(), key=len)[:30]  # a stretch of the notice's own text
        assert len(sentence) == 30 and sentence in page
    finally:
        server.terminate()
        server.wait(timeout=10)
