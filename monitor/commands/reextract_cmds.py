"""reextract: read stored raw captures again with the current extractor."""
from __future__ import annotations

import click

from monitor.cli import archive_option, cli, config_option, emit_json, load, open_archive


@cli.command()
@config_option()
@archive_option
@click.option("--site", "site_name", help="Only this site.")
@click.option("--workers", type=click.IntRange(0, 32), default=None, help="Extraction processes (default: one per core).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def reextract(config_path, archive_path, site_name, workers, as_json):
    """Re-run extraction over the stored raw capture of every notice (e.g. after upgrading
    portalwatch). A new version is stored only where the text or metadata really differ; it is
    marked as a re-extraction and never raises an edit alert."""
    from monitor.reextract import reextract as run

    config = load(config_path, archive_path)
    with open_archive(config, readonly=False) as archive:
        report = run(archive, config, site=site_name, workers=workers)
    if as_json:
        emit_json({"checked": report.checked, "updated": report.updated, "skipped": report.skipped})
    else:
        click.echo(f"{report.checked} notices re-read, {report.updated} new versions (marked re-extraction), "
                   f"{report.skipped} without a stored body")
