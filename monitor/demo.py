"""``portalwatch demo``: the whole story on the bundled sample portal, with no network.

Starts the sample portal on 127.0.0.1, crawls it into a fresh archive, then lets the portal
edit one notice (a figure and a sentence), withdraw one, publish one and churn the furniture
of every page, and runs a second round, which should report exactly those three changes.
"""
from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from monitor.config import load_config
from monitor.crawl import RoundReport, run_round
from monitor.diff import diff_texts
from monitor.diff_render import render_terminal
from monitor.normalize import display_form
from monitor.vocabulary import KIND_NAMES
from storage.archive import Archive

KIND_LABELS = {kind: f"{name} {kind}" for kind, name in KIND_NAMES.items()}


def run_demo(archive: Path | None, echo: Callable[[str], None], *, articles: int = 12, color: bool = False) -> int:
    from sampleportal import SamplePortal

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="portalwatch-demo-")) if archive is None else None
    archive_path = archive if archive is not None else workdir / "demo.db"
    if archive_path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{archive_path}{suffix}").unlink(missing_ok=True)
    try:
        with SamplePortal(articles_per_site=articles) as portal:
            config_path = archive_path.parent / "demo-sites.toml"
            config_path.parent.mkdir(parents=True, exist_ok=True)
            config_path.write_text(f'archive = "{archive_path.name}"\n' + portal.sites_toml(), encoding="utf-8")
            config = load_config(config_path)
            sites = [s.name for s in config.sites]
            echo(f"sample portal: {', '.join(f'{s} {portal.base_url(s)}' for s in sites)}")

            echo("\n== round 1: first crawl ==")
            first = run_round(config, sites, recheck="all")
            _check(first)
            echo(_summary(first))
            with Archive(archive_path, readonly=True) as db:
                counts = db.counts()
                echo(f"archive: {counts['sites']} sites, {counts['pages']} notices, {counts['versions']} versions, "
                     f"{counts['captures']} captures, {counts['blobs']} raw bodies")
                sample = db.pages("zhejiang")[0]
                version = db.version(sample.url)
                echo(f"\nsample clean text ({sample.site}, GBK page): {version.title}")
                echo(f"  发布时间 {version.published}  来源 {version.source}  文号 {version.doc_number or '-'}")
                for line in version.text.splitlines()[:3]:
                    echo("  " + (line if len(line) <= 70 else line[:69] + "…"))
                last_change = max((c.id for c in db.changes()), default=0)

            echo("\n== the portal changes ==")
            edited_url = portal.article_url("hunan", 1)
            edit = portal.edit_notice("hunan", 1)
            for before, after in edit.changes:
                echo(f"  edit   {edited_url}\n         {before[:40]!r} → {after[:40]!r}")
            removed_url = portal.article_url("zhejiang", 2)
            portal.remove_notice("zhejiang", 2, how="soft404")
            echo(f"  remove {removed_url} (now says 该信息已删除)")
            added_url = portal.add_notice("govcn")
            echo(f"  add    {added_url}")
            portal.churn_boilerplate()
            echo("  churn  visit counters, date widgets, related links and sidebars on every page")

            echo("\n== round 2: re-check ==")
            second = run_round(config, sites, recheck="all")
            _check(second)
            echo(_summary(second))
            with Archive(archive_path, readonly=True) as db:
                changes = db.changes(after_id=last_change)
                echo(f"{len(changes)} change(s):")
                for change in changes:
                    echo(f"\n[{KIND_LABELS.get(change.kind, change.kind)}] {change.title or ''}\n  {change.url}")
                    if change.fields:
                        echo(f"  changed: {', '.join(change.fields)}")
                    if change.note:
                        echo(f"  {change.note}")
                    if change.kind == "edited" and change.from_version_id and change.to_version_id:
                        old = db.version_by_id(change.from_version_id)
                        new = db.version_by_id(change.to_version_id)
                        rendered = render_terminal(diff_texts(display_form(old.text), display_form(new.text)),
                                                   color=color)
                        echo("  " + rendered.replace("\n", "\n  "))
        echo(f"\ndone in {time.monotonic() - started:.1f}s")
        if workdir is None:
            echo(f"archive kept at {archive_path}; try:\n"
                 f"  portalwatch pages --archive {archive_path}\n"
                 f"  portalwatch changes --archive {archive_path}\n"
                 f"  portalwatch diff {edited_url} --archive {archive_path}")
        return 0
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def not_a_demo_archive(path: Path) -> str | None:
    """Why the file at ``path`` must not be replaced by the demo's archive, or None when it is
    absent or holds only what a demo stores (the sample sites, on 127.0.0.1)."""
    from urllib.parse import urlsplit

    from sampleportal.profiles import SITES
    from storage.archive import ArchiveError

    if not path.exists():
        return None
    if path.is_dir():
        return "is a folder"
    try:
        with Archive(path, readonly=True) as db:
            sites = set(db.site_names())
            hosts = {urlsplit(page.url).hostname for page in db.pages()}
    except (ArchiveError, sqlite3.Error):
        return "exists and is not a portalwatch archive"
    if not sites <= set(SITES) or not hosts <= {"127.0.0.1"}:
        return "is an existing archive, not a demo's"
    return None


def _summary(report: RoundReport) -> str:
    changes = ", ".join(f"{n} {kind}" for kind, n in sorted(report.changes.items())) or "no changes"
    return (f"{report.fetched} notices fetched from {len(report.sites)} sites, {report.extracted} extracted, "
            f"{report.unchanged} unchanged; {changes} ({report.seconds:.1f}s)")


def _check(report: RoundReport) -> None:
    if report.error:
        sys.stderr.write(report.error)
        raise RuntimeError("the demo crawl failed")
