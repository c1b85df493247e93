"""Leave-one-source-out extraction scores: how the extractor does on sites its tuning never saw.

The extractor's rules are structural, but a few numbers in them were chosen by looking at the
dev corpus (density weights, container hints, when to fall back to trafilatura). This
benchmark re-chooses those numbers from a small grid once per source (a source is one site:
the registrable domain of a page's URL, or its origin repository when it has none), using
every page *except* that source's, and scores the held-out source with the numbers so chosen.
Next to it: the score with the numbers chosen on the whole corpus, and with the shipped ones.

Run: python benchmarks/bench_loso.py [CORPUS]   (default: env PORTALWATCH_CORPUS or
../shared/corpus). About a minute on two cores.
"""
from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from monitor.extraction import body, containers, density, extract_article
from tests.test_corpus_extraction import bigram_f1

# name -> (module, attribute, values tried); the shipped value is always among them.
GRID = {
    "LINK_COST": (density, "LINK_COST", (1.0, 1.5, 2.0)),
    "STRONG_HINT": (containers, "STRONG_HINT", (1.0, 1.5, 2.0)),
    "MIN_DENSITY_QUALITY": (body, "MIN_DENSITY_QUALITY", (20, 40, 80)),
    "FALLBACK_MAX_PROSE": (body, "FALLBACK_MAX_PROSE", (0, 150, 400)),
}


def source_of(entry: dict) -> str:
    host = urlsplit(entry["url"]).hostname if entry.get("url") else None
    if not host:
        return entry["origin"].split(":")[0]
    parts = host.split(".")
    if len(parts) >= 3 and parts[-1] == "cn" and parts[-2] in ("gov", "com", "org", "edu", "net"):
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def main() -> None:
    default = Path(os.environ.get("PORTALWATCH_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    entries = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    pages = [((corpus / e["file"]).read_bytes(), e.get("url"),
              json.loads((corpus / "truth" / f"{e['id']}.json").read_text(encoding="utf-8"))["body"],
              source_of(e)) for e in entries]
    shipped = tuple(getattr(module, attr) for module, attr, _ in GRID.values())
    settings = list(itertools.product(*(values for _, _, values in GRID.values())))
    scores: dict[tuple, list[float]] = {}
    for setting in settings:
        for (module, attr, _), value in zip(GRID.values(), setting):
            setattr(module, attr, value)
        scores[setting] = [bigram_f1(extract_article(raw, url).text, truth) for raw, url, truth, _ in pages]
    for (module, attr, _), value in zip(GRID.values(), shipped):
        setattr(module, attr, value)

    by_source: dict[str, list[int]] = defaultdict(list)
    for i, (*_, source) in enumerate(pages):
        by_source[source].append(i)

    def best(indexes: list[int]) -> tuple:
        return max(settings, key=lambda s: (sum(scores[s][i] for i in indexes), s == shipped))

    everything = list(range(len(pages)))
    tuned_all = best(everything)
    loso = [0.0] * len(pages)
    moved = 0
    for source, held_out in by_source.items():
        rest = [i for i in everything if i not in set(held_out)]
        choice = best(rest)
        moved += choice != tuned_all
        for i in held_out:
            loso[i] = scores[choice][i]

    def mean(values) -> float:
        return statistics.mean(values)

    print(f"pages: {len(pages)}  sources: {len(by_source)}  settings tried: {len(settings)}")
    print(f"grid: {', '.join(f'{k}={v[2]}' for k, v in GRID.items())}")
    print(f"shipped setting  {dict(zip(GRID, shipped))}")
    print(f"tuned on all     {dict(zip(GRID, tuned_all))}")
    print(f"body F1, shipped setting        {mean(scores[shipped]):.3f}")
    print(f"body F1, tuned on all pages     {mean(scores[tuned_all]):.3f}")
    print(f"body F1, leave-one-source-out   {mean(loso):.3f}   (sources whose held-out choice differs: {moved})")
    worst = sorted(by_source.items(), key=lambda kv: mean(loso[i] for i in kv[1]))[:5]
    for source, idx in worst:
        print(f"  lowest source {source:<28} pages {len(idx):>2}  LOSO {mean(loso[i] for i in idx):.3f}"
              f"  shipped {mean(scores[shipped][i] for i in idx):.3f}")


if __name__ == "__main__":
    main()
