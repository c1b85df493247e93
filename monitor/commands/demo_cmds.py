"""demo: the bundled sample portal, crawled, changed and re-checked."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli import UnusableArchive, cli
from monitor.terminal import use_color


@cli.command()
@click.option("--archive", "archive_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the demo's archive here (default: a temporary folder, removed afterwards).")
@click.option("--articles", type=click.IntRange(3, 5000), default=12, show_default=True,
              help="Notices per sample site.")
@click.option("--force", is_flag=True, help="With --archive: replace an existing file that is not a demo archive.")
def demo(archive_path, articles, force):
    """Start the bundled sample portal on 127.0.0.1 (three sites: TRS, Hanweb in GBK, gov.cn),
    crawl it into a fresh archive, let the portal edit, remove and add a notice and churn
    every page's furniture, then re-check: exactly those three changes are reported, with
    diffs. No network needed. An existing --archive is replaced only when it holds an
    earlier demo (or with --force)."""
    from monitor.demo import not_a_demo_archive, run_demo

    if archive_path is not None and not force and (reason := not_a_demo_archive(archive_path)):
        raise UnusableArchive(f"{archive_path}: {reason}; the demo would replace it (use --force to allow that,"
                              " or pick another --archive)")

    try:
        code = run_demo(archive_path, click.echo, articles=articles, color=use_color(sys.stdout))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    raise SystemExit(code)
