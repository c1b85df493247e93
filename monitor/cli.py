"""The ``portalwatch`` command: one subcommand per user task.

Exit codes: 0 ok, 1 failure (a crawl error, a missing page), 2 usage or config error.
Human output by default; ``--json`` gives JSON Lines for scripts.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from monitor.config import DEFAULT_ARCHIVE, Config, ConfigError, load_config
from storage.archive import Archive, ArchiveError, BadArchive, inspect_archive_file


class UsageError(click.UsageError):
    exit_code = 2


class UnusableArchive(click.ClickException):
    """The archive cannot be used at all: one line (``Error: FILE: what is wrong``), exit 2."""

    exit_code = 2


def archive_option(f):
    return click.option(
        "--archive", "archive_path", type=click.Path(dir_okay=False, path_type=Path),
        help=f"Archive file (default: the config's `archive`, else ./{DEFAULT_ARCHIVE}).",
    )(f)


def config_option(required: bool = False):
    def decorate(f):
        return click.option(
            "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), required=required,
            help="Sites file (TOML, [[site]] tables). See sites.example.toml.",
        )(f)
    return decorate


def load(config_path: Path | None, archive_path: Path | None) -> Config:
    try:
        return load_config(config_path, archive=archive_path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def open_archive(config: Config, *, readonly: bool = True) -> Archive:
    """Open the archive for a command; a bad one is one line naming the file, exit 2."""
    try:
        if readonly and not config.archive.exists():
            raise ArchiveError(f"no archive at {config.archive} (run `portalwatch crawl` first)")
        inspect_archive_file(config.archive, write=not readonly)
        return Archive(config.archive, readonly=readonly)
    except BadArchive as exc:
        raise UnusableArchive(str(exc)) from None
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None


def require_site(archive: Archive, site_name: str | None) -> None:
    """An unknown ``--site`` is a usage error (exit 2) listing the sites the archive holds, in
    every command that reads the archive, rather than an empty answer that looks like news."""
    if site_name is None:
        return
    known = archive.site_names()
    if site_name not in known:
        raise UsageError(f"no site {site_name!r} in {archive.path}; sites: {', '.join(known) or '(none yet)'}")


def prepare_archive(config: Config) -> None:
    """Check that the archive can be written (creating and migrating it if needed) before a
    command fetches anything: a bad archive is one line and exit 2, not a round of tracebacks."""
    open_archive(config, readonly=False).close()


def wait_option(f):
    return click.option("--wait", type=click.FloatRange(0), default=0, show_default=True, metavar="SECONDS",
                        help="When another process is running a round of these sites on this archive, wait"
                             " up to this long for it to finish (default: refuse at once, exit 1).")(f)


@contextmanager
def round_lock(config: Config, sites: list[str], wait: float = 0) -> Iterator[None]:
    """Before a round: check the archive (exit 2 on a bad one), register the alert targets
    (so a round killed midway is announced by the next run), and hold the sites' locks for
    the body (see monitor.site_lock); a site busy in another process is one line naming its
    PID, exit 1."""
    from monitor.publish import register_targets
    from monitor.site_lock import SitesBusy, hold_sites

    prepare_archive(config)
    register_targets(config)
    try:
        with hold_sites(config.archive, sites, wait=wait):
            yield
    except SitesBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(1) from None


def emit_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portalwatch")
def cli() -> None:
    """Crawl Chinese government portals into a versioned archive and watch notices change.

    Start with `portalwatch demo`, then `portalwatch crawl --config sites.toml`.
    """


def main() -> None:
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


def _register_commands() -> None:
    """Subcommands live in monitor/commands/, one module per task group; importing a
    module registers its commands on :data:`cli`."""
    import importlib
    import pkgutil

    import monitor.commands

    for module in pkgutil.iter_modules(monitor.commands.__path__):
        importlib.import_module(f"monitor.commands.{module.name}")


_register_commands()
