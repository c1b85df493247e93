"""Load: a long `portalwatch watch` over the scaled sample portal (issue 10, "Load").

    python benchmarks/bench_watch_load.py [--notices 2000] [--portals 1] [--rounds 20] [--every 20]
        [--older-every 50] [--edits 3] [--removals 1] [--adds 1] [--quiet-every 5] [--no-split]
    python benchmarks/bench_watch_load.py --full      # 20,000 notices in 20 sites, 50 rounds

Each sample portal (its own process, ``--notices`` per portal site, a different seed each) is
watched as five sites: every column of hunan, zhejiang and govcn is its own ``[[site]]`` table
(``--no-split``: three tables per portal, one per portal site). ``--full`` runs four portals of
1,667 notices each: 4 portals × 5 columns = 20 sites, 20,004 notices, 50 rounds, every 60 s.

A ``portalwatch check`` makes the baseline; then a real ``portalwatch watch --max-rounds
rounds×sites`` subprocess re-crawls every site every ``--every`` seconds with the default
re-check policy (notices of the last 30 days every round, older ones every ``--older-every``-th
round) and alerts a local webhook receiver (127.0.0.1). After each round of a site, this
process makes that site's next changes through the portal's control API, on notices every
round re-fetches: ``--edits`` body edits, ``--removals`` removals (404) and ``--adds`` new
notices, except in every ``--quiet-every``-th round, which changes nothing (what a quiet round
costs).

Per round (once every site has finished it), from /proc and the archive: the watch process
tree's peak PSS and process count during the round, its PSS / RSS sum between rounds, the
watcher's own RSS, open file descriptors and processes in the tree, and the archive's growth
(SQLite pages in use, WARC files, rows) against the real changes stored. At the end: every
change the portal made is stored once, and the webhook received exactly one alert per
alertable change (no duplicates). Figures are printed; exit code 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PortalProcess, tree_pids, tree_pss_mb, tree_rss_mb

from monitor.config import RecheckPolicy
from monitor.recorder import BASELINE_NOTE
from sampleportal.profiles import PROFILES, SITES
from sampleportal.state import PortalState

ROUND_LINE = re.compile(r"^(?P<interrupted>interrupted: )?(?P<site>[\w.-]+): .* fetched, .*\((?P<seconds>[\d.]+)s\)$")
ALERTED_URL = re.compile(r"网址: (\S+)")


class Portal(PortalProcess):
    """A sample portal process with its own seed (so several portals do not serve the same pages)."""

    def __init__(self, articles: int, seed: int) -> None:
        args = [sys.executable, "-m", "sampleportal", "serve", "--articles", str(articles), "--seed", str(seed),
                "--json"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        info = json.loads(self.proc.stdout.readline())
        self.base_urls = info["base_urls"]
        self.sites_toml = info["sites_toml"]
        self.seed = seed


class Webhook:
    """Counts JSON POSTs (Apprise's ``json://``) per notice URL named in the message."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook.lock:
                    hook.posts.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def alerted_urls(self) -> Counter:
        with self.lock:
            bodies = list(self.posts)
        counts: Counter = Counter()
        for body in bodies:
            match = ALERTED_URL.search(body.get("message", ""))
            counts[match.group(1) if match else body.get("title")] += 1
        return counts

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class WatchedSite:
    """One ``[[site]]`` table: one column of one portal site (or the whole portal site)."""

    name: str
    portal: Portal
    portal_site: str
    start_urls: list[str]
    kind: str  # what a notice added to it is: "notice" or "news"
    live: list[int]  # indexes of notices it lists that are not removed
    rounds: int = 0
    made: Counter = field(default_factory=Counter)  # changes made through the control API, by kind
    made_for: Counter = field(default_factory=Counter)  # round number -> changes made for it to find


def watched_sites(portals: list[Portal], notices: int, split: bool) -> list[WatchedSite]:
    """The [[site]] tables, each with the notices it lists that every round re-fetches (published
    within the default ``recent_days``, with two days to spare): the ones this benchmark changes."""
    sites: list[WatchedSite] = []
    recent = datetime.now() - timedelta(days=RecheckPolicy().recent_days - 2)
    for number, portal in enumerate(portals):
        state = PortalState(notices, portal.seed)
        tables = {t["name"]: t for t in tomllib.loads(portal.sites_toml)["site"]}
        suffix = f"-p{number + 1}" if len(portals) > 1 else ""
        for key in SITES:
            columns = PROFILES[key].columns
            notices_of = [state.notice(key, i) for i in range(notices)]
            by_column = {c.key: [n.index for n in notices_of if n.column == c.key
                                 and n.published.replace(tzinfo=None) >= recent] for c in columns}
            if split:
                for column, url in zip(columns, tables[key]["start_urls"], strict=True):
                    sites.append(WatchedSite(f"{key}-{column.key}{suffix}", portal, key, [url], column.kind,
                                             by_column[column.key]))
            else:
                sites.append(WatchedSite(f"{key}{suffix}", portal, key, tables[key]["start_urls"],
                                         columns[0].kind, [i for c in columns for i in by_column[c.key]]))
    return sites


def write_config(path: Path, archive: Path, sites: list[WatchedSite], hook: Webhook, every: int,
                 older_every: int) -> None:
    lines = [f'archive = "{archive}"', f'alerts = ["{hook.url}"]', ""]
    for site in sites:
        netloc = site.portal.base_urls[site.portal_site].removeprefix("http://")
        urls = ", ".join(f'"{u}"' for u in site.start_urls)
        lines += ["[[site]]", f'name = "{site.name}"', f"start_urls = [{urls}]", f'allowed_domains = ["{netloc}"]',
                  "download_delay = 0", "retries = 0", f'schedule = {{ every = "{every}s" }}',
                  f"recheck = {{ older_every = {older_every} }}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def make_changes(site: WatchedSite, rng: random.Random, edits: int, removals: int, adds: int) -> None:
    """The site's changes for its next round, through the portal's control API."""
    removals = removals if len(site.live) > edits + removals + 3 else 0  # keep notices to edit
    picked = rng.sample(site.live, min(len(site.live), edits + removals))
    site.made_for[site.rounds + 1] = len(picked) + adds
    for index in picked[:edits]:
        site.portal.control(site.portal_site, "edit", index=index)
        site.made["edited"] += 1
    for index in picked[edits:]:
        site.portal.control(site.portal_site, "remove", index=index, how="404")
        site.live.remove(index)
        site.made["removed"] += 1
    for _ in range(adds):  # a new notice is recent: later rounds may edit or remove it
        site.live.append(site.portal.control(site.portal_site, "add", kind=site.kind)["index"])
        site.made["new"] += 1


# --- /proc -----------------------------------------------------------------------------------
def open_fds(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return total


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class PeakSampler:
    """The process tree's PSS every ``interval`` seconds; the peak of the run and of the current round."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval = pid, interval
        self.peak = self.round_peak = self.peak_rss = 0.0
        self.peak_procs = self.round_procs = 0
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pss, procs = tree_pss_mb(self.pid), len(tree_pids(self.pid))
            rss, _ = tree_rss_mb(self.pid)
            with self.lock:
                self.peak, self.round_peak = max(self.peak, pss), max(self.round_peak, pss)
                self.peak_procs, self.round_procs = max(self.peak_procs, procs), max(self.round_procs, procs)
                self.peak_rss = max(self.peak_rss, rss)

    def take_round_peak(self) -> tuple[float, int]:
        with self.lock:
            peak, procs, self.round_peak, self.round_procs = self.round_peak, self.round_procs, 0.0, 0
        return peak, procs

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --- the archive -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ArchiveSize:
    used_bytes: int  # SQLite pages in use (WAL included), free pages left out
    warc_bytes: int
    rows: dict[str, int]
    changes_after_baseline: int


def archive_size(archive: Path) -> ArchiveSize:
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True, timeout=30)
    try:
        pages, size, free = (conn.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "page_size", "freelist_count"))
        rows = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("captures", "versions", "changes", "blobs")}
        real = conn.execute("SELECT COUNT(*) FROM changes WHERE note IS NOT ? OR kind != 'new'",
                            (BASELINE_NOTE,)).fetchone()[0]
    finally:
        conn.close()
    warc_dir = archive.with_name(f"{archive.stem}.warc")
    warc = sum(p.stat().st_size for p in warc_dir.rglob("*") if p.is_file()) if warc_dir.exists() else 0
    return ArchiveSize((pages - free) * size, warc, rows, real)


def baseline_ids(archive: Path) -> set[int]:
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True, timeout=30)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM changes WHERE kind = 'new' AND note = ?", (BASELINE_NOTE,))}
    finally:
        conn.close()


def mb(n: float) -> str:
    return f"{n / 1e6:.2f}"


def run(args: argparse.Namespace, workdir: Path) -> int:
    rng = random.Random(10)
    portals = [Portal(args.notices, seed) for seed in range(args.portals)]
    hook = Webhook()
    watch: subprocess.Popen | None = None
    try:
        sites = watched_sites(portals, args.notices, not args.no_split)
        by_name = {s.name: s for s in sites}
        archive, config = workdir / "load.db", workdir / "load.toml"
        write_config(config, archive, sites, hook, args.every, args.older_every)
        print(f"{len(portals)} portal(s) × 3 sites × {args.notices} notices = {len(portals) * 3 * args.notices} "
              f"notices in {len(sites)} [[site]] tables; {args.rounds} rounds each, every {args.every}s; "
              f"per site and round {args.edits} edits, {args.removals} removals, {args.adds} additions "
              f"(none in every round numbered a multiple of {args.quiet_every})")
        log = (workdir / "watch.err").open("w")
        cli = [sys.executable, "-c", "from monitor.cli import main; main()"]
        workers = ["--workers", str(args.workers)] if args.workers is not None else []
        # The baseline (every notice fetched and extracted once, nothing alerted) is one `check`, so
        # that the watch's rounds are alike and its sites keep to the same schedule.
        started = time.monotonic()
        check = subprocess.Popen([*cli, "check", "--config", str(config), *workers], stdout=subprocess.PIPE,
                                 stderr=log, text=True)
        check_sampler = PeakSampler(check.pid)
        out, _ = check.communicate()
        check_sampler.stop()
        print(f"baseline `portalwatch check`: {time.monotonic() - started:.0f}s, peak process-tree PSS "
              f"{check_sampler.peak:.0f} MB, {check_sampler.peak_procs} processes; {out.splitlines()[0]}")
        command = [*cli, "watch", "--config", str(config), "--max-rounds", str(args.rounds * len(sites)), *workers]
        started = time.monotonic()
        watch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
        sampler = PeakSampler(watch.pid)
        rows: list[str] = []
        previous = archive_size(archive)
        print(f"archive after the baseline: {mb(previous.used_bytes)} MB in SQLite, {mb(previous.warc_bytes)} MB "
              f"of WARC; rows {previous.rows}")
        idle_rss: list[float] = []
        quiet_growth: list[int] = []
        header = (f"{'round':>5} {'s':>5} {'peakPSS':>8} {'idlePSS':>8} {'idleRSS':>8} {'watcher':>8} {'fds':>4} "
                  f"{'procs':>5} {'maxprocs':>8} {'made':>5} {'stored':>6} {'+db MB':>7} {'+warc MB':>8} {'+capt':>6} {'+vers':>5} "
                  f"{'+blobs':>6}")
        print(header)
        finished_round = 0
        round_started = time.monotonic()
        lines = (workdir / "watch.out").open("w")
        for line in watch.stdout:
            lines.write(f"{time.monotonic() - started:7.1f} {line}")
            lines.flush()
            match = ROUND_LINE.match(line.strip())
            if not match or match["site"] not in by_name:
                continue
            site = by_name[match["site"]]
            if match["interrupted"]:  # stopped by --max-rounds: what was made for it may be half seen
                continue
            site.rounds += 1
            if site.rounds < args.rounds:
                quiet = args.quiet_every and (site.rounds + 1) % args.quiet_every == 0
                if not quiet:
                    make_changes(site, rng, args.edits, args.removals, args.adds)
            if min(s.rounds for s in sites) <= finished_round:
                continue
            # Every site has finished this round: the tree is between rounds.
            finished_round += 1
            pids = tree_pids(watch.pid)
            idle_pss, (idle_tree_rss, _) = tree_pss_mb(watch.pid), tree_rss_mb(watch.pid)
            watcher_rss = rss_mb(watch.pid)
            size = archive_size(archive)
            made_for_round = sum(s.made_for[finished_round] for s in sites)
            grew_db = size.used_bytes - previous.used_bytes
            grew_warc = size.warc_bytes - previous.warc_bytes
            stored = size.changes_after_baseline - previous.changes_after_baseline
            drows = {k: size.rows[k] - previous.rows[k] for k in size.rows}
            if stored == 0:
                quiet_growth.append(grew_db + grew_warc)
            idle_rss.append(watcher_rss)
            round_peak, round_procs = sampler.take_round_peak()
            rows.append(f"{finished_round:>5} {time.monotonic() - round_started:>5.0f} "
                        f"{round_peak:>8.0f} {idle_pss:>8.0f} {idle_tree_rss:>8.0f} "
                        f"{watcher_rss:>8.0f} {open_fds(pids):>4} {len(pids):>5} {round_procs:>8} "
                        f"{made_for_round:>5} {stored:>6} {mb(grew_db):>7} "
                        f"{mb(grew_warc):>8} {drows['captures']:>6} {drows['versions']:>5} {drows['blobs']:>6}")
            print(rows[-1], flush=True)
            previous = size
            round_started = time.monotonic()
        watch.wait(timeout=120)
        sampler.stop()
        seconds = time.monotonic() - started
        log.close()
        if watch.returncode:
            print(f"watch exited {watch.returncode}:\n" + (workdir / "watch.err").read_text()[-3000:])
        return report(sites, archive, hook, sampler, idle_rss, quiet_growth, seconds)
    finally:
        if watch is not None and watch.poll() is None:
            os.killpg(watch.pid, signal.SIGKILL)
            watch.wait()
        hook.close()
        for portal in portals:
            portal.stop()


def report(sites: list[WatchedSite], archive: Path, hook: Webhook, sampler: PeakSampler, idle_rss: list[float],
           quiet_growth: list[int], seconds: float) -> int:
    made = sum((s.made for s in sites), Counter())
    # Made for a round that --max-rounds interrupted or never started: maybe only partly looked for.
    pending = sum(n for s in sites for r, n in s.made_for.items() if r > s.rounds)
    rounds = Counter(s.rounds for s in sites)
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    stored = Counter(dict(conn.execute(
        "SELECT kind, COUNT(*) FROM changes WHERE NOT (kind = 'new' AND note IS ?) GROUP BY kind", (BASELINE_NOTE,))))
    batches = conn.execute("SELECT COUNT(*) FROM changes WHERE batch_id IS NOT NULL").fetchone()[0]
    announced = Counter(dict(conn.execute(
        "SELECT state, COUNT(*) FROM announcements WHERE target LIKE 'json://%' GROUP BY state")))
    per_change = conn.execute("SELECT COUNT(*) FROM (SELECT change_id FROM announcements WHERE target LIKE 'json://%'"
                              " AND change_id IS NOT NULL GROUP BY change_id HAVING COUNT(*) > 1)").fetchone()[0]
    real_urls = Counter(r[0] for r in conn.execute(
        "SELECT pages.url FROM changes JOIN pages ON pages.id = changes.page_id"
        " WHERE batch_id IS NULL AND NOT (kind = 'new' AND note IS ?)", (BASELINE_NOTE,)))
    conn.close()
    baseline = len(baseline_ids(archive))
    alerted = hook.alerted_urls()
    changelog = archive.with_name(f"{archive.stem}.changes.jsonl")
    logged = Counter(json.loads(line).get("id") for line in changelog.read_text(encoding="utf-8").splitlines()) \
        if changelog.exists() else Counter()

    print(f"\nwatch: {sum(s.rounds for s in sites)} site rounds in {seconds:.0f}s "
          f"(sites by rounds done: {dict(sorted(rounds.items()))})")
    print(f"memory: peak process-tree PSS {sampler.peak:.0f} MB (RSS sum {sampler.peak_rss:.0f} MB); "
          f"watcher RSS after round 1 {idle_rss[0]:.0f} MB, after the last {idle_rss[-1]:.0f} MB "
          f"(min {min(idle_rss):.0f}, max {max(idle_rss):.0f})" if idle_rss else "memory: no round finished")
    half = len(idle_rss) // 2
    if half >= 2:
        first, second = idle_rss[1:half + 1], idle_rss[half:]
        print(f"watcher RSS, mean of rounds 2..{half + 1}: {sum(first) / len(first):.1f} MB; of rounds "
              f"{half + 1}..{len(idle_rss)}: {sum(second) / len(second):.1f} MB")
    if quiet_growth:
        print(f"archive growth in rounds with no change: {', '.join(f'{g / 1e3:.0f} kB' for g in quiet_growth)}")
    print(f"baseline: {baseline} notices (not alerted)")
    print(f"changes made by the portal: {dict(made)} ({pending} of them for rounds --max-rounds cut short); "
          f"stored after the baseline: {dict(stored)} ({batches} in mass changes)")
    problems, false_changes = [], []
    stored_total = sum(stored.values())
    if not sum(made.values()) - pending <= stored_total <= sum(made.values()) or any(
            stored[kind] > made[kind] for kind in stored):
        false_changes.append(f"stored changes {dict(stored)} do not match changes made {dict(made)} ({pending} "
                             f"of them for rounds --max-rounds cut short)")
    sent = announced.get("sent", 0)
    # A notice changed in several rounds is alerted once per change: compare per notice.
    duplicates = {url: n for url, n in alerted.items() if n > real_urls[url]}
    missing = {url for url, n in real_urls.items() if alerted[url] < n}
    extra = {url for url in alerted if url not in real_urls}
    print(f"webhook: {sum(alerted.values())} alerts received for {len(alerted)} notices; archive: "
          f"{stored_total} changes to announce, announcements to the webhook by state {dict(announced)}")
    print(f"  notices alerted more often than they changed: {len(duplicates)}; changes never alerted: {len(missing)}; "
          f"alerts for no stored change: {len(extra)}; announcement rows per change > 1: {per_change}")
    print(f"change log: {sum(logged.values())} lines for {len(logged)} change ids, "
          f"{sum(1 for n in logged.values() if n > 1)} ids written twice")
    if duplicates:
        problems.append(f"alerted more than once: {list(duplicates.items())[:5]}")
    if missing:
        problems.append(f"never alerted: {sorted(missing)[:5]}")
    if sum(alerted.values()) != sent or sent != sum(real_urls.values()) - batches:
        problems.append(f"webhook received {sum(alerted.values())}, archive says {sent} sent, "
                        f"{sum(real_urls.values())} alertable changes")
    print("detection: " + ("every change the portal made stored once, nothing else" if not false_changes
                           else "PROBLEM: " + false_changes[0]))
    print("announcement: " + ("every stored change announced exactly once" if not problems
                              else "PROBLEMS:\n  " + "\n  ".join(problems)))
    return 1 if problems or false_changes else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=2000, help="notices per portal site (three per portal)")
    ap.add_argument("--portals", type=int, default=1, help="sample portal processes (each a different seed)")
    ap.add_argument("--no-split", action="store_true", help="one [[site]] per portal site, not one per column")
    ap.add_argument("--rounds", type=int, default=20, help="rounds per site")
    ap.add_argument("--every", type=int, default=20, help="schedule: seconds between a site's rounds")
    ap.add_argument("--older-every", type=int, default=50,
                    help="recheck.older_every: notices older than 30 days are re-fetched every Nth round")
    ap.add_argument("--edits", type=int, default=3, help="body edits per site and round")
    ap.add_argument("--removals", type=int, default=1, help="removals (404) per site and round")
    ap.add_argument("--adds", type=int, default=1, help="new notices per site and round")
    ap.add_argument("--quiet-every", type=int, default=5, help="every Nth round changes nothing (0: none)")
    ap.add_argument("--workers", type=int, default=None, help="extraction processes per round (watch --workers)")
    ap.add_argument("--full", action="store_true", help="the issue's size: 4 portals × 3 × 1,667 notices as "
                    "20 sites, 50 rounds")
    ap.add_argument("--keep", type=Path, help="keep the archive and config in this folder")
    args = ap.parse_args()
    if args.full:
        args.portals, args.notices, args.rounds, args.no_split = 4, 1667, 50, False  # 4 × 5 columns
        args.every = max(args.every, 60)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        sys.exit(run(args, args.keep))
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
