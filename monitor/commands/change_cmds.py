"""changes, diff: what changed, and how."""
from __future__ import annotations

import sys

import click

from monitor.attachment_diff import attachment_changes
from monitor.attachment_diff import describe as describe_attachment
from monitor.cli import archive_option, cli, config_option, emit_json, load, open_archive, require_site
from monitor.diff import FieldChange, diff_fields, diff_from_json, diff_texts, diff_to_json
from monitor.diff_render import render_html, render_terminal, render_unified
from monitor.normalize import display_form
from monitor.terminal import use_color
from monitor.timebounds import bound_option, parse_since
from storage.archive import ArchiveError
from storage.records import Announcement, StoredBatch, StoredChange, StoredVersion

CHANGE_KINDS = ("new", "edited", "removed", "restored", "unreachable", "delisted")


@cli.command()
@config_option()
@archive_option
@click.option("--site", "site_name", help="Only this site.")
@click.option("--since", callback=bound_option(parse_since), metavar="WHEN",
              help="Detected on or after WHEN: YYYY-MM-DD, an ISO time (UTC unless it has an offset) or 7d / 12h.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(CHANGE_KINDS),
              help="Only these kinds (repeatable).")
@click.option("--url", help="Only changes of this notice.")
@click.option("--batch", "batch_id", type=int, help="Only the changes of this mass change (its number).")
@click.option("--expand", is_flag=True,
              help="List each change of a mass change, instead of one line for the whole batch.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines: id, site, url, kind, fields, detected_at, from_version, to_version, title, note, "
                   "batch_id; a mass change is one line with batch_id, count, rechecked, field_counts and "
                   "change_ids (and id, url null) unless --expand. Each change also has `announced`: its state "
                   "per target (pending, sending, sent, failed, skipped).")
def changes(config_path, archive_path, site_name, since, kinds, url, batch_id, expand, as_json):
    """List detected changes, oldest first: new, edited (with the fields), removed, restored,
    unreachable, delisted.

    When many notices of a site were edited in one round (a template redesign, usually),
    they are a mass change: one line with the count; --expand lists them one by one.
    """
    config = load(config_path, archive_path)
    expand = expand or url is not None
    with open_archive(config) as archive:
        require_site(archive, site_name)
        try:
            rows = archive.changes(site=site_name, since=since, kinds=kinds, url=url,
                                   batch_id=batch_id)
            batches = {b: archive.batch(b) for b in dict.fromkeys(r.batch_id for r in rows if r.batch_id)}
            announced: dict[int, list[Announcement]] = {}
            for announcement in archive.announcements(change_ids=[r.id for r in rows]) if rows else ():
                announced.setdefault(announcement.change_id, []).append(announcement)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    shown: set[int] = set()
    for row in rows:
        batch = batches.get(row.batch_id) if row.batch_id else None
        if batch is not None and batch.id not in shown:
            shown.add(batch.id)
            if as_json and not expand:
                emit_json(batch.as_json())
            elif not as_json:
                echo_batch(batch, expanded=expand)
        if batch is not None and not expand:
            continue
        if as_json:
            emit_json({**row.as_json(), "announced": {a.target: a.state for a in announced.get(row.id, [])}})
        else:
            echo_change(row)
            echo_waiting(announced.get(row.id, []))
    if not rows and not as_json:
        click.echo("no changes")


def echo_change(row: StoredChange) -> None:
    fields = f" [{', '.join(row.fields)}]" if row.fields else ""
    versions = ""
    if row.from_version or row.to_version:
        versions = f" v{row.from_version or '-'}→v{row.to_version or '-'}"
    click.echo(f"#{row.id:<5} {row.detected_at[:19]}  {row.kind:<11}{fields}{versions}  {row.title or ''}")
    click.echo(f"       {row.url}" + (f"  ({row.note})" if row.note else ""))


def echo_waiting(announcements: list[Announcement]) -> None:
    """A line for the targets a change has not reached yet (see `portalwatch deliveries`)."""
    waiting = [a for a in announcements if a.state in ("pending", "sending", "failed")]
    if waiting:
        parts = [f"{a.target} {a.state}" + (f" ({a.attempts} attempts: {a.error})" if a.state == "failed" else "")
                 for a in waiting]
        click.echo("       not announced yet: " + "; ".join(parts))


def echo_batch(batch: StoredBatch, *, expanded: bool) -> None:
    """Two lines for a mass change: ``B1     <time>  edited      ×283 [text 283, title 2]  site: mass
    change``, then its note and which changes it holds."""
    fields = ", ".join(f"{name} {batch.field_counts[name]}" for name in batch.fields)
    click.echo(f"B{batch.id:<5} {batch.detected_at[:19]}  {batch.kind:<11} ×{batch.count}"
               + (f" [{fields}]" if fields else "") + f"  {batch.site}: mass change")
    ids = batch.change_ids
    span = f"#{ids[0]}–#{ids[-1]}" if len(ids) > 1 else f"#{ids[0]}" if ids else "none"
    hint = "" if expanded else f"; `portalwatch changes --batch {batch.id} --expand` lists them"
    click.echo(f"       {batch.note or ''} (changes {span}{hint})")


def pick_versions(versions: list[StoredVersion], from_n: int | None, to_n: int | None):
    by_number = {v.number: v for v in versions}
    if not versions:
        raise click.ClickException("this notice has no stored version")
    to_v = by_number.get(to_n) if to_n else versions[-1]
    if to_v is None:
        raise click.ClickException(f"no version {to_n} (versions 1..{versions[-1].number})")
    if from_n:
        from_v = by_number.get(from_n)
        if from_v is None:
            raise click.ClickException(f"no version {from_n} (versions 1..{versions[-1].number})")
    else:
        earlier = [v for v in versions if v.number < to_v.number]
        from_v = earlier[-1] if earlier else to_v
    return from_v, to_v


@cli.command()
@click.argument("url")
@config_option()
@archive_option
@click.option("--from", "from_n", type=int, help="Older version number (default: the one before --to).")
@click.option("--to", "to_n", type=int, help="Newer version number (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["text", "unified", "html", "json"]), default="text",
              show_default=True, help="text: coloured on a terminal, [+ +]/[- -] markers otherwise.")
def diff(url, config_path, archive_path, from_n, to_n, fmt):
    """Show what changed in the notice at URL between two versions: sentence-aligned,
    character-level for Chinese, metadata fields too."""
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        try:
            versions = archive.versions(url)
            state = archive.page_state(url)
            gone = (archive.changes(url=url, kinds=["removed", "unreachable", "delisted"])
                    if state is not None and state.status != "live" else [])
            old, new = pick_versions(versions, from_n, to_n)
            files = attachment_changes(archive, old, new)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    text_diff = diff_texts(display_form(old.text), display_form(new.text))
    fields = diff_fields(old.fields(), new.fields())
    if files and not any(f.name == "attachments" for f in fields):  # the same links, other files
        fields.append(FieldChange("attachments", old.fields()["attachments"], new.fields()["attachments"]))
    # The notice's present state when it is not live: a diff of a removed notice says so.
    status = None
    if state is not None and state.status != "live":
        last = gone[-1] if gone else None
        status = {"status": state.status, "detected_at": last.detected_at if last else None,
                  "kind": last.kind if last else None, "note": last.note if last else None}
    if fmt == "json":
        # "fields" names what changed, as `changes --json` does; "field_changes" has the values.
        emit_json({"url": url, "from_version": old.number, "to_version": new.number,
                   "fields": (["text"] if text_diff.changed else []) + [f.name for f in fields],
                   "field_changes": [{"name": f.name, "old": f.old, "new": f.new} for f in fields],
                   "status": status, "attachments": files, **diff_to_json(text_diff)})
        return
    if fmt == "html":
        from html import escape

        rows = "".join(f"<li>{escape(f.name)}: <del>{escape(f.old or '')}</del> → <ins>{escape(f.new or '')}</ins></li>"
                       for f in fields)
        click.echo(f"<h1>{escape(new.title or url)}</h1><p>v{old.number} → v{new.number}</p>"
                   + (f"<ul>{rows}</ul>" if rows else "") + render_html(text_diff))
        return
    if fmt == "unified":
        click.echo(render_unified(display_form(old.text), display_form(new.text),
                                  f"{url} v{old.number}", f"{url} v{new.number}"), nl=False)
        return
    click.echo(f"{new.title or url}\nv{old.number} ({old.created_at[:19]}) → v{new.number} ({new.created_at[:19]})")
    if status is not None:
        when = f" since {status['detected_at'][:19]}" if status["detected_at"] else ""
        click.echo(f"now {status['status']}{when}" + (f": {status['note']}" if status["note"] else ""))
    for f in fields:
        if f.name != "attachments" or not files:
            click.echo(f"  {f.name}: {f.old!r} → {f.new!r}")
    for entry in files:
        click.echo(describe_attachment(entry))
        if entry["text_diff"]:
            click.echo(render_terminal(diff_from_json(entry["text_diff"]), color=use_color(sys.stdout)))
    rendered = render_terminal(text_diff, color=use_color(sys.stdout))
    if rendered:
        click.echo(rendered)
    elif old.number == new.number:
        click.echo("(only one version stored)")
    else:
        click.echo("(body text unchanged)")
