"""Export writers: JSON Lines, CSV, a folder of text files, Parquet.

Each writer takes an iterator of :class:`storage.export_rows.ExportRow` and writes as it
reads, so an export of any size runs in constant memory. Field names and types are
documented in docs/export.md.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from storage.export_rows import EXPORT_FIELDS, ExportRow

FORMATS = ("jsonl", "csv", "txt", "parquet")

# Header labels of a .txt export, in the words a Chinese notice page uses for them.
TXT_HEADER = (
    ("标题", "title"),
    ("发布时间", "published"),
    ("来源", "source"),
    ("发布机关", "issuer"),
    ("文号", "doc_number"),
    ("索引号", "index_number"),
    ("作者", "author"),
    ("责任编辑", "editor"),
    ("URL", "url"),
    ("站点", "site"),
    ("版本", "version"),
    ("抓取时间", "captured_at"),
    ("状态", "status"),
)
TXT_ATTACHMENT_LABEL = "附件"

# Parquet rows per row group: a few MB of notice text, never the whole archive.
PARQUET_BATCH = 1000

Progress = Callable[[int], None]


class ExportError(Exception):
    """The export cannot be written as asked (missing pyarrow, output not a folder...)."""


# -- dates on the command line -------------------------------------------------------------------

# -- writers -------------------------------------------------------------------------------------

def _counted(rows: Iterable[ExportRow], progress: Progress | None) -> Iterator[ExportRow]:
    for n, row in enumerate(rows, 1):
        yield row
        if progress and n % 1000 == 0:
            progress(n)


def write_jsonl(rows: Iterable[ExportRow], out: IO[str], progress: Progress | None = None) -> int:
    """One JSON object per line, UTF-8, Chinese unescaped."""
    n = 0
    for n, row in enumerate(_counted(rows, progress), 1):
        out.write(json.dumps(row.as_json(), ensure_ascii=False))
        out.write("\n")
    return n


def write_csv(rows: Iterable[ExportRow], out: IO[str], progress: Progress | None = None) -> int:
    """A header line then one line per record; attachments as JSON text.

    The caller opens ``out`` as ``utf-8-sig`` (a byte-order mark first) so that Excel reads
    the Chinese correctly instead of guessing GBK.
    """
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    n = 0
    for n, row in enumerate(_counted(rows, progress), 1):
        record = row.as_json()
        record["attachments"] = json.dumps(record["attachments"], ensure_ascii=False)
        writer.writerow(["" if record[f] is None else record[f] for f in EXPORT_FIELDS])
    return n


def txt_path(row: ExportRow, *, with_version: bool) -> Path:
    """``site/YYYY/MM/<page id>[-v<n>].txt``; year and month of publication, else of capture."""
    moment = re.match(r"(\d{4})\D(\d{1,2})", row.published or "") or re.match(
        r"(\d{4})\D(\d{1,2})", row.captured_at
    )
    year, month = (moment.group(1), moment.group(2).zfill(2)) if moment else ("unknown", "00")
    site = re.sub(r"[^A-Za-z0-9_.-]", "_", row.site) or "_"
    name = f"{row.page_id}-v{row.version}.txt" if with_version else f"{row.page_id}.txt"
    return Path(site, year, month, name)


def txt_document(row: ExportRow) -> str:
    """A short metadata header (标题: …), a blank line, then the notice text."""
    lines = []
    for label, name in TXT_HEADER:
        value = getattr(row, name)
        if value not in (None, ""):
            lines.append(f"{label}: {value}")
    for attachment in row.attachments:
        lines.append(f"{TXT_ATTACHMENT_LABEL}: {attachment.get('text') or ''} {attachment.get('url') or ''}".rstrip())
    return "\n".join(lines) + "\n\n" + row.text + ("" if row.text.endswith("\n") else "\n")


def write_txt(
    rows: Iterable[ExportRow], folder: Path, *, with_version: bool, progress: Progress | None = None
) -> int:
    """One UTF-8 text file per record under ``folder`` (see :func:`txt_path`)."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} exists and is not a folder (txt export writes a folder tree)")
    n = 0
    made: set[Path] = set()
    for n, row in enumerate(_counted(rows, progress), 1):
        path = folder / txt_path(row, with_version=with_version)
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_text(txt_document(row), encoding="utf-8")
    return n


def parquet_schema():
    import pyarrow as pa

    types = {"page_id": pa.int64(), "version": pa.int32(),
             "attachments": pa.list_(pa.struct([("url", pa.string()), ("text", pa.string())]))}
    return pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_FIELDS])


def write_parquet(
    rows: Iterable[ExportRow], path: Path, progress: Progress | None = None, batch: int = PARQUET_BATCH
) -> int:
    """A Parquet file written one row group of ``batch`` records at a time."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(
            "parquet export needs pyarrow: pip install 'portalwatch[parquet]' (or pip install pyarrow)"
        ) from None
    schema = parquet_schema()
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        pending: list[dict] = []
        for n, row in enumerate(_counted(rows, progress), 1):
            pending.append(row.as_json())
            if len(pending) >= batch:
                writer.write_batch(pa.RecordBatch.from_pylist(pending, schema=schema))
                pending.clear()
        if pending or n == 0:
            writer.write_batch(pa.RecordBatch.from_pylist(pending, schema=schema))
    return n


# -- output streams ------------------------------------------------------------------------------

class TextOutput:
    """A UTF-8 text stream on a file or on stdout's bytes (never the terminal's locale)."""

    def __init__(self, target: str, *, bom: bool = False, stdout: IO[bytes] | None = None) -> None:
        encoding = "utf-8-sig" if bom else "utf-8"
        self._on_stdout = target == "-"
        raw = (stdout or sys.stdout.buffer) if self._on_stdout else open(target, "wb")  # noqa: SIM115
        self.stream = io.TextIOWrapper(raw, encoding=encoding, newline="")

    def close(self) -> None:
        self.stream.flush()
        if self._on_stdout:
            self.stream.detach()
        else:
            self.stream.close()
