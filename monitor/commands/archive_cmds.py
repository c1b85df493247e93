"""pages, history, show: what the archive holds."""
from __future__ import annotations

import sys

import click

from monitor.cli import archive_option, cli, config_option, emit_json, load, open_archive, require_site
from spiders.encoding import decode_html, relabel_utf8
from storage.archive import ArchiveError


def short(value: str | None, width: int) -> str:
    value = value or "-"
    return value if len(value) <= width else value[: width - 1] + "…"


@cli.command()
@config_option()
@archive_option
@click.option("--site", "site_name", help="Only this site.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one notice per line.")
def pages(config_path, archive_path, site_name, as_json):
    """List the notices in the archive: url, title, published, versions, last checked, status."""
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        require_site(archive, site_name)
        rows = archive.pages(site_name)
    if as_json:
        for row in rows:
            emit_json(row.as_json())
        return
    if not rows:
        click.echo("the archive holds no notices yet")
        return
    click.echo(f"{'site':<10} {'published':<16} {'ver':<4} {'status':<11} {'checked (UTC)':<16}  title / url")
    for row in rows:
        published = (row.published or "-")[:16].replace("T", " ")
        checked = (row.last_checked or "-")[:16].replace("T", " ")
        click.echo(
            f"{row.site:<10} {published:<16} v{row.versions:<3} {row.status:<11} {checked:<16}  "
            f"{short(row.title, 40)}\n{'':<10} {row.url}"
        )
    click.echo(f"{len(rows)} notices")


@cli.command()
@click.argument("url")
@config_option()
@archive_option
@click.option("--json", "as_json", is_flag=True, help="JSON: the notice's captures and versions.")
def history(url, config_path, archive_path, as_json):
    """Every capture and version of the notice at URL."""
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        try:
            captures = archive.captures(url)
            versions = archive.versions(url)
            changes = archive.changes(url=url)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json({
            "url": url,
            "captures": [
                {"id": c.id, "fetched_at": c.fetched_at, "status": c.status, "outcome": c.outcome,
                 "body_sha256": c.body_sha256, "size": c.size, "final_url": c.final_url,
                 "version": c.version_number, "error": c.error, "headers": c.headers}
                for c in captures
            ],
            "versions": [
                {"number": v.number, "created_at": v.created_at, "title": v.title, "published": v.published,
                 "chars": len(v.text), "extractor": v.extractor, "reextracted": v.reextracted}
                for v in versions
            ],
            "changes": [c.as_json() for c in changes],
        })
        return
    click.echo(url)
    click.echo(f"versions ({len(versions)}):")
    for v in versions:
        note = " (re-extraction)" if v.reextracted else ""
        click.echo(f"  v{v.number}  {v.created_at}  {len(v.text)} chars  {short(v.title, 50)}{note}")
    click.echo(f"captures ({len(captures)}):")
    for c in captures:
        version = f"v{c.version_number}" if c.version_number else "-"
        detail = c.error or (f"{c.size} bytes" if c.size else "")
        click.echo(f"  {c.fetched_at}  HTTP {c.status or '---'}  {c.outcome:<12} {version:<4} {detail}")
    if changes:
        click.echo(f"changes ({len(changes)}):")
        for ch in changes:
            fields = f" [{', '.join(ch.fields)}]" if ch.fields else ""
            click.echo(f"  #{ch.id} {ch.detected_at}  {ch.kind}{fields}  {ch.note or ''}")


@cli.command()
@click.argument("url")
@config_option()
@archive_option
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("--raw", is_flag=True, help="The page as fetched (raw bytes of the version's capture).")
@click.option("--decoded", is_flag=True, help="With --raw: decode to UTF-8 text instead of writing bytes.")
@click.option("--from-warc", is_flag=True,
              help="With --raw: read the page from the WARC files rather than the archive file (the bytes"
                   " are the same; without this, the WARC files are read only when the archive file lacks them).")
def show(url, config_path, archive_path, number, raw, decoded, from_warc):
    """The clean text of a version of the notice at URL (or with --raw, the HTML as fetched)."""
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        try:
            version = archive.version(url, number)
            if raw:
                capture = archive.capture_of_version(version)
                if capture is None or not (capture.body_sha256 or capture.warc_record_id):
                    raise click.ClickException(f"version {version.number} of {url} has no stored capture")
                if from_warc or not capture.body_sha256:
                    body = archive.warc_body(capture.id)
                else:
                    body = archive.raw_body(capture.body_sha256)
                if decoded:
                    # Printed as UTF-8: the page's own charset declaration is changed to say so.
                    click.echo(relabel_utf8(decode_html(body, capture.headers.get("content-type"))[0]))
                else:
                    sys.stdout.buffer.write(body)
                    sys.stdout.flush()
                return
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
    header = [f"标题: {version.title or ''}", f"发布时间: {version.published or ''}"]
    for label, value in (("来源", version.source), ("责任编辑", version.editor), ("文号", version.doc_number),
                         ("索引号", version.index_number), ("发布机关", version.issuer)):
        if value:
            header.append(f"{label}: {value}")
    header.append(f"版本: {version.number} ({version.created_at})")
    click.echo("\n".join(header))
    click.echo()
    click.echo(version.text)
    for attachment in version.attachments:
        click.echo(f"附件: {attachment.get('text') or ''} {attachment.get('url')}")
