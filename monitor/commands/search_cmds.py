"""search: find notices by Chinese text, in Simplified or Traditional script."""
from __future__ import annotations

import html
import sys

import click

from monitor.cli import (
    UsageError,
    archive_option,
    cli,
    config_option,
    emit_json,
    load,
    open_archive,
    require_site,
)
from monitor.terminal import use_color
from monitor.timebounds import bound_option, parse_since
from storage.attachments import search_attachments
from storage.search import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit, rebuild_index, search

# How a match is marked in a snippet, per output.
ANSI_BOLD, ANSI_RESET = "\x1b[1m", "\x1b[0m"
PLAIN_MARKS = ("【", "】")  # a pipe or file: brackets Chinese readers know as emphasis
HTML_MARKS = ("<mark>", "</mark>")


def highlight(snippet: str, start: str, end: str) -> str:
    return snippet.replace(HIGHLIGHT_START, start).replace(HIGHLIGHT_END, end)


def html_snippet(snippet: str) -> str:
    """HTML-escaped snippet with <mark> around matches, safe to insert into a page."""
    escaped = html.escape(snippet, quote=False)
    return highlight(escaped, *HTML_MARKS)


@cli.command(name="search")
@click.argument("query", required=False)
@config_option()
@archive_option
@click.option("--site", "site_name", help="Only this site.")
@click.option("--since", callback=bound_option(parse_since), metavar="WHEN",
              help="Only versions captured on or after WHEN: YYYY-MM-DD, an ISO time (UTC unless it has an offset) or 7d / 12h.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="Notices to show.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines, one notice per line; snippet is HTML-escaped with <mark>…</mark>.")
@click.option("--reindex", is_flag=True,
              help="Rebuild the search index first (archives written before search existed).")
def search_command(query, config_path, archive_path, site_name, since, limit, as_json, reindex):
    """Notices whose title or text contains QUERY, best match first.

    Finds any Chinese substring: 安全生产, 应急管理局. Traditional and Simplified match each
    other (安全生產 finds 安全生产). Several words separated by spaces must all occur.
    Queries of one or two characters scan the text and list the newest notices first.

    \b
    Examples:
      portalwatch search 安全生产
      portalwatch search 通知 --site demo --since 2024-01-01 --json
    """
    query = query.strip() if query else query  # "   " asks for nothing, like ""
    if not query and not reindex:
        raise UsageError("give a QUERY to search for (or --reindex to rebuild the index)")
    config = load(config_path, archive_path)
    if reindex:
        with open_archive(config, readonly=False) as archive:
            indexed = rebuild_index(archive, progress=_reindex_progress if sys.stderr.isatty() else None)
        click.echo(f"indexed {indexed} versions", err=True)
        if not query:
            return
    with open_archive(config) as archive:
        require_site(archive, site_name)
        hits = search(archive, query, site=site_name, since=since, limit=limit)
        # Words inside the notices' attachments (PDF, DOCX, XLSX, OFD text): each hit names the file.
        hits += search_attachments(archive, query, site=site_name, since=since, limit=limit)
    if as_json:
        for hit in hits:
            emit_json(hit.as_json(snippet=html_snippet(hit.snippet)))
        return
    if not hits:
        click.echo("no notices match")
        return
    marks = (ANSI_BOLD, ANSI_RESET) if use_color(sys.stdout) else PLAIN_MARKS
    for n, hit in enumerate(hits, 1):
        click.echo(describe(n, hit, marks))
    click.echo(f"{len(hits)} notice{'' if len(hits) == 1 else 's'}" + (" (more with --limit)" if len(hits) == limit else ""))


def describe(n: int, hit: SearchHit, marks: tuple[str, str]) -> str:
    snippet = highlight(hit.snippet.replace("\n", " "), *marks)
    where = f"\n   in attachment {hit.attachment}" if hit.attachment else ""
    return (f"{n}. {hit.title or '(no title)'}\n   {hit.site}  {hit.published or '-'}  v{hit.version}  "
            f"{hit.url}{where}\n   {snippet}\n")


def _reindex_progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rindexed {done} of {total} versions")
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")
