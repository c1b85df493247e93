"""demo: the bundled sample portal, crawled, changed and re-checked."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli import cli


@cli.command()
@click.option("--archive", "archive_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the demo's archive here (default: a temporary folder, removed afterwards).")
@click.option("--articles", type=click.IntRange(3, 5000), default=12, show_default=True,
              help="Notices per sample site.")
def demo(archive_path, articles):
    """Start the bundled sample portal on 127.0.0.1 (three sites: TRS, Hanweb in GBK, gov.cn),
    crawl it into a fresh archive, let the portal edit, remove and add a notice and churn
    every page's furniture, then re-check: exactly those three changes are reported, with
    diffs. No network needed."""
    from monitor.demo import run_demo

    try:
        code = run_demo(archive_path, click.echo, articles=articles, color=sys.stdout.isatty())
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    raise SystemExit(code)
