"""Metamorphic invariance and sensitivity of the stored notice on the real-page corpus.

Run: python benchmarks/bench_metamorphic.py [CORPUS] [--only NAME,...] [--pages ID,...] [--all-failures]
(default corpus: env PORTALWATCH_CORPUS or ../shared/corpus next to the repository root).

For every corpus page and every transformation in ``tests/metamorphic.py`` it prints the
per-transformation table (pages where it applied, share passed, pages where it did not
apply), the overall invariance (share of page x invariant pairs whose fingerprint stayed)
and sensitivity (share of page x sensitive pairs whose fingerprint changed), then each
failing (page, transformation) pair with the fields that changed and a short diff.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests import metamorphic as mm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=mm.CORPUS)
    parser.add_argument("--only", help="comma-separated transformation names")
    parser.add_argument("--pages", help="comma-separated page ids")
    parser.add_argument("--all-failures", action="store_true", help="no cap on failures listed per transformation")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    if not (args.corpus / "manifest.jsonl").exists():
        sys.exit(f"no corpus at {args.corpus}")

    chosen = mm.TRANSFORMATIONS
    if args.only:
        names = set(args.only.split(","))
        chosen = tuple(t for t in chosen if t.name in names)
    pages = mm.load_corpus(args.corpus)
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = [p for p in pages if p.id in wanted]

    start = time.perf_counter()
    outcomes = mm.run_suite(pages, chosen, processes=args.processes)
    elapsed = time.perf_counter() - start

    print(f"{len(pages)} pages, {len(chosen)} transformations, {elapsed:.1f} s\n")
    print(f"{'transformation':<22} {'kind':<10} {'applied':>7} {'passed':>7} {'rate':>7} {'n/a':>5}")
    for row in mm.summarise(outcomes):
        rate = f"{row.rate:.3f}" if row.rate is not None else "-"
        print(f"{row.name:<22} {row.kind:<10} {row.applicable:>7} {row.passed:>7} {rate:>7} {row.not_applicable:>5}")
    print()
    without_roundtrip = [o for o in outcomes if o.transformation != "roundtrip"]
    for kind, label in ((mm.INVARIANT, "invariance"), (mm.SENSITIVE, "sensitivity"),
                        (mm.SCRIPT, "invariance, Traditional/pinyin (issue 14)")):
        value = mm.overall(without_roundtrip, kind)
        count = sum(1 for o in without_roundtrip if o.kind == kind and o.applicable)
        print(f"{label:<42} {value:.3f} over {count} pairs" if value is not None else f"{label}: -")

    print("\nfailing pairs (page, transformation: changed fields: diff)")
    failures: dict[str, list[mm.Outcome]] = {}
    for o in outcomes:
        if o.applicable and not o.passed:
            failures.setdefault(o.transformation, []).append(o)
    cap = None if args.all_failures else 12
    for name, failed in failures.items():
        print(f"\n== {name}: {len(failed)} failing")
        for o in failed[:cap]:
            fields = ",".join(o.fields) or "(none: fingerprint unchanged)"
            print(f"  {o.page:<14} [{fields}] {o.detail}")
        if cap is not None and len(failed) > cap:
            print(f"  ... {len(failed) - cap} more (--all-failures)")
    errors = [o for o in outcomes if o.detail.startswith("transformation failed")]
    if errors:
        print("\ntransformations that raised:")
        for o in errors:
            print(f"  {o.page} {o.transformation}: {o.detail}")


if __name__ == "__main__":
    main()
