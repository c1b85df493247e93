"""serve: browse the archive in a web browser (Datasette, read-only)."""
from __future__ import annotations

import asyncio
import ipaddress
import socket

import click

from monitor.cli import UsageError, archive_option, cli, config_option, load
from monitor.stopping import GracefulStop

LOCAL_HOST_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOCAL_HOST_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, public: bool) -> None:
    """Refuse to listen beyond this machine unless the user asked for it with --public."""
    if not public and not is_loopback(host):
        raise UsageError(
            f"--host {host} would make the archive reachable from other machines; "
            "add --public if that is what you want (default: 127.0.0.1)"
        )


@cli.command()
@config_option()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address needs --public.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on.")
@click.option("--public", is_flag=True,
              help="Allow --host to be an address other machines can reach (e.g. 0.0.0.0).")
def serve(config_path, archive_path, host, port, public):
    """Browse the archive at http://HOST:PORT/ with Datasette, read-only.

    Tables of sites, notices, captures, versions and changes, canned queries (recent
    changes, removed notices, edits by site, notices by issuer, search) and a diff page
    per change at /-/change/ID. Captured pages are shown as escaped text, never run.
    """
    check_host(host, public)
    config = load(config_path, archive_path)

    import uvicorn

    from monitor.browse import archive_is_current, build_datasette
    from storage.archive import ArchiveError

    try:
        datasette = build_datasette(config.archive)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    if not archive_is_current(config.archive):
        click.echo("warning: the archive predates this portalwatch; search needs a crawl to upgrade it",
                   err=True)
    asyncio.run(datasette.invoke_startup())
    listening = bind(host, port)
    bound_port = listening.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning"))
    # uvicorn shuts down on the first SIGINT/SIGTERM (at once on the second), then re-raises
    # the signal to the handler it found: ours, which records it for the exit code. A signal
    # before uvicorn listens for them asks it to exit as soon as it starts.
    with GracefulStop(on_stop=lambda: setattr(server, "should_exit", True)) as stop:
        click.echo(f"Serving {config.archive} read-only at http://{shown_host}:{bound_port}/ (Ctrl-C to stop)")
        server.run(sockets=[listening])
    if stop.stopped:
        click.echo("interrupted: stopped serving")
        raise SystemExit(stop.exit_code)


def bind(host: str, port: int) -> socket.socket:
    """Listen before saying so: a busy port is a clear error, and --port 0 shows the real port."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listening = socket.socket(family, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port or --host"
        ) from None
    listening.set_inheritable(True)
    return listening
