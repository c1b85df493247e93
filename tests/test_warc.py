"""WARC files: every fetch of a real crawl (the CLI against servers on 127.0.0.1) is written,
valid for warcio, indexed, readable back, and importable from files written by other tools."""
from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from monitor.cli import cli
from monitor.extraction import extract_article
from storage.archive import Archive
from storage.warc import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, payload_digest
from tests.conftest import make_setup

WARCIO = [sys.executable, "-m", "warcio.cli"]


def warc_files(archive_path: Path) -> list[Path]:
    return sorted((archive_path.parent / f"{archive_path.stem}.warc").glob("*.warc.gz"))


def records(path: Path) -> list[dict]:
    """Every record of a file: WARC headers, HTTP status/headers and the payload as stored."""
    out = []
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            http = record.http_headers
            payload = record.raw_stream.read()
            out.append({"type": record.rec_type, "headers": dict(record.rec_headers.headers),
                         "status": int(http.get_statuscode()) if http and record.rec_type != "request" else None,
                         "http": list(http.headers) if http else [], "payload": payload,
                         "offset": iterator.get_record_offset()})
    return out


def all_records(archive_path: Path) -> list[dict]:
    return [record for path in warc_files(archive_path) for record in records(path)]


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def header(record: dict, name: str) -> str | None:
    return next((value for key, value in record["http"] if key.lower() == name.lower()), None)


# -- the sample portal -----------------------------------------------------------------------


def test_crawl_writes_warc_files_that_warcio_checks_and_indexes(crawled):
    files = warc_files(crawled.archive_path)
    assert files, "the crawl wrote no WARC file"
    for path in files:
        check = subprocess.run([*WARCIO, "check", "-v", str(path)], check=False, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        index = subprocess.run([*WARCIO, "index", "-f", "warc-type,warc-record-id", str(path)],
                               capture_output=True, text=True, check=True)
        listed = [json.loads(line)["warc-record-id"] for line in index.stdout.splitlines()]
        assert listed == [record["headers"]["WARC-Record-ID"] for record in records(path)]
    every = all_records(crawled.archive_path)
    kinds = {record["type"] for record in every}
    assert {"warcinfo", "response", "request"} <= kinds
    responses = [record for record in every if record["type"] == "response"]
    requests = [record for record in every if record["type"] == "request"]
    assert len(requests) == len(responses)
    concurrent = {record["headers"]["WARC-Concurrent-To"] for record in requests}
    assert concurrent == {record["headers"]["WARC-Record-ID"] for record in responses}
    for record in responses:
        assert record["headers"]["WARC-Payload-Digest"] == payload_digest(record["payload"])
        assert record["headers"]["WARC-IP-Address"] == "127.0.0.1"
        assert record["headers"]["WARC-Warcinfo-ID"]
    info = next(record for record in every if record["type"] == "warcinfo")
    text = info["payload"].decode("utf-8")
    assert "software: portalwatch/" in text and '"start_urls"' in text and "isPartOf:" in text


def test_index_cdxj_is_what_cdxj_indexer_writes(crawled):
    from cdxj_indexer.main import CDXJIndexer

    directory = crawled.archive_path.parent / f"{crawled.archive_path.stem}.warc"
    expected = directory / "expected.cdxj"
    CDXJIndexer(output=str(expected), inputs=[str(p) for p in warc_files(crawled.archive_path)],
                sort=True).process_all()
    ours = (directory / "index.cdxj").read_text(encoding="utf-8").splitlines()
    assert ours == sorted(ours)
    assert ours == expected.read_text(encoding="utf-8").splitlines()
    expected.unlink()


def test_every_capture_row_points_to_its_record(crawled):
    with Archive(crawled.archive_path, readonly=True) as archive:
        for page in archive.pages():
            for capture in archive.captures(page.url):
                assert capture.warc_record_id, f"capture {capture.id} of {page.url} has no WARC record"
                record = archive.warc_record(capture.id)
                assert record.record_id == capture.warc_record_id
                assert record.target_uri == capture.final_url


def test_show_raw_reads_the_same_bytes_from_the_warc_files(crawled):
    with Archive(crawled.archive_path, readonly=True) as archive:
        urls = [page.url for page in archive.pages() if page.versions]
    assert urls
    for url in urls:
        stored = crawled.invoke("show", url, "--raw").stdout_bytes
        from_warc = crawled.invoke("show", url, "--raw", "--from-warc").stdout_bytes
        assert stored and from_warc == stored


def test_a_capture_is_read_and_re_extracted_from_the_warc_alone(portal, tmp_path):
    setup = make_setup(portal, tmp_path, sites=["hunan"])
    setup.invoke("crawl", "--workers", "0")
    url = portal.article_url("hunan", 0)
    stored = setup.invoke("show", url, "--raw").stdout_bytes
    conn = sqlite3.connect(setup.archive_path)
    conn.execute("DELETE FROM blobs")  # the archive file keeps no page bytes any more
    conn.commit()
    conn.close()
    assert setup.invoke("show", url, "--raw").stdout_bytes == stored
    with Archive(setup.archive_path, readonly=True) as archive:
        version = archive.version(url)
        capture = archive.capture_of_version(version)
        body = archive.warc_body(capture.id)
    article = extract_article(body, url, content_type=capture.headers.get("content-type"))
    assert article.text == version.text and article.title == version.title
    report = setup.invoke("reextract", "--workers", "0", "--json").output
    assert json.loads(report.splitlines()[-1])["skipped"] == 0


def test_a_304_re_fetch_is_a_server_not_modified_revisit(portal, tmp_path):
    setup = make_setup(portal, tmp_path, sites=["hunan"])
    setup.invoke("crawl", "--workers", "0")
    setup.invoke("crawl", "--workers", "0", "--recheck", "all")
    every = all_records(setup.archive_path)
    revisits = [record for record in every if record["type"] == "revisit"]
    assert revisits and all(record["status"] == 304 for record in revisits)
    by_id = {record["headers"]["WARC-Record-ID"]: record for record in every}
    for revisit in revisits:
        assert revisit["headers"]["WARC-Profile"] == PROFILE_NOT_MODIFIED
        original = by_id[revisit["headers"]["WARC-Refers-To"]]
        assert original["type"] == "response" and original["status"] == 200
        assert revisit["headers"]["WARC-Refers-To-Target-URI"] == original["headers"]["WARC-Target-URI"]
        assert revisit["headers"]["WARC-Refers-To-Date"] == original["headers"]["WARC-Date"]
        assert revisit["payload"] == b""
    for path in warc_files(setup.archive_path):
        assert subprocess.run([*WARCIO, "check", str(path)], check=False, capture_output=True).returncode == 0


def test_warc_false_writes_no_warc_file(portal, tmp_path):
    per_site = make_setup(portal, folder(tmp_path, "site"), sites=["hunan"], warc=False)
    per_site.invoke("crawl", "--workers", "0")
    assert warc_files(per_site.archive_path) == []
    top = make_setup(portal, folder(tmp_path, "top"), sites=["hunan"])
    top.config_path.write_text("warc = false\n" + top.config_path.read_text(encoding="utf-8"), encoding="utf-8")
    top.invoke("crawl", "--workers", "0")
    assert warc_files(top.archive_path) == []
    with Archive(top.archive_path, readonly=True) as archive:
        assert archive.counts()["captures"] > 0


def test_files_rotate_at_the_configured_size(portal, tmp_path):
    setup = make_setup(portal, tmp_path, sites=["hunan"])
    setup.config_path.write_text('warc_max_size = "20KB"\n' + setup.config_path.read_text(encoding="utf-8"),
                                 encoding="utf-8")
    setup.invoke("crawl", "--workers", "0")
    files = warc_files(setup.archive_path)
    assert len(files) >= 3
    for path in files:
        kinds = [record["type"] for record in records(path)]
        assert kinds[0] == "warcinfo" and "response" in kinds
        assert path.stat().st_size < 20_000 + 64_000  # closed once past the limit (one fetch may overshoot)


def test_bad_warc_keys_are_config_errors(tmp_path):
    from monitor.config import ConfigError, parse_config

    site = {"name": "a", "start_urls": ["http://127.0.0.1/"]}
    with pytest.raises(ConfigError, match="'warc'"):
        parse_config({"site": [{**site, "warc": "no"}]})
    with pytest.raises(ConfigError, match="warc_max_size"):
        parse_config({"warc_max_size": "big", "site": [site]})
    assert parse_config({"warc_max_size": "500MB", "site": [site]}).warc_max_size == 500_000_000


# -- content-encoding and chunking, identical re-fetches: a tiny server ------------------------

NOTICE = ("<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
          "<div class='info'>发布日期：2026-03-05 来源：省政府办公厅</div><div class='article'>{paragraphs}</div>"
          "</body></html>")


def notice_page(title: str) -> bytes:
    paragraphs = "".join(f"<p>{title}。各地各部门要认真贯彻落实第{i}项工作要求，切实加强组织领导，细化工作措施，"
                         "确保各项任务按期完成，并及时报送工作进展情况。</p>" for i in range(1, 8))
    return NOTICE.format(title=title, paragraphs=paragraphs).encode("utf-8")


GZIP_PATH = "/art/2026/3/5/art_1_101.html"
CHUNKED_PATH = "/art/2026/3/5/art_1_102.html"
PAGES = {GZIP_PATH: notice_page("关于做好春季森林防火工作的通知"),
         CHUNKED_PATH: notice_page("关于开展安全生产大检查的通知")}
# Fixed gzip bytes (mtime 0), so an identical re-fetch sends identical bytes.
GZIPPED = gzip.compress(PAGES[GZIP_PATH], mtime=0)
LISTING = ("<html><head><meta charset='utf-8'></head><body><ul>"
           + "".join(f"<li><a href='{path}'>通知</a></li>" for path in PAGES) + "</ul></body></html>").encode()


class EncodingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/col/col1/index.html":
            self._send(LISTING)
        elif self.path == GZIP_PATH:
            self._send(GZIPPED, ("Content-Encoding", "gzip"))
        elif self.path == CHUNKED_PATH:
            body = PAGES[CHUNKED_PATH]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1000):
                piece = body[start:start + 1000]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._send(b"not found", status=404)

    def _send(self, body: bytes, *extra: tuple[str, str], status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def encoding_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EncodingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def encoding_config(base: str, tmp_path: Path) -> Path:
    config = tmp_path / "sites.toml"
    config.write_text(f'archive = "archive.db"\n[[site]]\nname = "enc"\nstart_urls = ["{base}/col/col1/index.html"]\n'
                      f'allowed_domains = ["{base.split("//")[1]}"]\ndownload_delay = 0\nnot_found_probe = false\n',
                      encoding="utf-8")
    return config


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_gzip_and_chunked_answers_are_recorded_as_sent_and_identical_refetches_are_revisits(
        encoding_server, tmp_path):
    config = encoding_config(encoding_server, tmp_path)
    archive_path = tmp_path / "archive.db"
    run("crawl", "--config", str(config), "--workers", "0")
    first = all_records(archive_path)
    by_url = {record["headers"]["WARC-Target-URI"]: record for record in first if record["type"] == "response"}
    gzipped = by_url[encoding_server + GZIP_PATH]
    assert header(gzipped, "Content-Encoding") == "gzip"
    assert gzipped["payload"] == GZIPPED  # the bytes as sent, still gzip-encoded
    assert gzipped["headers"]["WARC-Payload-Digest"] == payload_digest(GZIPPED)
    chunked = by_url[encoding_server + CHUNKED_PATH]
    assert chunked["payload"] == PAGES[CHUNKED_PATH]  # chunking removed
    assert header(chunked, "Transfer-Encoding") is None  # a reader must not de-chunk it again
    # The archive keeps the decoded page, the WARC the encoded one; both read back the same.
    for path, page in PAGES.items():
        for source in ([], ["--from-warc"]):
            shown = CliRunner().invoke(cli, ["show", encoding_server + path, "--raw", *source, "--archive",
                                             str(archive_path)])
            assert shown.exit_code == 0 and shown.stdout_bytes == page

    run("crawl", "--config", str(config), "--workers", "0", "--recheck", "all")
    second = [record for record in all_records(archive_path) if record not in first]
    revisits = {record["headers"]["WARC-Target-URI"]: record for record in second if record["type"] == "revisit"}
    assert set(revisits) == {encoding_server + GZIP_PATH, encoding_server + CHUNKED_PATH}
    for url, revisit in revisits.items():
        original = by_url[url]
        assert revisit["headers"]["WARC-Profile"] == PROFILE_IDENTICAL
        assert revisit["status"] == 200 and revisit["payload"] == b""
        assert revisit["headers"]["WARC-Payload-Digest"] == original["headers"]["WARC-Payload-Digest"]
        assert revisit["headers"]["WARC-Refers-To"] == original["headers"]["WARC-Record-ID"]
        assert revisit["headers"]["WARC-Refers-To-Target-URI"] == url
        assert revisit["headers"]["WARC-Refers-To-Date"] == original["headers"]["WARC-Date"]
    for path in warc_files(archive_path):
        check = subprocess.run([*WARCIO, "check", str(path)], check=False, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout


# -- import-warc -----------------------------------------------------------------------------


def notices_of(archive_path: Path) -> dict[str, list[tuple]]:
    with Archive(archive_path, readonly=True) as archive:
        return {page.url: [(v.number, v.title, v.published, v.source, v.text) for v in archive.versions(page.url)]
                for page in archive.pages() if page.versions}


def capture_with_warcio(path: Path, urls: list[str]) -> None:
    """Fetch ``urls`` with requests while warcio's capture_http writes them to ``path``."""
    code = ("import sys\nfrom warcio.capture_http import capture_http\nimport requests\n"
            "with capture_http(sys.argv[1]):\n    for url in sys.argv[2:]:\n        requests.get(url)\n")
    subprocess.run([sys.executable, "-c", code, str(path), *urls], check=True)


def test_import_warc_from_another_writer_stores_what_a_crawl_stores(portal, tmp_path):
    crawl = make_setup(portal, folder(tmp_path, "crawl"), sites=["hunan"])
    crawl.invoke("crawl", "--workers", "0")
    urls = sorted(notices_of(crawl.archive_path))
    listings = list(portal.start_urls("hunan"))
    capture_with_warcio(tmp_path / "first.warc.gz", listings + urls)
    edited = portal.article_url("hunan", 1)
    portal.edit_notice("hunan", 1)
    crawl.invoke("crawl", "--workers", "0", "--recheck", "all")
    capture_with_warcio(tmp_path / "second.warc.gz", listings + urls)

    imported = make_setup(portal, folder(tmp_path, "imported"), sites=["hunan"])
    output = imported.invoke("import-warc", str(tmp_path / "first.warc.gz"), str(tmp_path / "second.warc.gz"),
                             "--json").output
    report = json.loads(output.splitlines()[-1])
    assert report["imported"] == 2 * len(urls) and report["changes"].get("edited") == 1
    expected = notices_of(crawl.archive_path)
    assert len(expected[edited]) == 2
    assert notices_of(imported.archive_path) == expected
    # Importing the same files again adds nothing; the capture rows point into the files.
    again = json.loads(imported.invoke("import-warc", str(tmp_path / "first.warc.gz"), "--json")
                       .output.splitlines()[-1])
    assert again["imported"] == 0 and again["already"] == len(urls)
    stored = imported.invoke("show", edited, "--raw").stdout_bytes
    assert imported.invoke("show", edited, "--raw", "--from-warc").stdout_bytes == stored
