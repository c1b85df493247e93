"""import-warc: bring captures from existing WARC files into the archive."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import archive_option, cli, config_option, emit_json, load, open_archive
from monitor.warc_import import import_warc
from storage.warc import WarcError


@cli.command("import-warc")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option()
@archive_option
@click.option("--site", "site_name", help="Store every notice under this site of the config (default: by host).")
@click.option("--workers", type=click.IntRange(0, 32), default=0, show_default=True,
              help="Extraction processes (0: extract in this process).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def import_warc_command(files, config_path, archive_path, site_name, workers, as_json):
    """Build or extend the archive from WARC FILES written by any crawler (Heritrix, wget,
    Browsertrix, warcio, portalwatch).

    Each notice page's response or revisit records become its captures, in WARC-Date order,
    with the versions and changes a crawl of the same pages would have stored. A notice URL is
    recognised by the config's site for its host (or, for other hosts, by the usual CMS URL
    shapes, under a site named after the host). Records already imported are skipped. The
    capture rows point into FILES, so `portalwatch show URL --raw` reads from them: keep them.
    """
    config = load(config_path, archive_path)
    with open_archive(config, readonly=False) as archive:
        try:
            report = import_warc(archive, config, files, site=site_name, workers=workers)
        except WarcError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json({"files": report.files, "records": report.records, "imported": report.imported,
                   "already": report.already, "skipped": report.skipped, "sites": report.sites,
                   "changes": report.changes})
        return
    sites = ", ".join(f"{name} {count}" for name, count in sorted(report.sites.items())) or "none"
    changes = ", ".join(f"{count} {kind}" for kind, count in sorted(report.changes.items())) or "no changes"
    click.echo(f"{report.files} files, {report.records} records: {report.imported} captures imported ({sites}),"
               f" {report.already} already in the archive, {report.skipped} not notices; {changes}")
