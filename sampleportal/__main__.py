"""``python -m sampleportal serve``: run the sample portal in the foreground.

Benchmarks start it in a subprocess so the servers do not share the crawler's CPU: they read
the first output line (JSON with ``--json``, else ``site URL`` lines) and stop it with SIGTERM.
"""
from __future__ import annotations

import json
import signal
import sys
import threading

import click

from sampleportal.portal import SamplePortal


@click.group()
def cli() -> None:
    """A synthetic Chinese government portal on 127.0.0.1 for tests and demos."""


@cli.command()
@click.option("--articles", default=12, show_default=True, help="Notices per site (up to tens of thousands).")
@click.option("--seed", default=0, show_default=True, help="Seed the fictional notices are generated from.")
@click.option("--no-etag", is_flag=True, help="Answer every article with 200 and a full body (no ETag/304).")
@click.option("--port-base", type=int, default=0, help="Serve hunan, zhejiang, govcn on this port and the next two "
              "(default: free ports chosen by the system).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line with base URLs and sites.toml text.")
def serve(articles: int, seed: int, no_etag: bool, port_base: int, as_json: bool) -> None:
    """Serve the three sites until interrupted (Ctrl-C or SIGTERM)."""
    ports = {key: port_base + k for k, key in enumerate(("hunan", "zhejiang", "govcn"))} if port_base else None
    portal = SamplePortal(articles_per_site=articles, seed=seed, etag=not no_etag, ports=ports)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    portal.start()
    try:
        base_urls = {site: portal.base_url(site) for site in portal.sites}
        if as_json:
            click.echo(json.dumps({"base_urls": base_urls, "sites_toml": portal.sites_toml()}, ensure_ascii=False))
        else:
            for site, url in base_urls.items():
                click.echo(f"{site} {url}")
            click.echo("\n# sites.toml")
            click.echo(portal.sites_toml(), nl=False)
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()


if __name__ == "__main__":
    cli()
