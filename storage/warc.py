"""WARC files beside the archive: write every fetch, read a record back, keep a CDXJ index.

Layout: the directory ``<archive stem>.warc/`` next to the archive file holds
``portalwatch-<UTC time>-<pid>-<serial>.warc.gz`` files (WARC/1.1, gzip per record, a new
file once one passes the size limit, 1 GB by default) and ``index.cdxj``, a sorted CDXJ
index of their response and revisit records (the lines ``cdxj-indexer`` writes). Each file
starts each site's records with a ``warcinfo`` record (portalwatch, its version, the site's
config); each fetch is a ``response`` (or ``revisit``) record followed by the ``request``
record that asked for it. A capture row keeps where its record is (:class:`WarcPointer`).

An unchanged fetch is a ``revisit`` record pointing at the earlier response
(:class:`RevisitOf`): profile identical-payload-digest when the same bytes came back,
server-not-modified for a 304.

This module knows the WARC format and the HTTP messages a WARC record holds; it knows
nothing of Scrapy or of what a notice is. An exchange is any object with the attributes of
:class:`Exchange`.
"""
from __future__ import annotations

import base64
import hashlib
import heapq
import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

import surt
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_timestamp
from warcio.warcwriter import WARCWriter

DEFAULT_MAX_SIZE = 1_000_000_000  # bytes: a file is closed and the next one started past this
INDEX_NAME = "index.cdxj"
GZIP_LEVEL = 6  # per record; 9 (warcio's) is ~3x slower for ~2% smaller files
FILE_PREFIX = "portalwatch"
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class WarcError(Exception):
    """A WARC file or record cannot be read, or is not what a pointer says."""


class Exchange(Protocol):
    """One HTTP request and its response as received (see spiders.capture.HttpExchange)."""

    url: str
    method: str
    request_headers: tuple[tuple[str, str], ...]
    protocol: str
    status: int
    response_headers: tuple[tuple[str, str], ...]
    payload: bytes
    ip_address: str | None
    request_body: bytes


@dataclass(frozen=True, slots=True)
class WarcPointer:
    """Where one record is: ``file`` is a name in the WARC directory (or an absolute path
    for a file imported from elsewhere), ``offset``/``length`` its gzip member."""

    file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None = None  # a response record's WARC-Payload-Digest
    refers_to: str | None = None  # a revisit: the record id of the response it stands for


@dataclass(frozen=True, slots=True)
class RevisitOf:
    """The earlier response an unchanged fetch refers to."""

    record_id: str
    target_uri: str
    date: str  # its WARC-Date
    payload_digest: str | None


@dataclass(slots=True)
class WarcRecord:
    """One record read back: WARC headers, HTTP status and headers, payload as stored."""

    rec_type: str
    record_id: str
    target_uri: str
    date: str
    headers: dict[str, str]  # WARC headers
    status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes  # as received: content-encoding as the server sent it
    body: bytes  # content-encoding removed (what a crawl's decoded response body is)
    offset: int = 0
    length: int = 0

    def http_header(self, name: str) -> str | None:
        for key, value in self.http_headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def refers_to(self) -> str | None:
        return self.headers.get("WARC-Refers-To")

    @property
    def profile(self) -> str | None:
        return self.headers.get("WARC-Profile")


def warc_directory(archive_path: str | Path) -> Path:
    """``<archive stem>.warc/`` next to the archive file."""
    path = Path(archive_path)
    return path.with_name(f"{path.stem}.warc")


def payload_digest(payload: bytes) -> str:
    """A WARC-Payload-Digest as warcio writes it: ``sha1:`` and base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def warc_date(iso: str) -> str:
    """An ISO 8601 time (any offset) as a WARC-Date: UTC, microseconds, ``Z``."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _mime(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.replace(";", " ").split(None, 1)[0].strip() if content_type.strip() else None


def index_line(url: str, date: str, fields: dict[str, str]) -> str:
    """One CDXJ line: SURT key, 14-digit timestamp, JSON fields (as cdxj-indexer writes)."""
    try:
        key = surt.surt(url)
    except Exception:  # noqa: BLE001 - surt raises on odd URLs; cdxj-indexer falls back the same way
        key = url
    return f"{key} {iso_date_to_timestamp(date)} {json.dumps(fields)}\n"


def _status_line(exchange: Exchange) -> str:
    from http import HTTPStatus

    try:
        reason = HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = ""
    return f"{exchange.status} {reason}".rstrip()


class WarcWriter:
    """Appends fetches to rotating WARC files in one directory (one writer per process)."""

    def __init__(self, directory: str | Path, *, software: str, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.directory = Path(directory)
        self.software = software
        self.max_size = max_size
        self._out: BinaryIO | None = None
        self._name: str | None = None
        self._serial = 0
        self._warcinfo: dict[str, str] = {}  # site -> warcinfo record id in the current file
        self._writer: WARCWriter | None = None
        self._buffer = io.BytesIO()
        self._pending_index: list[str] = []
        self.files_written: list[str] = []

    # -- files -----------------------------------------------------------------------------

    def _open(self) -> None:
        self.close_file()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        while True:
            name = f"{FILE_PREFIX}-{stamp}-{os.getpid()}-{self._serial:05d}.warc.gz"
            self._serial += 1
            if not (self.directory / name).exists():
                break
        self._out = open(self.directory / name, "ab")  # noqa: SIM115 - kept open across fetches
        self._name = name
        # Records are built uncompressed and gzipped here, one member each, at GZIP_LEVEL:
        # warcio's own gzip runs at level 9, which costs the crawl's process a fifth of its speed.
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version="1.1")
        self._warcinfo = {}
        self.files_written.append(name)

    def close_file(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _ensure_room(self) -> None:
        if self._out is None or self._out.tell() >= self.max_size:
            self._open()

    def _warcinfo_id(self, site: str, site_info: dict) -> str:
        if site not in self._warcinfo:
            assert self._writer is not None and self._name is not None
            info = {
                "software": self.software,
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "isPartOf": site,
                "description": f"portalwatch captures of site {site!r}",
                "site-config": json.dumps(site_info, ensure_ascii=False, sort_keys=True, default=str),
            }
            record = self._writer.create_warcinfo_record(self._name, info)
            self._write(record)
            self._warcinfo[site] = record.rec_headers.get_header("WARC-Record-ID")
        return self._warcinfo[site]

    def _write(self, record) -> tuple[int, int]:
        assert self._out is not None and self._writer is not None
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        member = compressor.compress(self._buffer.getvalue()) + compressor.flush()
        start = self._out.tell()
        self._out.write(member)
        return start, len(member)

    # -- records ---------------------------------------------------------------------------

    def write_fetch(self, *, site: str, site_info: dict, exchanges: list[Exchange] | tuple[Exchange, ...],
                    fetched_at: str, revisit_of: RevisitOf | None = None) -> WarcPointer:
        """Write the records of one fetch (every exchange: redirects, retries, the answer) and
        return where the last answer's record is. The last exchange is a revisit of
        ``revisit_of`` when it is a 304 (server-not-modified) or a 200 with the same payload
        digest (identical-payload-digest); anything else is a full response."""
        if not exchanges:
            raise ValueError("a fetch without an HTTP exchange has nothing to write")
        self._ensure_room()
        warcinfo_id = self._warcinfo_id(site, site_info)
        date = warc_date(fetched_at)
        pointer = None
        for position, exchange in enumerate(exchanges):
            last = position == len(exchanges) - 1
            pointer = self._write_exchange(exchange, date, warcinfo_id, revisit_of if last else None)
        assert pointer is not None
        if self._out is not None:
            self._out.flush()
        return pointer

    def _write_exchange(self, exchange: Exchange, date: str, warcinfo_id: str,
                        revisit_of: RevisitOf | None) -> WarcPointer:
        assert self._writer is not None and self._name is not None
        writer = self._writer
        digest = payload_digest(exchange.payload)
        common = {"WARC-Date": date, "WARC-Warcinfo-ID": warcinfo_id}
        if exchange.ip_address:
            common["WARC-IP-Address"] = exchange.ip_address
        http = StatusAndHeaders(_status_line(exchange), list(exchange.response_headers),
                                protocol=exchange.protocol or "HTTP/1.1")
        profile = None
        if revisit_of is not None and exchange.status == 304:
            profile = PROFILE_NOT_MODIFIED
        elif revisit_of is not None and exchange.status == 200 and revisit_of.payload_digest == digest:
            profile = PROFILE_IDENTICAL
        if profile is not None:
            assert revisit_of is not None
            headers = {**common, "WARC-Refers-To": revisit_of.record_id}
            if profile == PROFILE_IDENTICAL:
                record = writer.create_revisit_record(exchange.url, digest, revisit_of.target_uri, revisit_of.date,
                                                      http_headers=http, warc_headers_dict=headers)
            else:
                record = writer.create_warc_record(exchange.url, "revisit", http_headers=http,
                                                   warc_headers_dict=headers)
                record.rec_headers.add_header("WARC-Profile", profile)
                record.rec_headers.add_header("WARC-Refers-To-Target-URI", revisit_of.target_uri)
                record.rec_headers.add_header("WARC-Refers-To-Date", revisit_of.date)
        else:
            record = writer.create_warc_record(exchange.url, "response", payload=io.BytesIO(exchange.payload),
                                               length=len(exchange.payload), http_headers=http,
                                               warc_headers_dict={**common, "WARC-Payload-Digest": digest})
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        offset, length = self._write(record)
        request = self._request_record(exchange, date, warcinfo_id, record_id)
        self._write(request)
        fields = {"url": exchange.url}
        mime = "warc/revisit" if profile else _mime(http.get_header("content-type"))
        if mime:
            fields["mime"] = mime
        fields["status"] = str(exchange.status)
        if profile != PROFILE_NOT_MODIFIED:
            fields["digest"] = digest
        fields.update(length=str(length), offset=str(offset), filename=self._name)
        self._pending_index.append(index_line(exchange.url, date, fields))
        return WarcPointer(file=self._name, offset=offset, length=length, record_id=record_id,
                           payload_digest=None if profile else digest,
                           refers_to=revisit_of.record_id if profile and revisit_of else None)

    def _request_record(self, exchange: Exchange, date: str, warcinfo_id: str, concurrent_to: str):
        assert self._writer is not None
        parts = urlsplit(exchange.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        http = StatusAndHeaders(f"{exchange.method} {target} {exchange.protocol or 'HTTP/1.1'}",
                                list(exchange.request_headers), is_http_request=True)
        headers = {"WARC-Date": date, "WARC-Warcinfo-ID": warcinfo_id, "WARC-Concurrent-To": concurrent_to}
        if exchange.ip_address:
            headers["WARC-IP-Address"] = exchange.ip_address
        body = exchange.request_body or b""
        return self._writer.create_warc_record(exchange.url, "request", payload=io.BytesIO(body), length=len(body),
                                               http_headers=http, warc_headers_dict=headers)

    # -- index -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Make everything written so far durable and indexed (``index.cdxj``)."""
        if self._out is not None:
            self._out.flush()
        if self._pending_index:
            merge_index(self.directory / INDEX_NAME, self._pending_index)
            self._pending_index = []

    def close(self) -> None:
        self.flush()
        self.close_file()


def merge_index(path: Path, lines: list[str]) -> None:
    """Merge CDXJ ``lines`` into the sorted index at ``path`` (written whole, then renamed)."""
    new = sorted(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        if path.exists():
            with open(path, encoding="utf-8") as old:
                out.writelines(heapq.merge(old, new))
        else:
            out.writelines(new)
    os.replace(temporary, path)


# -- reading -------------------------------------------------------------------------------


def _record_of(record, offset: int = 0) -> WarcRecord:
    """A record's headers, and its payload exactly as stored (content-encoding as sent;
    de-chunked when the writer de-chunked it)."""
    headers = dict(record.rec_headers.headers)
    http_headers: list[tuple[str, str]] = []
    status = None
    if record.http_headers is not None and record.rec_type in ("response", "revisit", "request"):
        http_headers = list(record.http_headers.headers)
        if record.rec_type != "request":
            try:
                status = int(record.http_headers.get_statuscode())
            except (TypeError, ValueError):
                status = None
    result = WarcRecord(
        rec_type=record.rec_type, record_id=headers.get("WARC-Record-ID", ""),
        target_uri=headers.get("WARC-Target-URI", ""), date=headers.get("WARC-Date", ""), headers=headers,
        status=status, http_headers=http_headers, payload=b"", body=b"", offset=offset,
    )
    result.payload = record.raw_stream.read()
    result.body = _decoded(result.payload, result) if record.rec_type in ("response", "revisit") else result.payload
    return result


def read_record(path: str | Path, offset: int) -> WarcRecord:
    """The record starting at ``offset`` in a WARC file (gzip per record, or plain):
    ``payload`` as stored, ``body`` with transfer chunking and content-encoding removed."""
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            for record in ArchiveIterator(stream):
                return _record_of(record, offset)
    except OSError as exc:
        raise WarcError(f"cannot read {path}: {exc}") from exc
    raise WarcError(f"no WARC record at offset {offset} of {path}")


def _decoded(raw: bytes, record: WarcRecord) -> bytes:
    """``raw`` (a response payload as stored, de-chunked or not) with chunking and
    content-encoding removed, as warcio's content_stream would give it."""
    from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

    encoding = (record.http_header("content-encoding") or "").lower() or None
    if encoding and encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    stream = io.BytesIO(raw)
    if (record.http_header("transfer-encoding") or "").lower() == "chunked":
        return ChunkedDataReader(stream, decomp_type=encoding).read()
    if encoding:
        return BufferedReader(stream, decomp_type=encoding).read()
    return raw


@dataclass(slots=True)
class RecordEntry:
    """A response or revisit record found while scanning a file (payload not read)."""

    path: Path
    offset: int
    length: int
    rec_type: str
    record_id: str
    target_uri: str
    date: str
    status: int | None
    payload_digest: str | None
    refers_to: str | None
    refers_to_target: str | None
    refers_to_date: str | None
    profile: str | None


def scan(path: str | Path) -> Iterator[RecordEntry]:
    """Every response and revisit record of an HTTP(S) URL in a WARC file, in file order."""
    path = Path(path)
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            rec_type = record.rec_type
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            keep = rec_type in ("response", "revisit") and uri.startswith(("http://", "https://")) \
                and record.http_headers is not None
            status = None
            if keep:
                try:
                    status = int(record.http_headers.get_statuscode())
                except (TypeError, ValueError):
                    keep = False
            iterator.read_to_end(record)
            if not keep:
                continue
            get = record.rec_headers.get_header
            yield RecordEntry(
                path=path, offset=iterator.get_record_offset(), length=iterator.get_record_length(),
                rec_type=rec_type, record_id=get("WARC-Record-ID") or "", target_uri=uri,
                date=get("WARC-Date") or "", status=status, payload_digest=get("WARC-Payload-Digest"),
                refers_to=get("WARC-Refers-To"), refers_to_target=get("WARC-Refers-To-Target-URI"),
                refers_to_date=get("WARC-Refers-To-Date"), profile=get("WARC-Profile"),
            )
