"""The stored notice holds under page changes that are not edits, and moves under ones that are.

Every corpus page (env PORTALWATCH_CORPUS or ../shared/corpus; skipped when absent) is
rewritten by each transformation of ``tests/metamorphic.py``: furniture, layout and template
changes must keep ``version_content(extract_article(...)).fingerprint``; real edits (a
number, a sentence, the title, source, date or an attachment) must change it. Each
transformation's pass rate over the pages it applies to must not drop below its floor.
``benchmarks/bench_metamorphic.py`` prints the same figures and every failing pair.
"""
from __future__ import annotations

import json

import pytest

from tests import metamorphic as mm

# Pass rates measured on the 88 corpus pages (last raised with the vocabulary/folding work). They are floors: raise
# them as extraction improves, never lower them. Target: 1.0 everywhere (issues 8 and 14).
FLOORS = {
    "roundtrip": 1.0,
    "counter": 1.0,
    "date_widget": 1.0,
    "buttons_in:added": 0.988,
    "buttons_in:short": 0.988,
    "buttons_in:ascii": 0.988,
    "font_in": 0.988,
    "share_in": 0.988,
    "buttons_out:added": 1.0,
    "buttons_out:short": 1.0,
    "buttons_out:ascii": 1.0,
    "font_out": 0.954,
    "share_out": 0.954,
    "whitespace": 1.0,
    "nbsp_indent": 1.0,
    "fullwidth_indent": 1.0,
    "fullwidth_chars": 0.988,
    "info:spans": 1.0,
    "info:cells": 0.914,
    "info:plain": 1.0,
    "related:added": 0.816,
    "related:rotated": 1.0,
    "sidebar:added": 0.942,
    "sidebar:rotated": 1.0,
    "frame:trs": 0.647,
    "frame:hanweb": 0.635,
    "frame:govcn": 0.588,
    "traditional": 1.0,
    "pinyin": 0.988,
    "number_changed": 1.0,
    "sentence_deleted": 1.0,
    "title_changed": 1.0,
    "source_changed": 1.0,
    "date_changed": 1.0,
    "attachment_replaced": 1.0,
}
# Overall shares of applicable page x transformation pairs, measured at the same time.
MIN_INVARIANCE = 0.936
MIN_SENSITIVITY = 1.0
MIN_SCRIPT_INVARIANCE = 0.994
# Government pages alone (23 of the 88, kind "gov" in the manifest): the portals this tool watches.
# Measured 0.985 invariance; the failures left are a related-box that moves the density pick
# (ia-a0cb0242, ia-e8847578) and a frame that takes in link lines (gov-zc-1).
MIN_GOV_INVARIANCE = 0.984
# Floors are the measured shares rounded down to 3 decimals; EPSILON absorbs float noise.
EPSILON = 1e-9


@pytest.fixture(scope="module")
def outcomes() -> list[mm.Outcome]:
    if not (mm.CORPUS / "manifest.jsonl").exists():
        pytest.skip(f"no corpus at {mm.CORPUS}")
    return mm.run_suite(mm.load_corpus(mm.CORPUS), processes=2)


def _failing(outcomes: list[mm.Outcome], name: str) -> str:
    failed = [o for o in outcomes if o.transformation == name and o.applicable and not o.passed]
    return "\n".join(f"  {o.page} [{','.join(o.fields)}] {o.detail}"[:300] for o in failed[:10])


def test_every_transformation_has_a_floor():
    assert {t.name for t in mm.TRANSFORMATIONS} | {"roundtrip"} == set(FLOORS)


def test_no_transformation_raises(outcomes):
    errors = [f"{o.page} {o.transformation}: {o.detail}" for o in outcomes
              if o.detail.startswith("transformation failed")]
    assert not errors, "\n".join(errors)


def test_each_transformation_applies_somewhere(outcomes):
    rows = {row.name: row for row in mm.summarise(outcomes)}
    assert all(rows[name].applicable for name in FLOORS), [n for n in FLOORS if not rows[n].applicable]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_transformation_pass_rate_does_not_regress(outcomes, name):
    row = next(row for row in mm.summarise(outcomes) if row.name == name)
    assert row.rate is not None and row.rate + EPSILON >= FLOORS[name], (
        f"{name}: {row.passed}/{row.applicable} = {row.rate:.3f} < {FLOORS[name]}\n{_failing(outcomes, name)}")


def test_invariance_and_sensitivity_overall(outcomes):
    pairs = [o for o in outcomes if o.transformation != "roundtrip"]
    assert mm.overall(pairs, mm.INVARIANT) + EPSILON >= MIN_INVARIANCE
    assert mm.overall(pairs, mm.SENSITIVE) + EPSILON >= MIN_SENSITIVITY
    assert mm.overall(pairs, mm.SCRIPT) + EPSILON >= MIN_SCRIPT_INVARIANCE


def test_government_pages_hold_under_template_changes(outcomes):
    gov = {json.loads(line)["id"] for line in (mm.CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
           if line.strip() and json.loads(line).get("kind") == "gov"}
    pairs = [o for o in outcomes if o.page in gov and o.transformation != "roundtrip"]
    assert pairs
    assert mm.overall(pairs, mm.INVARIANT) + EPSILON >= MIN_GOV_INVARIANCE
    assert mm.overall(pairs, mm.SENSITIVE) + EPSILON >= MIN_SENSITIVITY


def test_transformations_are_deterministic():
    if not (mm.CORPUS / "manifest.jsonl").exists():
        pytest.skip(f"no corpus at {mm.CORPUS}")
    page = next(p for p in mm.load_corpus(mm.CORPUS) if p.id.startswith("gov-"))
    prep = mm.prepare(page)
    for t in mm.TRANSFORMATIONS:
        first, second = (t.apply(prep, mm.rng_for(page, t)) for _ in range(2))
        if isinstance(first, str):
            assert first == second
            continue
        assert [mm.serialise(tree) if tree is not None else None for tree in first] == \
               [mm.serialise(tree) if tree is not None else None for tree in second], t.name
