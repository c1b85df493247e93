"""Body quality on the real-page corpus must not regress.

The corpus (manifest.jsonl, pages/, truth/) lives outside the repository: env
PORTALWATCH_CORPUS, or ../shared/corpus next to the repository root. Body score is the
scorer's character-bigram F1: NFKC, no white space, one token per CJK character or per
run of letters/digits (lower-cased), F1 over the multiset of adjacent token pairs.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import unicodedata
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from monitor.extraction import extract_article

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PORTALWATCH_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
# Measured 2026 with density-first extraction and container hints: mean 0.975 whole corpus, 0.991 gov pages.
MIN_MEAN_F1 = 0.971
MIN_GOV_MEAN_F1 = 0.987

TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]|[^\W_]+")


def bigram_f1(pred: str, truth: str) -> float:
    def grams(text: str) -> Counter:
        toks = [t.lower() for t in TOKEN.findall(unicodedata.normalize("NFKC", text or ""))]
        return Counter(pairwise(toks)) if len(toks) >= 2 else Counter(toks)

    p, t = grams(pred), grams(truth)
    if not t:
        return 1.0 if not p else 0.0
    hit = sum((p & t).values())
    if not hit:
        return 0.0
    precision, recall = hit / sum(p.values()), hit / sum(t.values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def scored() -> list[tuple[str, str, float]]:
    if not (CORPUS / "manifest.jsonl").exists():
        pytest.skip(f"no corpus at {CORPUS}")
    rows = []
    for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        truth = json.loads((CORPUS / "truth" / f"{entry['id']}.json").read_text(encoding="utf-8"))
        article = extract_article((CORPUS / entry["file"]).read_bytes(), entry.get("url"))
        rows.append((entry["id"], entry.get("kind"), bigram_f1(article.text, truth["body"])))
    return rows


def test_mean_body_f1_does_not_regress(scored):
    mean = statistics.mean(f for _, _, f in scored)
    assert mean >= MIN_MEAN_F1, f"mean body F1 {mean:.3f} < {MIN_MEAN_F1}"


def test_gov_pages_body_f1_does_not_regress(scored):
    gov = [f for _, kind, f in scored if kind == "gov"]
    assert gov and statistics.mean(gov) >= MIN_GOV_MEAN_F1


def test_no_page_scores_zero(scored):
    zero = [page for page, _, f in scored if f == 0.0]
    assert not zero, f"pages with no body overlap: {zero}"
