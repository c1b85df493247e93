"""Copy WARC records out of the archive's WARC files, byte for byte, into new files.

An evidence package takes a few records (a capture's response or revisit, the request that
asked for it, the response a revisit stands for); a WACZ takes every record of the WARC
directory, or only one site's. Records are copied as the gzip members they are stored as, so
their digests and bytes are the ones written at fetch time; a record of an uncompressed file
(another crawler's) is gzipped on the way, which changes no byte of the record itself.

This module knows the WARC format and files, nothing of notices or of the archive's tables.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from storage.warc import GZIP_LEVEL, WarcError, _mime, index_line

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class CopiedRecord:
    """One record as it was copied: its headers of interest and where it now is."""

    rec_type: str
    record_id: str
    target_uri: str
    date: str
    status: int | None
    payload_digest: str | None
    refers_to: str | None
    profile: str | None
    mime: str | None
    warcinfo_id: str | None
    concurrent_to: str | None
    source: str  # the file it was copied from
    source_offset: int
    offset: int = 0  # in the file it was copied to
    length: int = 0


def gzip_member(raw: bytes) -> bytes:
    """``raw`` as one gzip member (unchanged when it already is one)."""
    if raw[:2] == GZIP_MAGIC:
        return raw
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(raw) + compressor.flush()


def _describe(record, source: Path, offset: int) -> CopiedRecord:
    get = record.rec_headers.get_header
    status = None
    mime = None
    if record.http_headers is not None and record.rec_type in ("response", "revisit"):
        try:
            status = int(record.http_headers.get_statuscode())
        except (TypeError, ValueError):
            status = None
        mime = "warc/revisit" if record.rec_type == "revisit" else _mime(record.http_headers.get_header("content-type"))
    return CopiedRecord(
        rec_type=record.rec_type, record_id=get("WARC-Record-ID") or "", target_uri=get("WARC-Target-URI") or "",
        date=get("WARC-Date") or "", status=status, payload_digest=get("WARC-Payload-Digest"),
        refers_to=get("WARC-Refers-To"), profile=get("WARC-Profile"), mime=mime,
        warcinfo_id=get("WARC-Warcinfo-ID"), concurrent_to=get("WARC-Concurrent-To"), source=str(source),
        source_offset=offset,
    )


def _records_from(path: Path, offset: int) -> Iterator[tuple[CopiedRecord, bytes]]:
    """Records of ``path`` from ``offset`` on, each with its stored bytes."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is done
        raw_stream = open(path, "rb")  # noqa: SIM115 - the iterator's stream is never seeked under it
    except OSError as exc:
        raise WarcError(f"cannot read {path}: {exc}") from exc
    with stream, raw_stream:
        stream.seek(offset)
        iterator = ArchiveIterator(stream)
        for record in iterator:
            iterator.read_to_end(record)
            start, length = iterator.get_record_offset(), iterator.get_record_length()  # offsets: from the file start
            raw_stream.seek(start)
            yield _describe(record, path, start), raw_stream.read(length)


def fetch_records(path: str | Path, offset: int, record_id: str) -> list[tuple[CopiedRecord, bytes]]:
    """The record ``record_id`` at ``offset`` of ``path``, and the request record written
    right after it for the same fetch (``WARC-Concurrent-To`` the record), if there is one."""
    path = Path(path)
    found: list[tuple[CopiedRecord, bytes]] = []
    for described, raw in _records_from(path, offset):
        if not found:
            if described.record_id != record_id:
                raise WarcError(f"{path} holds {described.record_id} at offset {offset}, not {record_id}")
            found.append((described, raw))
            continue
        if described.rec_type == "request" and described.concurrent_to == record_id:
            found.append((described, raw))
        break
    if not found:
        raise WarcError(f"no WARC record at offset {offset} of {path}")
    return found


def warcinfo_fields(raw: bytes) -> dict[str, str]:
    """The ``key: value`` lines of a warcinfo record's payload."""
    data = zlib.decompress(raw, 16 + zlib.MAX_WBITS) if raw[:2] == GZIP_MAGIC else raw
    parts = data.split(b"\r\n\r\n", 1)
    payload = parts[1] if len(parts) > 1 else b""
    fields = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


class RecordCopier:
    """Appends records (as gzip members) to one WARC file and remembers where each went."""

    def __init__(self, out: BinaryIO, name: str) -> None:
        self.out = out
        self.name = name
        self.copied: list[CopiedRecord] = []

    def add(self, described: CopiedRecord, raw: bytes) -> CopiedRecord:
        member = gzip_member(raw)
        offset = self.out.tell()
        self.out.write(member)
        placed = CopiedRecord(**{**_fields(described), "offset": offset, "length": len(member)})
        self.copied.append(placed)
        return placed

    def index_lines(self) -> list[str]:
        """CDXJ lines (as storage.warc writes them) of the response and revisit records copied."""
        lines = []
        for record in self.copied:
            if record.rec_type not in ("response", "revisit") or record.status is None:
                continue
            fields = {"url": record.target_uri}
            if record.mime:
                fields["mime"] = record.mime
            fields["status"] = str(record.status)
            if record.payload_digest:
                fields["digest"] = record.payload_digest
            fields.update(length=str(record.length), offset=str(record.offset), filename=self.name)
            lines.append(index_line(record.target_uri, record.date, fields))
        return lines


def _fields(record: CopiedRecord) -> dict:
    return {name: getattr(record, name) for name in CopiedRecord.__slots__}


def warc_files(directory: str | Path) -> list[Path]:
    """The WARC files of a directory, oldest name first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith((".warc.gz", ".warc")) and p.is_file())


def site_records(path: str | Path, site: str | None) -> Iterator[tuple[CopiedRecord, bytes]]:
    """Every record of ``path``, or with ``site`` only those of that site: its ``warcinfo``
    records (``isPartOf: site``) and the records that name one as ``WARC-Warcinfo-ID``."""
    path = Path(path)
    kept: set[str] = set()
    for described, raw in _records_from(path, 0):
        if site is None:
            yield described, raw
            continue
        if described.rec_type == "warcinfo":
            if warcinfo_fields(raw).get("isPartOf") == site:
                kept.add(described.record_id)
                yield described, raw
            continue
        if described.warcinfo_id in kept:
            yield described, raw



def records_of(data: bytes) -> Iterator[tuple[CopiedRecord, bytes]]:
    """Every record of an in-memory WARC file, with its payload as stored (what
    ``WARC-Payload-Digest`` is computed over)."""
    import io

    iterator = ArchiveIterator(io.BytesIO(data))
    for record in iterator:
        payload = record.raw_stream.read()
        yield _describe(record, Path("-"), iterator.get_record_offset()), payload
