"""feed: an Atom feed of the latest changes."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import archive_option, cli, config_option, load, open_archive
from monitor.feed import DEFAULT_LIMIT, render_feed, write_feed


@cli.command()
@config_option()
@archive_option
@click.option("--site", "site_name", help="Only changes of this site.")
@click.option("--limit", type=click.IntRange(min=1), default=DEFAULT_LIMIT, show_default=True,
              help="How many of the newest changes to include.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the feed to this file (replaced atomically) instead of stdout.")
def feed(config_path, archive_path, site_name, limit, output):
    """Write an Atom feed of the newest changes (edits, removals, new notices), newest first.

    Each entry links to the notice and shows what changed, as an HTML diff.
    """
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        if output is not None:
            path = write_feed(archive, output, site=site_name, limit=limit)
            click.echo(f"wrote {path}", err=True)
        else:
            click.echo(render_feed(archive, site=site_name, limit=limit), nl=False)
