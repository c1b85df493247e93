"""The ``portalwatch`` command: one subcommand per user task.

Exit codes: 0 ok, 1 failure (a crawl error, a missing page), 2 usage or config error.
Human output by default; ``--json`` gives JSON Lines for scripts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.config import DEFAULT_ARCHIVE, Config, ConfigError, load_config
from storage.archive import Archive, ArchiveError


class UsageError(click.UsageError):
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
    try:
        return Archive(config.archive, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None


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
