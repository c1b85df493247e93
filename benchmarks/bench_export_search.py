"""Export and search over a synthetic archive of 100,000 versions.

Prints: time to fold and index every version (``rebuild_index``), JSONL export time and
peak memory (in a fresh interpreter, as a user runs it), and search latency over ~50 varied
queries (median target < 50 ms).

    python benchmarks/bench_export_search.py [--versions 100000] [--chars 1200] [--keep DIR]
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from storage.archive import Archive
from storage.search import rebuild_index, search, to_simplified

# Vocabulary the synthetic texts are drawn from. The first phrases are boilerplate found in
# many notices; each notice also has a few topics (Zipf-weighted: a few topics are common,
# most are rare) repeated between runs of common characters.
BOILERPLATE = ("现就有关事项通知如下", "请认真贯彻执行", "各县（市、区）人民政府", "省级有关单位", "为进一步加强")
PHRASES = BOILERPLATE + (
    "安全生产", "应急管理局", "防汛防台", "生态环境保护督察", "优化营商环境", "数字政府建设",
    "乡村振兴战略", "高标准农田建设", "城镇老旧小区改造", "义务教育阶段", "医疗保障基金监管",
    "财政专项资金", "政府信息公开", "行政审批制度改革", "疫情防控常态化", "森林防火期",
    "地质灾害隐患排查", "重点项目建设", "招标投标活动", "住房公积金", "社会保险费征缴",
    "退役军人事务", "市场监督管理", "食品安全抽检", "道路交通安全", "校园周边环境整治",
    "危险化学品", "消防安全检查", "安全生产责任制", "河长制湖长制", "耕地保护", "农村人居环境",
    "营业执照", "不动产登记", "药品监管", "人才引进", "科技创新平台", "知识产权保护",
    "文物保护单位", "旅游景区", "养老服务体系", "残疾人就业", "最低生活保障", "公共租赁住房",
    "电动自行车", "燃气安全", "野生动物保护", "水土保持", "矿山安全", "尾矿库", "粮食安全",
    "非法集资", "电信网络诈骗", "统计调查", "审计整改",
)
SITES = ("zj", "hn", "gd", "js", "sc")
TOPICS = PHRASES[len(BOILERPLATE):]
WEIGHTS = tuple(1 / (rank + 1) for rank in range(len(TOPICS)))
# Common characters of official writing, for the runs between phrases.
COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
          "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
          "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
          "又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革"
          "位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强"
          "放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交"
          "受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八")


def synthetic_text(rng: random.Random, chars: int, n: int) -> str:
    parts = [phrase for phrase in BOILERPLATE if rng.random() < 0.4]
    size = sum(map(len, parts))
    topics = rng.choices(TOPICS, WEIGHTS, k=3)
    while size < chars:
        if rng.random() < 0.1:
            part = rng.choice(topics)
        else:
            part = "".join(rng.choices(COMMON, k=rng.randrange(4, 16)))
        parts.append(part)
        size += len(part)
    parts.insert(rng.randrange(len(parts)), f"编号{n:06d}号")  # something rare in every notice
    return "，".join(parts) + "。"


def build(path: Path, versions: int, chars: int) -> float:
    rng = random.Random(7)
    started = time.perf_counter()
    pages = versions * 2 // 3  # a third of notices were edited once
    with Archive(path) as archive:
        conn = archive.conn
        site_ids = [archive.site_id(name) for name in SITES]
        with archive.transaction():
            conn.executemany(
                "INSERT INTO pages (id, site_id, url, first_seen, last_checked, status, title, published)"
                " VALUES (?, ?, ?, '2024-01-01T00:00:00+00:00', '2024-06-01T00:00:00+00:00', 'live', ?, ?)",
                ((i, site_ids[i % len(SITES)], f"http://{SITES[i % len(SITES)]}.example.cn/art/{i}.html",
                  f"关于{rng.choice(PHRASES)}的通知", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}")
                 for i in range(1, pages + 1)),
            )

            def rows():
                for n in range(versions):
                    page, number = (n + 1, 1) if n < pages else (n - pages + 1, 2)
                    yield (page, number, f"2024-{1 + n * 12 // versions:02d}-15T00:00:00.{n % 1_000_000:06d}+00:00",
                           f"fp{n}", f"关于{rng.choice(PHRASES)}的通知", f"2024-{1 + page % 12:02d}-01",
                           synthetic_text(rng, chars, n))
            conn.executemany(
                "INSERT INTO versions (page_id, number, created_at, fingerprint, title, published, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)", rows(),
            )
            conn.execute("UPDATE pages SET current_version_id ="
                         " (SELECT MAX(id) FROM versions WHERE versions.page_id = pages.id)")
    return time.perf_counter() - started


def bench_folding(path: Path) -> None:
    from opencc import OpenCC

    with Archive(path, readonly=True) as archive:
        texts = [r[0] for r in archive.conn.execute("SELECT text FROM versions LIMIT 200")]
    chars = sum(map(len, texts))
    started = time.perf_counter()
    for text in texts:
        to_simplified(text)
    table = time.perf_counter() - started
    converter = OpenCC("t2s")
    started = time.perf_counter()
    for text in texts:
        converter.convert(text)
    phrase = time.perf_counter() - started
    print(f"folding {chars:,} chars: table {table * 1000:.1f} ms, OpenCC t2s {phrase * 1000:.0f} ms "
          f"({phrase / table:.0f}x slower)")


def bench_export(path: Path, versions: int) -> None:
    for label, args in (("latest", []), ("all versions", ["--all-versions"])):
        script = textwrap.dedent(f"""
            import resource, time
            from monitor.cli import cli
            started = time.perf_counter()
            cli.main({["export", "--archive", str(path), "-o", "/dev/null", *args]!r}, standalone_mode=False)
            print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        """)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        seconds, rss = done.stdout.split()[-2:]
        print(f"export jsonl ({label}) of a {versions:,}-version archive: {float(seconds):.1f} s, "
              f"peak RSS {int(rss) / 1024:.0f} MB")


def queries(rng: random.Random, versions: int) -> list[str]:
    common = list(PHRASES[::2])[:25]  # boilerplate, then topics from common to rare
    rare = [f"编号{rng.randrange(versions):06d}号" for _ in range(10)]
    traditional = ["應急管理局", "數字政府建設", "鄉村振興", "醫療保障基金", "財政專項資金", "電動自行車"]
    short = ["通知", "防汛", "审批", "公积", "农田", "政府", "疫情", "尾矿", "招标", "督察"]
    return [q[: rng.randrange(3, len(q) + 1)] if i % 2 else q for i, q in enumerate(common)] + rare \
        + traditional + short


def bench_search(path: Path, versions: int) -> None:
    rng = random.Random(11)
    with Archive(path, readonly=True) as archive:
        timings: dict[str, list[float]] = {"indexed (3+ chars)": [], "LIKE (1-2 chars)": []}
        for query in queries(rng, versions):
            started = time.perf_counter()
            hits = search(archive, query, limit=20)
            elapsed = (time.perf_counter() - started) * 1000
            kind = "indexed (3+ chars)" if len(to_simplified(query)) >= 3 else "LIKE (1-2 chars)"
            timings[kind].append(elapsed)
            print(f"  {elapsed:8.1f} ms  {len(hits):2d} hits  {query}")
        everything = [t for ts in timings.values() for t in ts]
        for kind, ts in (*timings.items(), ("all", everything)):
            ts = sorted(ts)
            print(f"search {kind}: {len(ts)} queries, median {statistics.median(ts):.1f} ms, "
                  f"p90 {ts[int(len(ts) * 0.9) - 1]:.1f} ms, max {ts[-1]:.1f} ms")
        # the same query restricted to one site
        started = time.perf_counter()
        search(archive, "安全生产", site="zj", since="2024-06-01")
        print(f"search 安全生产 --site zj --since 2024-06-01: {(time.perf_counter() - started) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--chars", type=int, default=1200, help="characters of text per version")
    parser.add_argument("--keep", type=Path, help="folder for the archive (kept afterwards)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pw-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    if not path.exists():
        print(f"built {args.versions:,} versions ({args.chars} chars each) in {build(path, args.versions, args.chars):.1f} s")
        bench_folding(path)
        with Archive(path) as archive:
            started = time.perf_counter()
            rebuild_index(archive)
            print(f"rebuild_index of {args.versions:,} versions: {time.perf_counter() - started:.1f} s")
    print(f"archive {path}: {path.stat().st_size / 2**20:.0f} MB")
    bench_export(path, args.versions)
    bench_search(path, args.versions)
    if not args.keep:
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
