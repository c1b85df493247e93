"""Alert accuracy over many rounds, and the cost of a round when nothing changed.

    python benchmarks/bench_monitor.py [--notices 1000] [--rounds 10] [--skip-cost] [--skip-plain]
        [--rotation all|safe]

Template families (issue 8): every site wears one of the six template families, with a
different widget / info-bar / whitespace variant per notice every round (``rotate``), the
site's own 200 not-found page for unknown URLs, and withdrawals that include soft-404s in the
full template and the site's not-found page. Half-way through, every site is redesigned into
another family; a later round switches every site to Traditional characters. Precision,
recall, and the notice-level alerts of the redesign round (alerts the portal did not cause,
and site-level batches) are printed. ``--rotation safe`` leaves out the hard-wrapped source lines variant.

Accuracy: the sample portal with ~N notices; every round churns the furniture of every page
and makes known body and title edits, removals (404 / 410 / redirect home / soft 404),
additions and delistings;
the changes `portalwatch check` reports are compared with what the portal did:
precision and recall of alerts.

Cost: a first full crawl, then a round where every notice answers 304, then (portal without
ETags) a round where every page answers 200 with bytes that differ only in furniture.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from monitor.config import load_config
from monitor.crawl import run_round
from sampleportal import SamplePortal
from sampleportal.variants import NAMED
from storage.archive import Archive

SITES = ("hunan", "zhejiang", "govcn")
REMOVALS = ("404", "410", "redirect_home", "soft404")
FAMILY_REMOVALS = (*REMOVALS, "soft404_full", "soft404_full", "notfound_page")
# Which family each site wears before and after the redesign, and what the Traditional round is.
FAMILIES_BEFORE = {"hunan": "sidebar", "zhejiang": "hanweb2", "govcn": "xxgk"}
FAMILIES_AFTER = {"hunan": "hanweb", "zhejiang": "govcn", "govcn": "trs"}


def write_config(portal: SamplePortal, workdir: Path, name: str) -> Path:
    path = workdir / f"{name}.toml"
    # Every list page is read every round (as the accuracy question is asked: is each delisting
    # seen in the round it happens?); the default walks whole columns only every 10th round.
    toml = portal.sites_toml(max_list_pages=1000, retries=0, full_walk_every=1)
    path.write_text(f'archive = "{name}.db"\n' + toml, encoding="utf-8")
    return path


def accuracy(notices: int, rounds: int, workdir: Path, *, families: bool = False, rotation: str = "all") -> None:
    rng = random.Random(7)
    label = "families" if families else "accuracy"
    removals = FAMILY_REMOVALS if families else REMOVALS
    redesign_round = max(1, rounds // 2)
    traditional_round = redesign_round + 2 if families and redesign_round + 2 <= rounds else None
    variant = "rotate" if rotation == "all" else "rotate:" + ",".join(v for v in NAMED if v != "wrapped-lines")
    with SamplePortal(articles_per_site=notices // 3) as portal:
        if families:
            for site in SITES:
                portal.set_template(site, FAMILIES_BEFORE[site], variant=variant)
                portal.set_not_found_page(site)
        config = load_config(write_config(portal, workdir, label))
        first = run_round(config, list(SITES), recheck="all", fast=True)
        print(f"{label}: baseline round stored {first.fetched} notices ({first.seconds:.1f}s)")
        live = {site: set(range(notices // 3)) for site in SITES}
        true_pos = false_pos = false_neg = 0
        for number in range(1, rounds + 1):
            expected: set[tuple[str, str]] = set()
            portal.churn_boilerplate()
            event = ""
            if families and number == redesign_round:
                for site in SITES:
                    portal.set_template(site, FAMILIES_AFTER[site])
                event = " [redesign: " + ", ".join(f"{s}→{FAMILIES_AFTER[s]}" for s in SITES) + "]"
            if families and number == traditional_round:
                for site in SITES:
                    portal.set_template(site, script="traditional")
                event = " [all sites switch to Traditional]"
            for site in SITES:
                for index in rng.sample(sorted(live[site]), 3):
                    portal.edit_notice(site, index)
                    expected.add((portal.article_url(site, index), "edited"))
                edited_now = {i for i in live[site] if (portal.article_url(site, i), "edited") in expected}
                for index in rng.sample(sorted(live[site] - edited_now), 1):  # an edited notice is not also removed
                    portal.remove_notice(site, index, how=rng.choice(removals))
                    live[site].discard(index)
                    expected.add((portal.article_url(site, index), "removed"))
                for index in rng.sample(sorted(live[site]), 1):
                    portal.edit_title(site, index)
                    expected.add((portal.article_url(site, index), "edited"))
                for index in rng.sample(sorted(live[site] - {i for i in live[site] if (portal.article_url(site, i), "edited") in expected}), 1):
                    portal.delist_notice(site, index)
                    live[site].discard(index)
                    expected.add((portal.article_url(site, index), "delisted"))
                url = portal.add_notice(site)
                live[site].add(portal.index_of(site, url))
                expected.add((url, "new"))
            with Archive(config.archive, readonly=True) as archive:
                last = max((c.id for c in archive.changes()), default=0)
            report = run_round(config, list(SITES), recheck="all", fast=True)
            with Archive(config.archive, readonly=True) as archive:
                got = {(c.url, c.kind) for c in archive.changes(after_id=last)}
                alerted = {(c.url, c.kind) for c in archive.changes(after_id=last) if c.batch_id is None}
            tp, fp, fn = len(got & expected), len(got - expected), len(expected - got)
            true_pos, false_pos, false_neg = true_pos + tp, false_pos + fp, false_neg + fn
            batches = len(getattr(report, "batch_ids", []) or [])
            print(f"  round {number}{event}: expected {len(expected)}, reported {len(got)}, false alerts {fp}, "
                  f"missed {fn}, notice-level alerts not caused by the portal {len(alerted - expected)}, "
                  f"site-level batches {batches} ({report.seconds:.1f}s)")
            for url, kind in sorted(got - expected)[:5]:
                print(f"    false: {kind} {url}")
            for url, kind in sorted(expected - got)[:5]:
                print(f"    missed: {kind} {url}")
        precision = true_pos / max(1, true_pos + false_pos)
        recall = true_pos / max(1, true_pos + false_neg)
        print(f"{label} over {rounds} rounds: precision {precision:.3f}, recall {recall:.3f} "
              f"({true_pos} right, {false_pos} false, {false_neg} missed)")


def cost(notices: int, workdir: Path) -> None:
    with SamplePortal(articles_per_site=notices // 3) as portal:
        config = load_config(write_config(portal, workdir, "cost"))
        first = run_round(config, list(SITES), recheck="all", fast=True)
        portal.churn_boilerplate()
        quiet = run_round(config, list(SITES), recheck="all", fast=True)
        due = run_round(config, list(SITES), recheck="due", fast=True)
        print(f"cost: first crawl {first.seconds:.1f}s ({first.fetched} notices); "
              f"all-304 round {quiet.seconds:.1f}s ({quiet.unchanged} unchanged, {quiet.extracted} extracted) "
              f"= {quiet.seconds / first.seconds:.2f} of the first crawl; default recheck policy round "
              f"{due.seconds:.1f}s ({due.fetched} due notices re-fetched) = {due.seconds / first.seconds:.2f}")
    with SamplePortal(articles_per_site=notices // 3, etag=False) as portal:
        config = load_config(write_config(portal, workdir, "cost200"))
        first = run_round(config, list(SITES), recheck="all", fast=True)
        portal.churn_boilerplate()
        churned = run_round(config, list(SITES), recheck="all", fast=True)
        print(f"cost: always-200 portal: first crawl {first.seconds:.1f}s; round with furniture-only changes "
              f"{churned.seconds:.1f}s ({churned.extracted} re-extracted, changes {churned.changes or 'none'}) "
              f"= {churned.seconds / first.seconds:.2f} of the first crawl")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--skip-cost", action="store_true")
    ap.add_argument("--skip-plain", action="store_true", help="skip the run on the sites' own templates")
    ap.add_argument("--skip-families", action="store_true", help="skip the template-family run")
    ap.add_argument("--rotation", choices=("all", "safe"), default="all",
                    help="variants rotated in the family run (safe: without hard-wrapped source lines)")
    args = ap.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_plain:
            accuracy(args.notices, args.rounds, Path(tmp))
        if not args.skip_families:
            accuracy(args.notices, args.rounds, Path(tmp), families=True, rotation=args.rotation)
        if not args.skip_cost:
            cost(args.notices, Path(tmp))
    print(f"total {time.monotonic() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
