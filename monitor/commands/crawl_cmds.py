"""crawl: discover, fetch, extract and store."""
from __future__ import annotations

import click

from monitor.cli import (
    UsageError,
    archive_option,
    cli,
    config_option,
    emit_json,
    load,
    open_archive,
    round_lock,
    wait_option,
)
from monitor.config import Config, ConfigError
from monitor.crawl import RECHECK_CHOICES, RoundReport, RoundRunner
from monitor.progress import ProgressLine
from monitor.recorder import is_baseline
from monitor.stopping import GracefulStop
from monitor.terminal import counted


def round_options(f):
    """The options every command that runs a round shares: --site, --recheck, --workers."""
    f = click.option("--workers", type=click.IntRange(0, 32), default=None,
                     help="Extraction processes (default: one per core but one; 0 extracts inline).")(f)
    f = click.option("--recheck", type=click.Choice(RECHECK_CHOICES), default="due", show_default=True,
                     help="Which known notices to re-fetch: those due by the site's recheck policy, all, or none.")(f)
    return click.option("--site", "site_name", help="Only this site (its `name` in the config).")(f)


def site_names(config: Config, site_name: str | None) -> list[str]:
    try:
        names = [site.name for site in config.selected(site_name)]
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if not names:
        raise click.UsageError(f"{config.path}: no [[site]] tables")
    return names


def report_json(report: RoundReport, config: Config) -> dict:
    return {"sites": report.sites, "fetched": report.fetched, "listings": report.listings,
            "extracted": report.extracted, "unchanged": report.unchanged, "failed": report.failed,
            "changes": report.changes, "change_ids": report.change_ids, "batch_ids": report.batch_ids,
            "seconds": round(report.seconds, 3),
            "interrupted": report.interrupted, "archive": str(config.archive)}


def describe_round(report: RoundReport) -> str:
    changes = ", ".join(f"{n} {kind}" for kind, n in sorted(report.changes.items())) or "no changes"
    if report.batch_ids:
        changes += f"; {len(report.batch_ids)} mass change(s), one alert each (see `portalwatch changes`)"
    line = (f"{', '.join(report.sites)}: {counted(report.fetched, 'notice')} fetched, "
            f"{counted(report.listings, 'listing page')}, {report.extracted} extracted, "
            f"{report.unchanged} unchanged, {report.failed} failed; {changes} ({report.seconds:.1f}s)")
    return f"interrupted: {line}" if report.interrupted else line


# A round's changes are listed one per line up to this many; `portalwatch changes` has the rest.
LISTED_CHANGES = 20


def change_lines(config: Config, report: RoundReport, limit: int = LISTED_CHANGES) -> list[str]:
    """One line per change the round made (kind, title, URL), a mass change as one line.

    The first round of a site lists nothing: its notices are the archive's baseline."""
    if not report.change_ids:
        return []
    lines: list[str] = []
    shown_batches: set[int] = set()
    with open_archive(config) as archive:
        for change_id in report.change_ids:
            change = archive.change(change_id)
            if is_baseline(change):
                continue
            if change.batch_id is not None:
                if change.batch_id not in shown_batches:
                    shown_batches.add(change.batch_id)
                    batch = archive.batch(change.batch_id)
                    lines.append(f"  mass change  {batch.site}: {counted(batch.count, 'notice')} {batch.kind}"
                                 f" at once (`portalwatch changes --batch {batch.id} --expand`)")
                continue
            fields = f" [{', '.join(change.fields)}]" if change.fields else ""
            lines.append(f"  {change.kind:<11}{fields} {change.title or '(no title)'}  {change.url}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"  … and {len(lines) - limit} more (`portalwatch changes`)"]
    return lines


def every_fetch_failed(report: RoundReport) -> bool:
    """Nothing the round asked for arrived (site down, network gone): the command fails."""
    return report.failed > 0 and report.failed >= report.fetched + report.listings


def round_exit(report: RoundReport, stop: GracefulStop) -> None:
    """Exit as the round ended: 1 on an error or when every fetch failed, 128 + the signal
    when it was interrupted, else normally."""
    if report.error:
        click.echo(report.error, err=True)
        raise SystemExit(1)
    if stop.stopped:
        raise SystemExit(stop.exit_code)
    if every_fetch_failed(report):
        click.echo(f"every fetch of the round failed ({report.failed}); see the log above", err=True)
        raise SystemExit(1)


@cli.command()
@config_option(required=True)
@archive_option
@round_options
@click.option("--fast", is_flag=True, help="Ignore download_delay and raise concurrency (your own servers only).")
@wait_option
@click.option("--json", "as_json", is_flag=True, help="Print the round's report as JSON.")
def crawl(config_path, archive_path, site_name, recheck, workers, fast, wait, as_json):
    """Crawl the configured sites once: read column listings, fetch new and due notices,
    extract each body and store captures and versions in the archive.

    Robots.txt is obeyed and download_delay respected unless the site config says otherwise.
    Ctrl-C (or SIGTERM) stops asking for pages and stores those in hand, then exits 130 (143);
    a second one stops at once. Exit code 1 when every fetch of the round failed.
    """
    config = load(config_path, archive_path)
    names = site_names(config, site_name)
    runner = RoundRunner()
    with round_lock(config, names, wait), GracefulStop(on_stop=runner.interrupt, on_force=runner.kill) as stop:
        progress = ProgressLine("crawling")
        report = runner.run(config, names, workers=workers, fast=fast, recheck=recheck, on_progress=progress)
        progress.close()
        if as_json:
            emit_json(report_json(report, config))
        else:
            click.echo(describe_round(report))
            click.echo(f"archive: {config.archive}")
    round_exit(report, stop)
