"""export --format wacz: the archive's WARC files as one WACZ package (see monitor.wacz)."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import UsageError, load, open_archive
from monitor.wacz import WaczError, write_wacz


def export_wacz(config_path: Path | None, archive_path: Path | None, site_name: str | None, output: str,
                *, other_filters: bool) -> None:
    """`portalwatch export --format wacz [--site S] -o FILE.wacz`: every WARC record, or the site's."""
    if output == "-":
        raise UsageError("--format wacz needs -o FILE.wacz")
    if other_filters:
        raise UsageError("--format wacz takes only --site and -o (it packages WARC records, not versions)")
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        try:
            report = write_wacz(archive, Path(output), site=site_name)
        except WaczError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"exported {report.records} WARC records from {report.warc_files} files and {report.pages}"
               f" pages to {output}", err=True)
