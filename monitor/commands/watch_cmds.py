"""check, watch: one round now, or re-crawl on each site's schedule."""
from __future__ import annotations

import logging

import click

from monitor.cli import (
    archive_option,
    cli,
    config_option,
    emit_json,
    load,
    prepare_archive,
    round_lock,
    wait_option,
)
from monitor.commands.crawl_cmds import (
    change_lines,
    describe_round,
    report_json,
    round_exit,
    round_options,
    site_names,
)
from monitor.crawl import RoundReport, RoundRunner
from monitor.progress import ProgressLine
from monitor.publish import publish_round
from monitor.stopping import GracefulStop, exit_code
from monitor.watch import PARALLEL_ROUNDS


@cli.command()
@config_option(required=True)
@archive_option
@round_options
@wait_option
@click.option("--json", "as_json", is_flag=True, help="Print the round's report as JSON.")
def check(config_path, archive_path, site_name, recheck, workers, wait, as_json):
    """Run one monitoring round now (what `watch` runs on schedule): crawl, detect changes,
    send alerts, update the feed and change log. Then exit.

    Ctrl-C (or SIGTERM) stops asking for pages, stores those in hand and publishes them, then
    exits 130 (143); a second one stops at once. Exit code 1 when every fetch failed."""
    config = load(config_path, archive_path)
    names = site_names(config, site_name)
    runner = RoundRunner()
    with round_lock(config, names, wait), GracefulStop(on_stop=runner.interrupt, on_force=runner.kill) as stop:
        progress = ProgressLine("checking")
        report = runner.run(config, names, workers=workers, recheck=recheck, on_progress=progress)
        progress.close()
        publish_round(config, report)  # an interrupted round publishes what it stored
        if as_json:
            emit_json(report_json(report, config))
        else:
            click.echo(describe_round(report))
            for line in change_lines(config, report):
                click.echo(line)
    round_exit(report, stop)


@cli.command()
@config_option(required=True)
@archive_option
@round_options
@click.option("--max-rounds", type=click.IntRange(1), default=None,
              help="Exit after this many rounds (all sites counted together); default: run until stopped.")
@click.option("--parallel", type=click.IntRange(1, 32), default=PARALLEL_ROUNDS, show_default=True,
              help="Site rounds run at once (each a process with its own extraction worker); due rounds wait.")
@click.option("-v", "--verbose", is_flag=True, help="Also log the scheduler's and the crawl's progress (INFO).")
def watch(config_path, archive_path, site_name, recheck, workers, max_rounds, parallel, verbose):
    """Re-crawl each site on its `schedule` (interval or cron, with jitter) and alert on changes.

    Runs until SIGINT/SIGTERM: the rounds in progress finish the notices in hand and publish
    them, the archive is closed cleanly, and the exit code is 130 (SIGINT) or 143 (SIGTERM); a
    second signal stops at once. Each site's first round starts now.
    """
    from monitor.publish import register_targets
    from monitor.site_lock import LockingWatcher as Watcher

    # Quiet by default: one summary line per round (below) and warnings; -v for the scheduler's log.
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s")
    config = load(config_path, archive_path)
    sites = [config.site(name) for name in site_names(config, site_name)]
    prepare_archive(config)
    register_targets(config)

    def on_round(report: RoundReport) -> None:
        click.echo(describe_round(report), err=False)

    watcher = Watcher(config, sites, max_rounds=max_rounds, workers=workers, recheck=recheck, on_round=on_round,
                      parallel=parallel)
    for site in sites:
        s = site.schedule
        when = f"cron {s.cron!r}" if s.cron else f"every {s.every_seconds:g}s"
        click.echo(f"watching {site.name}: {when}" + (f", jitter {s.jitter_seconds:g}s" if s.jitter_seconds else ""))
    rounds = watcher.run()
    if watcher.signum is not None:
        click.echo(f"interrupted: stopped after {rounds} round(s)")
        raise SystemExit(exit_code(watcher.signum))
    click.echo(f"stopped after {rounds} round(s)")
