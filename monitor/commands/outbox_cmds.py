"""publish, deliveries: announce what is still unannounced, and show what is waiting."""
from __future__ import annotations

import logging
from collections import Counter

import click

from monitor.cli import archive_option, cli, config_option, emit_json, load, open_archive, prepare_archive

WAITING_STATES = ("pending", "sending", "failed")


@cli.command()
@config_option(required=True)
@archive_option
@click.option("--retry-now", is_flag=True,
              help="Send failed alerts now, without waiting for their backoff (1, 2, 4 … minutes, at most an hour).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def publish(config_path, archive_path, retry_now, as_json):
    """Announce every stored change that a target has not been told about yet: alerts to each
    configured target, the change log and the Atom feed. Each round runs this too; run it
    after a crash, after fixing a webhook, or from cron.

    Each change is told to each target once: deliveries are claimed in the archive, so a
    `watch` or another command publishing at the same time never sends the same one. Exit
    code 1 when an alert could not be delivered (it stays due, see `portalwatch deliveries`).
    """
    from monitor.publish import publish as publish_changes

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    config = load(config_path, archive_path)
    prepare_archive(config)
    report = publish_changes(config, due_only=not retry_now)
    if as_json:
        emit_json({"sent": report.alerts.delivered, "failed": report.alerts.failed, "logged": report.logged,
                   "feed_entries": report.feed_entries, "recovered": report.recovered, "errors": report.errors,
                   "archive": str(config.archive)})
    else:
        click.echo(report.summary())
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)
    if not report.ok:
        raise SystemExit(1)


@cli.command()
@config_option()
@archive_option
@click.option("--all", "show_all", is_flag=True, help="Also what was sent or skipped, not only what is waiting.")
@click.option("--target", help="Only this target (its label as shown, e.g. json://127.0.0.1:8080/***, changelog).")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines: change_id, batch_id, site, target, state, attempts, next_attempt_at, done_at, error.")
def deliveries(config_path, archive_path, show_all, target, as_json):
    """What is not announced yet: per change (or mass change, B…) and target, its state
    (pending, sending, failed), how many attempts, when it is tried again and the last
    error. Targets are alert URLs (secrets hidden), `changelog` and `feed`."""
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        rows = archive.announcements(states=() if show_all else WAITING_STATES, target=target)
    if as_json:
        for row in rows:
            emit_json(row.as_json())
        return
    if not rows:
        click.echo("nothing waiting: every stored change has been announced" if not show_all else "no announcements")
        return
    for row in rows:
        subject = f"B{row.batch_id}" if row.batch_id is not None else f"#{row.change_id}"
        detail = [f"{row.attempts} attempt(s)"] if row.attempts else []
        if row.state == "failed":
            detail.append(f"next {row.next_attempt_at[:19] if row.next_attempt_at else 'next run'}")
        if row.done_at:
            detail.append(row.done_at[:19])
        click.echo(f"{subject:<7} {row.state:<8} {row.target}  {row.site or ''}  {', '.join(detail)}")
        if row.error:
            click.echo(f"        {row.error}")
    counts = Counter(row.state for row in rows)
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
