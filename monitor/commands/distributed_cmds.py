"""worker, status, check --redis and watch --redis: rounds spread over many fetch-and-extract workers."""
from __future__ import annotations

import functools
from collections.abc import Callable

import click

from monitor.cli import cli, emit_json, load, round_lock
from monitor.commands import watch_cmds
from monitor.commands.crawl_cmds import describe_round, report_json, round_exit, site_names
from monitor.distributed import DEFAULT_HEARTBEAT_TTL, DEFAULT_VISIBILITY_TIMEOUT, require_redis
from monitor.distributed.results import DEFAULT_BLOB_THRESHOLD


def _redis_error(exc: Exception, url: str) -> click.ClickException:
    return click.ClickException(f"cannot use Redis at {url}: {exc}")


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL",
              help="The coordinator's Redis, e.g. redis://10.0.0.5:6379/0.")
@click.option("--concurrency", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Requests in flight in this worker (a site's download_delay still holds across all workers).")
@click.option("--workers", "extraction_workers", type=click.IntRange(0, 64), default=None,
              help="Extraction processes (default: one per core but one; 0 extracts inline).")
@click.option("--blob-store", metavar="URL",
              help="Directory shared with the coordinator (file:///path or a path) for large results.")
@click.option("--blob-threshold", type=click.IntRange(0), default=DEFAULT_BLOB_THRESHOLD, show_default=True,
              metavar="BYTES", help="Results larger than this go to --blob-store instead of through Redis.")
@click.option("--visibility-timeout", type=click.FloatRange(1), default=DEFAULT_VISIBILITY_TIMEOUT,
              show_default=True, metavar="SECONDS",
              help="A request this worker took and has not finished by then is handed to another worker.")
@click.option("--heartbeat-ttl", type=click.FloatRange(1), default=DEFAULT_HEARTBEAT_TTL, show_default=True,
              metavar="SECONDS", help="Without a heartbeat for this long, this worker counts as dead.")
def worker(redis_url, concurrency, extraction_workers, blob_store, blob_threshold, visibility_timeout,
           heartbeat_ttl):
    """Fetch, decode and extract for a coordinator (`portalwatch check --redis URL`).

    Start any number, on any machines that reach the Redis server and the portals. A worker
    holds no archive: it takes requests from Redis and pushes each capture and extracted
    notice back. Runs until Ctrl-C/SIGTERM, then finishes the fetches in hand and hands
    back the rest; one killed outright has its requests handed to another worker once its
    heartbeat expires.
    """
    redis = require_redis()
    from monitor.distributed.worker import run_worker

    try:
        run_worker(redis_url, concurrency=concurrency, extraction_workers=extraction_workers,
                   blob_store=blob_store, blob_threshold=blob_threshold, visibility_timeout=visibility_timeout,
                   heartbeat_ttl=heartbeat_ttl)
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise _redis_error(exc, redis_url) from None


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help="The coordinator's Redis.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(redis_url, as_json):
    """Workers alive, queue lengths, and the progress of the round in progress."""
    redis = require_redis()
    from monitor.distributed.coordinator import status as read_status

    try:
        info = read_status(redis_url)
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise _redis_error(exc, redis_url) from None
    if as_json:
        emit_json(info)
        return
    click.echo(f"workers alive: {len(info['workers'])}")
    for w in info["workers"]:
        click.echo(f"  {w['id']}  {w['responses']} responses, {w['results']} results")
    click.echo(f"queued: {info['queued']}, in flight: {info['in_flight']}, results not yet stored: {info['results']}")
    r = info["round"]
    if r is None:
        click.echo("no round in progress")
    else:
        click.echo(f"round {r['id']} ({', '.join(r['sites'])}): {r['fetched']} notices, {r['listings']} listing "
                   f"pages, {r['extracted']} extracted, {r['failed']} failed")
        for site, n in sorted(r["captures_by_site"].items()):
            click.echo(f"  {site}: {n} captures stored")


def distributed_check(*, redis_url: str, config_path, archive_path, site_name, recheck, as_json, wait=0,
                      **_single_machine_options) -> None:
    """``check --redis``: this process coordinates; workers fetch (see monitor.distributed)."""
    redis = require_redis()
    from monitor.distributed.coordinator import Coordinator, CoordinatorBusy, RoundPending
    from monitor.progress import ProgressLine
    from monitor.publish import publish_round
    from monitor.stopping import GracefulStop

    config = load(config_path, archive_path)
    names = site_names(config, site_name)
    try:
        coordinator = Coordinator(config, redis_url)
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise _redis_error(exc, redis_url) from None
    with round_lock(config, names, wait), GracefulStop(on_stop=coordinator.interrupt) as stop:
        progress = ProgressLine("checking")
        try:
            report = coordinator.run(names, recheck=recheck, on_progress=progress)
        except (CoordinatorBusy, RoundPending) as exc:
            progress.close()
            click.echo(f"Error: {exc}", err=True)
            raise SystemExit(1) from None
        progress.close()
        publish_round(config, report)
        if as_json:
            emit_json({**report_json(report, config), "error": report.error})
        else:
            click.echo(describe_round(report))
    round_exit(report, stop)


def distributed_watch(*, redis_url: str, config_path, archive_path, site_name, recheck, max_rounds,
                      verbose: bool = False, **_single_machine_options) -> None:
    """``watch --redis``: each site's scheduled round is coordinated here; workers fetch."""
    import logging

    redis = require_redis()
    from monitor.cli import prepare_archive
    from monitor.commands.crawl_cmds import describe_round
    from monitor.distributed.watch import DistributedWatcher
    from monitor.publish import register_targets
    from monitor.stopping import exit_code

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s")
    config = load(config_path, archive_path)
    sites = [config.site(name) for name in site_names(config, site_name)]
    try:
        redis.Redis.from_url(redis_url).ping()  # a wrong URL is one clear error, before scheduling
    except (redis.exceptions.RedisError, ValueError) as exc:
        raise _redis_error(exc, redis_url) from None
    prepare_archive(config)
    register_targets(config)
    watcher = DistributedWatcher(config, sites, max_rounds=max_rounds, recheck=recheck, redis_url=redis_url,
                                 on_round=lambda report: click.echo(describe_round(report)))
    for site in sites:
        s = site.schedule
        when = f"cron {s.cron!r}" if s.cron else f"every {s.every_seconds:g}s"
        click.echo(f"watching {site.name} through {redis_url}: {when}"
                   + (f", jitter {s.jitter_seconds:g}s" if s.jitter_seconds else ""))
    rounds = watcher.run()
    if watcher.signum is not None:
        click.echo(f"interrupted: stopped after {rounds} round(s)")
        raise SystemExit(exit_code(watcher.signum))
    click.echo(f"stopped after {rounds} round(s)")


def _add_redis_option(command: click.Command, distributed: Callable[..., None], what: str) -> None:
    """``check`` and ``watch`` (monitor/commands/watch_cmds.py) gain ``--redis URL``: without
    it, the single-machine command runs exactly as before."""
    command.params.append(click.Option(
        ["--redis", "redis_url"], metavar="URL", default=None,
        help=f"Coordinate {what} run by `portalwatch worker` processes through this Redis "
             "(e.g. redis://127.0.0.1:6379/0); this process stays the archive's only writer."))
    single_machine = command.callback

    @functools.wraps(single_machine)
    def callback(*args, redis_url=None, **kwargs):
        if redis_url is None:
            return single_machine(*args, **kwargs)
        return distributed(redis_url=redis_url, **kwargs)

    command.callback = callback


_add_redis_option(watch_cmds.check, distributed_check, "a round")
_add_redis_option(watch_cmds.watch, distributed_watch, "each scheduled round")
