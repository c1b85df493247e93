"""WARC overhead: the crawl benchmark with and without WARC files.

    python benchmarks/bench_warc.py [--articles 5000] [--etag | --no-etag]

For each of ``warc = false`` and ``warc = true`` (same portal, fresh archive each):
* notices/s of a first crawl (fetch + extract + store, politeness off);
* bytes on disk per capture after the first crawl: the SQLite archive, and the WARC files
  plus index.cdxj;
* bytes added per capture by an unchanged re-crawl of every notice (304s with ETags, or
  byte-identical 200s with --no-etag: revisit records either way).
The portal runs in its own process. Figures are printed; nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PortalProcess, file_bytes


def crawl(config: Path, *extra: str) -> tuple[dict, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()", "crawl", "--config",
                          str(config), "--fast", "--json", *extra], stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(out.stdout), time.perf_counter() - started


def warc_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.glob("*")) if directory.exists() else 0


def run(articles_total: int, workdir: Path, etag: bool) -> None:
    portal = PortalProcess(max(1, articles_total // 3), etag=etag)
    try:
        toml = portal.sites_toml.replace("download_delay = 0", "download_delay = 0\nmax_list_pages = 100000")
        figures = {}
        for warc in (False, True):
            archive = workdir / f"bench-{'warc' if warc else 'plain'}.db"
            config = workdir / f"sites-{'warc' if warc else 'plain'}.toml"
            config.write_text(f'archive = "{archive}"\nwarc = {"true" if warc else "false"}\n' + toml,
                              encoding="utf-8")
            report, seconds = crawl(config, "--recheck", "none")
            fetched = report["fetched"]
            db1, warc1 = file_bytes(archive), warc_bytes(workdir / f"{archive.stem}.warc")
            report2, seconds2 = crawl(config, "--recheck", "all")
            db2, warc2 = file_bytes(archive), warc_bytes(workdir / f"{archive.stem}.warc")
            figures[warc] = fetched / seconds
            label = "with WARC   " if warc else "without WARC"
            print(f"{label}: first crawl {fetched} notices in {seconds:.1f}s = {fetched / seconds:.1f} notices/s; "
                  f"on disk per capture: archive {db1 / fetched:.0f} B + WARC {warc1 / fetched:.0f} B; "
                  f"unchanged re-crawl ({report2['unchanged']} unchanged, {seconds2:.1f}s) added per capture: "
                  f"archive {(db2 - db1) / max(1, report2['fetched']):.0f} B + WARC "
                  f"{(warc2 - warc1) / max(1, report2['fetched']):.0f} B")
            if warc:
                files = sorted((workdir / f"{archive.stem}.warc").glob("*.warc.gz"))
                print(f"             WARC files: {len(files)}, {warc2 / 1e6:.1f} MB next to a {db2 / 1e6:.1f} MB"
                      f" archive (listing pages and the not-found probe included)")
        slower = 1 - figures[True] / figures[False]
        print(f"WARC costs {slower * 100:.1f}% of first-crawl throughput (target: at most 10%)")
    finally:
        portal.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--no-etag", action="store_true", help="the portal answers 200 with the same bytes, never 304")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.articles, Path(tmp), etag=not args.no_etag)


if __name__ == "__main__":
    main()
