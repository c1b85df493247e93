"""Pages per second of extract_article vs plain trafilatura.extract on the corpus pages.

Run: python benchmarks/bench_extraction.py [CORPUS]   (default: env PORTALWATCH_CORPUS or
../shared/corpus next to the repository root). Both run in this process on the same bytes,
best of three passes, so the ratio is what matters.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def load_pages(corpus: Path) -> list[tuple[bytes, str | None]]:
    pages = []
    for line in (corpus / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            pages.append(((corpus / entry["file"]).read_bytes(), entry.get("url")))
    return pages


def pages_per_second(run, pages, passes: int = 3) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for raw, url in pages:
            run(raw, url)
        best = min(best, time.perf_counter() - start)
    return len(pages) / best


def main() -> None:
    default = Path(os.environ.get("PORTALWATCH_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    pages = load_pages(corpus)
    import trafilatura

    from monitor.extraction import extract_article

    ours = pages_per_second(lambda raw, url: extract_article(raw, url), pages)
    plain = pages_per_second(lambda raw, url: trafilatura.extract(raw, url=url), pages)
    print(f"pages: {len(pages)}")
    print(f"extract_article       {ours:7.1f} pages/s")
    print(f"trafilatura.extract   {plain:7.1f} pages/s")
    print(f"ratio                 {ours / plain:7.2f}x")


if __name__ == "__main__":
    main()
