"""Crawl throughput, peak memory and archive growth on the scaled sample portal.

    python benchmarks/bench_crawl.py [--articles 5000] [--also 20000]

* pages/s end to end (fetch + decode + extract + store, politeness off) next to plain
  ``trafilatura.extract`` on the same pages in one process;
* peak RSS of the crawl (the round's process tree, and its largest process), sampled over
  time to show whether it stays flat;
* archive growth: bytes per unchanged re-fetch (304) and per new version.
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
from _support import PortalProcess, RssSampler, file_bytes


def crawl(config: Path, *extra: str) -> tuple[dict, float, RssSampler]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()", "crawl", "--config",
                             str(config), "--fast", "--json", *extra], stdout=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    out, _ = proc.communicate()
    sampler.stop()
    if proc.returncode:
        raise SystemExit(f"crawl failed ({proc.returncode})")
    return json.loads(out), time.perf_counter() - started, sampler


def trafilatura_rate(archive: Path, limit: int = 600) -> float:
    import sqlite3
    import zlib

    import trafilatura

    conn = sqlite3.connect(archive)
    bodies = [zlib.decompress(row[0]) for row in conn.execute(
        "SELECT content FROM blobs ORDER BY RANDOM() LIMIT ?", (limit,))]
    started = time.perf_counter()
    for body in bodies:
        trafilatura.extract(body)
    return len(bodies) / (time.perf_counter() - started)


def run(articles_total: int, workdir: Path, *, growth: bool) -> None:
    per_site = max(1, articles_total // 3)
    portal = PortalProcess(per_site)
    try:
        archive = workdir / f"bench-{articles_total}.db"
        config = workdir / f"sites-{articles_total}.toml"
        toml = portal.sites_toml.replace("download_delay = 0", "download_delay = 0\nmax_list_pages = 100000")
        config.write_text(f'archive = "{archive}"\n' + toml, encoding="utf-8")
        report, seconds, sampler = crawl(config, "--recheck", "none")
        fetched = report["fetched"]
        print(f"\n== {fetched} notices ({per_site} per site x 3 sites) ==")
        print(f"first crawl: {seconds:.1f}s wall, {fetched / seconds:.1f} notices/s end to end "
              f"(+{report['listings']} listing pages)")
        print(f"peak memory: process tree PSS {sampler.peak_pss:.0f} MB (RSS sum {sampler.peak_total:.0f} MB, "
              f"counting shared pages once per process), largest process RSS {sampler.peak_single:.0f} MB")
        quarter = [s for s in sampler.samples if s[0] > 1.0]
        if quarter:
            chunks = [quarter[i * len(quarter) // 4:(i + 1) * len(quarter) // 4] for i in range(4)]
            print("tree RSS by quarter of the crawl (MB, max): "
                  + ", ".join(f"{max(c for _, c in chunk):.0f}" for chunk in chunks if chunk))
        rate = trafilatura_rate(archive)
        print(f"plain trafilatura.extract, one process, same pages: {rate:.1f} pages/s "
              f"→ end to end is {fetched / seconds / rate:.2f}x")
        if not growth:
            return
        before = file_bytes(archive)
        report2, seconds2, _ = crawl(config, "--recheck", "all")
        after = file_bytes(archive)
        print(f"re-check of every notice (304s): {seconds2:.1f}s, {report2['unchanged']} unchanged; "
              f"archive grew {after - before} bytes = {(after - before) / max(1, report2['fetched']):.0f} bytes "
              f"per unchanged re-fetch")
        edits = 100
        for i in range(edits):
            portal.control(["hunan", "zhejiang", "govcn"][i % 3], "edit", index=i // 3)
        before = file_bytes(archive)
        report3, _, _ = crawl(config, "--recheck", "all")
        after = file_bytes(archive)
        unchanged_cost = (report3["fetched"] - edits) * max(0, (after - before)) / max(1, report3["fetched"])
        print(f"after {edits} edits: {report3['changes']}; archive grew {after - before} bytes "
              f"≈ {(after - before) / edits:.0f} bytes per new version (raw page + text, incl. its capture rows)")
        del unchanged_cost
    finally:
        portal.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--also", type=int, nargs="*", default=[20000], help="further sizes for the memory curve")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.articles, Path(tmp), growth=True)
        for size in args.also:
            run(size, Path(tmp), growth=False)


if __name__ == "__main__":
    main()
