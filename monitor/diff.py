"""What changed between two versions of a notice, in a form Chinese readers can scan.

Chinese has no spaces, so a word diff is meaningless and a line diff of a paragraph
marks the whole paragraph. ``diff_texts`` works in two steps: sentences are aligned
first (a sentence ends at 。！？； or a newline), then each replaced sentence that still
resembles its counterpart gets a character-level diff, so a changed date, amount or
name stands out inside an otherwise equal sentence. Sentences with no counterpart show
as whole-sentence inserts or deletes.

Pass texts in display form (``monitor.normalize.display_form``): furniture and white space
runs gone, characters as the portal wrote them (the comparison form folds script and width,
which is for deciding, not for reading). The renderers live in ``monitor.diff_render``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal

from diff_match_patch import diff_match_patch

from monitor.normalize import normalize_field

Op = Literal["equal", "insert", "delete"]

# Sentence ends in Chinese text, full-width and (after NFKC) half-width forms.
SENTENCE_ENDS = "。！？；!?;"
# Closing quotes and brackets that belong to the sentence they close: 。” 。）
SENTENCE_CLOSERS = "”’」』）)】〕》\"'"
_SENTENCE_RE = re.compile(
    rf"[^{SENTENCE_ENDS}\n]*(?:[{SENTENCE_ENDS}]+[{SENTENCE_CLOSERS}]*\n?|\n)"
    rf"|[^{SENTENCE_ENDS}\n]+$"
)

# A replaced sentence pair is diffed by character only if they share at least this much
# (Dice coefficient over character bigrams); below it the reader sees two sentences.
PAIR_SIMILARITY = 0.4
# After the character diff, a pair keeping less than this share of equal characters is
# shown as a whole-sentence delete + insert: confetti of tiny equal runs helps nobody.
KEEP_CHAR_DIFF = 0.5
# How many sentences ahead to look for a counterpart inside a replaced stretch.
LOOKAHEAD = 8


@dataclass(slots=True)
class TextDiff:
    """Character-granular operations turning ``old`` into ``new``.

    Joining the text of ``equal`` and ``delete`` ops gives ``old``; joining ``equal``
    and ``insert`` ops gives ``new``. Adjacent ops never share a kind.
    """

    ops: list[tuple[Op, str]] = field(default_factory=list)
    chars_added: int = 0
    chars_removed: int = 0
    changed: bool = False

    @property
    def old(self) -> str:
        return "".join(text for op, text in self.ops if op != "insert")

    @property
    def new(self) -> str:
        return "".join(text for op, text in self.ops if op != "delete")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A metadata field (title, 来源, 文号, ...) whose value changed, with the raw values."""

    name: str
    old: str | None
    new: str | None


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, each keeping its end mark and newline; they join back to ``text``."""
    return [match.group(0) for match in _SENTENCE_RE.finditer(text) if match.group(0)]


def diff_texts(old: str, new: str) -> TextDiff:
    """Align sentences, then diff similar replaced sentences character by character."""
    old_sentences = split_sentences(old)
    new_sentences = split_sentences(new)
    builder = _OpsBuilder()
    matcher = SequenceMatcher(None, old_sentences, new_sentences, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            builder.add("equal", "".join(old_sentences[i1:i2]))
        elif tag == "delete":
            builder.add("delete", "".join(old_sentences[i1:i2]))
        elif tag == "insert":
            builder.add("insert", "".join(new_sentences[j1:j2]))
        else:
            _diff_replaced(old_sentences[i1:i2], new_sentences[j1:j2], builder)
    return builder.finish()


def diff_fields(old: Mapping[str, str | None], new: Mapping[str, str | None]) -> list[FieldChange]:
    """Fields whose normalised values differ, in the order of ``old`` then new-only names."""
    names = list(old) + [name for name in new if name not in old]
    return [
        FieldChange(name, old.get(name), new.get(name))
        for name in names
        if normalize_field(old.get(name)) != normalize_field(new.get(name))
    ]


def diff_to_json(diff: TextDiff) -> dict:
    """A JSON-ready form: ``{"ops": [{"op": "insert", "text": "…"}, …], "chars_added": n, …}``."""
    return {
        "ops": [{"op": op, "text": text} for op, text in diff.ops],
        "chars_added": diff.chars_added,
        "chars_removed": diff.chars_removed,
    }


def diff_from_json(data: Mapping) -> TextDiff:
    """The inverse of ``diff_to_json``, for diffs read back from the archive."""
    builder = _OpsBuilder()
    for item in data["ops"]:
        if item["op"] not in ("equal", "insert", "delete"):
            raise ValueError(f"unknown diff op {item['op']!r}; expected equal, insert or delete")
        builder.add(item["op"], item["text"])
    return builder.finish()


class _OpsBuilder:
    """Collects ops, merging neighbours of the same kind and dropping empty text."""

    def __init__(self) -> None:
        self.ops: list[tuple[Op, str]] = []

    def add(self, op: Op, text: str) -> None:
        if not text:
            return
        if self.ops and self.ops[-1][0] == op:
            self.ops[-1] = (op, self.ops[-1][1] + text)
        else:
            self.ops.append((op, text))

    def finish(self) -> TextDiff:
        added = sum(len(text) for op, text in self.ops if op == "insert")
        removed = sum(len(text) for op, text in self.ops if op == "delete")
        return TextDiff(self.ops, added, removed, changed=bool(added or removed))


def _bigrams(sentence: str) -> frozenset[str]:
    body = sentence.strip()
    if len(body) < 2:
        return frozenset((body,)) if body else frozenset()
    return frozenset(body[k : k + 2] for k in range(len(body) - 1))


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _diff_replaced(old: list[str], new: list[str], builder: _OpsBuilder) -> None:
    """Pair sentences of a replaced stretch in order; unpaired ones are whole inserts/deletes.

    Greedy with a short look-ahead keeps this linear in the stretch length, which matters
    when a notice is rewritten wholesale. An old sentence gives up its best partner when a
    following old sentence resembles that partner more.
    """
    old_grams = [_bigrams(s) for s in old]
    new_grams = [_bigrams(s) for s in new]
    j = 0
    for i, sentence in enumerate(old):
        best_j, best = -1, PAIR_SIMILARITY
        for candidate in range(j, min(j + LOOKAHEAD, len(new))):
            score = _similarity(old_grams[i], new_grams[candidate])
            if score >= best and score > 0:
                best_j, best = candidate, score
                if score == 1.0:
                    break
        later_is_closer = best_j >= 0 and any(
            _similarity(old_grams[k], new_grams[best_j]) > best
            for k in range(i + 1, min(i + 1 + LOOKAHEAD, len(old)))
        )
        if best_j < 0 or later_is_closer:
            builder.add("delete", sentence)
            continue
        builder.add("insert", "".join(new[j:best_j]))
        _diff_pair(sentence, new[best_j], builder)
        j = best_j + 1
    builder.add("insert", "".join(new[j:]))


def _diff_pair(old: str, new: str, builder: _OpsBuilder) -> None:
    """Character diff of two similar sentences, or whole replace if little survives."""
    engine = diff_match_patch()
    engine.Diff_Timeout = 0.05
    changes = engine.diff_main(old, new, False)
    engine.diff_cleanupSemantic(changes)
    kept = sum(len(text) for kind, text in changes if kind == 0)
    if 2 * kept < KEEP_CHAR_DIFF * (len(old) + len(new)):
        builder.add("delete", old)
        builder.add("insert", new)
        return
    names: dict[int, Op] = {0: "equal", 1: "insert", -1: "delete"}
    for kind, text in changes:
        builder.add(names[kind], text)
