"""export: the archive's notices as JSON Lines, CSV, text files or Parquet, for research."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import click

from monitor.cli import UsageError, archive_option, cli, config_option, load, open_archive, require_site
from monitor.export import (
    FORMATS,
    ExportError,
    TextOutput,
    write_csv,
    write_jsonl,
    write_parquet,
    write_txt,
)
from monitor.stopping import GracefulStop
from monitor.timebounds import bound_option, parse_since, parse_until
from storage.export_rows import ExportFilter, count_export_rows, export_rows

T = TypeVar("T")


class ExportProgress:
    """``exported N of M records`` on stderr, only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __call__(self, done: int) -> None:
        sys.stderr.write(f"\rexported {done} of {self.total} records")
        sys.stderr.flush()

    def close(self, done: int) -> None:
        sys.stderr.write(f"\rexported {done} of {self.total} records\n")
        sys.stderr.flush()


@cli.command()
@config_option()
@archive_option
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "wacz"]), default="jsonl", show_default=True,
              help="jsonl: one JSON object per line. csv: UTF-8 with a byte-order mark, so Excel shows "
                   "Chinese correctly; attachments as JSON text. txt: a folder tree "
                   "site/YYYY/MM/<id>.txt (needs -o DIR). parquet: needs pyarrow "
                   "(pip install 'portalwatch[parquet]') and -o FILE. wacz: the WARC files as a WACZ package "
                   "(with --site, that site's records; needs -o FILE.wacz).")
@click.option("--site", "site_name", help="Only this site.")
@click.option("--since", callback=bound_option(parse_since), metavar="WHEN",
              help="Only versions captured on or after WHEN: YYYY-MM-DD, an ISO time (UTC unless it has an offset) or 7d / 12h.")
@click.option("--until", callback=bound_option(parse_until), metavar="WHEN",
              help="Only versions captured on or before DATE (a date includes that whole day).")
@click.option("--latest/--all-versions", "latest", default=True, show_default=True,
              help="One record per notice (its newest version in the date range), or one per version.")
@click.option("--changed-only", is_flag=True, help="Only notices that have more than one version.")
@click.option("-o", "--output", default="-", show_default=True, metavar="PATH",
              help="File to write, - for stdout; a folder for txt.")
def export(config_path, archive_path, fmt, site_name, since, until, latest, changed_only, output):
    """Write the archive's notices for analysis: one record per notice, or per version.

    Ctrl-C (or SIGTERM) ends the export after the record in hand, with a complete file of the
    records written so far, and exits 130 (143).

    Every record has url, site, title, published, source, editor, author, doc_number,
    index_number, issuer, attachments, first_seen, last_seen, status, version, captured_at
    and text (see docs/export.md). Streams: memory stays flat however big the archive.

    \b
    Examples:
      portalwatch export --format csv -o notices.csv
      portalwatch export --all-versions --changed-only --since 2024-01-01 > edits.jsonl
      portalwatch export --format txt --site demo -o notices/
    """
    if fmt == "wacz":
        from monitor.commands.wacz_cmds import export_wacz

        return export_wacz(config_path, archive_path, site_name, output,
                           other_filters=bool(since or until or changed_only or not latest))
    if fmt in ("txt", "parquet") and output == "-":
        raise UsageError(f"--format {fmt} needs -o PATH ({'a folder' if fmt == 'txt' else 'a .parquet file'})")
    config = load(config_path, archive_path)
    selection = ExportFilter(site=site_name, since=since, until_before=until, all_versions=not latest,
                             changed_only=changed_only)
    with open_archive(config) as archive, GracefulStop() as stop:
        require_site(archive, site_name)
        progress = ExportProgress(count_export_rows(archive, selection)) if sys.stderr.isatty() else None
        rows = until_stopped(export_rows(archive, selection), stop)
        try:
            if fmt == "txt":
                written = write_txt(rows, Path(output), with_version=not latest, progress=progress)
            elif fmt == "parquet":
                written = write_parquet(rows, Path(output), progress=progress)
            else:
                out = TextOutput(output, bom=fmt == "csv")
                try:
                    writer = write_csv if fmt == "csv" else write_jsonl
                    written = writer(rows, out.stream, progress=progress)
                finally:
                    out.close()
        except ExportError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # `portalwatch export | head`
            sys.stderr.close()
            return
    if progress:
        progress.close(written)
    if stop.stopped:
        click.echo(f"interrupted: exported {written} records" + (f" to {output}" if output != "-" else ""), err=True)
        raise SystemExit(stop.exit_code)
    if output != "-":
        click.echo(f"exported {written} records to {output}", err=True)


def until_stopped(rows: Iterator[T], stop: GracefulStop) -> Iterator[T]:
    """``rows`` until the first SIGINT/SIGTERM: the record in hand is written whole, the
    output closed properly, and the export ends (a second signal ends it at once)."""
    for row in rows:
        if stop.stopped:
            return
        yield row
