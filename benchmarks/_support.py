"""Shared plumbing for the benchmarks: a sample portal in its own process, RSS sampling."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


class PortalProcess:
    """``python -m sampleportal serve`` in a subprocess, so the server has its own CPU."""

    def __init__(self, articles: int, *, etag: bool = True) -> None:
        args = [sys.executable, "-m", "sampleportal", "serve", "--articles", str(articles), "--json"]
        if not etag:
            args.append("--no-etag")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        info = json.loads(self.proc.stdout.readline())
        self.base_urls: dict[str, str] = info["base_urls"]
        self.sites_toml: str = info["sites_toml"]

    def control(self, site: str, action: str, **params: object) -> dict:
        import urllib.parse
        import urllib.request

        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.base_urls[site]}/_control/{action}?{query}") as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages (fork, the fork server) counted once across the tree."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pids(root: int) -> list[int]:
    """``root`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        stack.extend(children.get(pid, []))
    return pids


def tree_pss_mb(pid: int) -> float:
    return sum(_pss_kb(p) for p in tree_pids(pid)) / 1024


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(sum of RSS over the process tree, largest single process RSS) in MB, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
    total, biggest, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        biggest = max(biggest, rss.get(current, 0))
        stack.extend(children.get(current, []))
    return total / 1024, biggest / 1024


class RssSampler:
    """Samples the RSS of a process tree every ``interval`` seconds; keeps the peaks."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.peak_total = self.peak_single = self.peak_pss = 0.0
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total, single = tree_rss_mb(self.pid)
            self.peak_pss = max(self.peak_pss, tree_pss_mb(self.pid))
            self.peak_total = max(self.peak_total, total)
            self.peak_single = max(self.peak_single, single)
            self.samples.append((time.monotonic() - self._started, total))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def file_bytes(path: Path) -> int:
    """Archive size on disk after folding the WAL into the main file."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size
