"""Distributed rounds next to single-machine mode on the scaled sample portal.

    python benchmarks/bench_distributed.py [--articles 2000] [--workers 1 2]

* notices/s of a first crawl (politeness off): single machine (`crawl --fast`) and the
  coordinator (`check --redis`) with 1, 2, ... `portalwatch worker` processes;
* Redis commands and bytes per notice (from INFO: every client together; a command sent in a
  pipeline or transaction shares its round trip with the others, so round trips are fewer);
* the coordinator's ceiling: results it stores per second of its own work (decode, dedupe,
  Recorder, acknowledge), i.e. with results already queued; divided by one worker's rate, how
  many workers one archive writer can serve.
A redis-server (Debian package) is started on a free port. Figures are printed; nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PortalProcess

CLI = [sys.executable, "-c", "from monitor.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server binary (Debian: apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def redis_counters(url: str) -> dict[str, float]:
    import redis

    info = redis.Redis.from_url(url).info("stats")
    return {k: float(info[k]) for k in ("total_commands_processed", "total_net_input_bytes",
                                        "total_net_output_bytes")}


def write_config(workdir: Path, name: str, sites_toml: str) -> Path:
    archive = workdir / f"{name}.db"
    config = workdir / f"{name}.toml"
    toml = sites_toml.replace("download_delay = 0", "download_delay = 0\nmax_list_pages = 100000")
    config.write_text(f'archive = "{archive}"\n' + toml, encoding="utf-8")
    return config


def single_machine(workdir: Path, sites_toml: str) -> tuple[int, float]:
    config = write_config(workdir, "single", sites_toml)
    started = time.perf_counter()
    out = subprocess.run([*CLI, "crawl", "--config", str(config), "--fast", "--recheck", "none", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["fetched"], time.perf_counter() - started


def distributed(workdir: Path, sites_toml: str, url: str, workers: int, concurrency: int) -> dict:
    import redis

    config = write_config(workdir, f"workers-{workers}", sites_toml)
    client = redis.Redis.from_url(url)
    client.flushdb()
    procs = [subprocess.Popen([*CLI, "worker", "--redis", url, "--concurrency", str(concurrency)])
             for _ in range(workers)]
    try:
        while client.scard("portalwatch:workers") < workers:
            time.sleep(0.1)
        before = redis_counters(url)
        started = time.perf_counter()
        out = subprocess.run([*CLI, "check", "--redis", url, "--config", str(config), "--recheck", "none", "--json"],
                             capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - started
        after = redis_counters(url)
        stats = {k.decode(): float(v) for k, v in client.hgetall("portalwatch:stats").items()}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    report = json.loads(out)
    fetches = report["fetched"] + report["listings"]
    return {
        "fetched": report["fetched"], "seconds": seconds,
        "commands": (after["total_commands_processed"] - before["total_commands_processed"]) / report["fetched"],
        "bytes": (after["total_net_input_bytes"] - before["total_net_input_bytes"]
                  + after["total_net_output_bytes"] - before["total_net_output_bytes"]) / report["fetched"],
        "result_bytes": stats.get("result_bytes", 0) / max(1, fetches),
        "ceiling": stats.get("applied", 0) / max(1e-9, stats.get("apply_seconds", 0)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight per worker")
    args = ap.parse_args()
    portal = PortalProcess(max(1, args.articles // 3))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server, url = start_redis(workdir)
        try:
            fetched, seconds = single_machine(workdir, portal.sites_toml)
            print(f"== {fetched} notices, first crawl, politeness off ==")
            print(f"single machine (crawl --fast): {seconds:.1f}s, {fetched / seconds:.1f} notices/s")
            one_worker_rate = None
            for n in args.workers:
                row = distributed(workdir, portal.sites_toml, url, n, args.concurrency)
                rate = row["fetched"] / row["seconds"]
                one_worker_rate = one_worker_rate or rate
                print(f"{n} worker(s) + coordinator (check --redis): {row['seconds']:.1f}s, {rate:.1f} notices/s; "
                      f"Redis {row['commands']:.1f} commands and {row['bytes'] / 1024:.1f} KiB per notice "
                      f"(result messages {row['result_bytes'] / 1024:.1f} KiB per fetch); "
                      f"coordinator ceiling {row['ceiling']:.0f} results/s")
                if n == args.workers[0]:
                    print(f"  → one archive writer can serve about {row['ceiling'] / rate:.1f} workers like this one")
        finally:
            server.terminate()
            server.wait(10)
            portal.stop()


if __name__ == "__main__":
    main()
