"""The form two captures are compared in, so that only real edits count as changes.

Portals re-render the same notice with different white space, full-width vs half-width
characters, and page furniture that lives inside the body container (visit counters,
print/close buttons, font-size widgets, share bars, "today is ..." date widgets). None of
that is an edit. ``normalize_text`` folds all of it away; ``content_fingerprint`` hashes the
result so that equal fingerprints mean "no edit".

Furniture is matched by widget *shape* (label + colon + number, bracketed buttons, a
phrase standing on its own), never by bare words, so a sentence such as
本次会议听取了访问量统计报告 stays text.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping

from monitor.extraction.furniture import without_widgets
from storage.textfold import script_folded

# Characters that render as nothing and only differ between template versions.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ZERO_WIDTH_RE = re.compile(f"[{ZERO_WIDTH}]")

# Scripts written without spaces between words: white space next to them is layout only.
_CJK = (
    "\u2e80-\u2fff"  # radicals, Kangxi
    "\u3000-\u303f"  # CJK symbols and punctuation (。、「」【】...)
    "\u3040-\u30ff"  # kana
    "\u3100-\u31ff"  # bopomofo, CJK strokes
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uac00-\ud7af"  # hangul
    "\uf900-\ufaff"  # compatibility ideographs
    "\ufe30-\ufe4f"  # vertical / compatibility forms
    "\uff00-\uffef"  # full-width forms NFKC leaves alone
    "\U00020000-\U0003134f"  # extensions B-G
)
_CJK_CHAR = f"[{_CJK}]"
_CJK_CHAR_RE = re.compile(_CJK_CHAR)
_SPACE_RUN_RE = re.compile(r"\s+")

def strip_furniture_lines(text: str) -> str:
    """Remove in-body page furniture: whole furniture lines and furniture fragments.

    Lines that held only furniture disappear; a line that had furniture appended
    (``发布时间：2024-03-05 浏览次数：123``) keeps its real part. Other lines are
    returned untouched, so this is safe to run on text that has not been normalised.
    The widgets are the extractor's (:mod:`monitor.extraction.furniture`): one list.
    """
    kept: list[str] = []
    for line in text.split("\n"):
        real = without_widgets(line)
        if real is not None:
            kept.append(real)
    return "\n".join(kept)


def _fold_spaces(line: str) -> str:
    """Fold white space runs: nothing next to CJK or between two digits (a CMS wrapping its
    source at 80 columns splits 5217 into 52 17 on screen), one space between Latin words."""

    def replace(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        if (start > 0 and _CJK_CHAR_RE.match(line, start - 1)) or _CJK_CHAR_RE.match(line, end):
            return ""
        if start > 0 and end < len(line) and line[start - 1].isdigit() and line[end].isdigit():
            return ""
        return " "

    return _SPACE_RUN_RE.sub(replace, line).strip()


def _unify(text: str) -> str:
    """NFKC, invisible characters dropped, every white space run one space, blank lines gone."""
    text = _ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFKC", text))
    lines = (_SPACE_RUN_RE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _fold_lines(text: str) -> str:
    lines = (_fold_spaces(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_text(text: str) -> str:
    """The comparison form of a notice body. Idempotent.

    NFKC folds full-width/half-width forms (and ``\\u3000``/NBSP to spaces); Traditional
    characters fold to Simplified and mirror sites' pinyin annotations (``務(wù)``) go, so
    the same notice in either script compares equal; white space inside a line vanishes
    next to CJK and becomes one space between Latin words; lines are stripped and blank
    lines dropped; furniture is removed. Furniture is stripped before spaces next to CJK
    vanish, because spaces are what separate ``打印 关闭``.
    """
    current = script_folded(_unify(text))
    for _ in range(5):  # reach a fixed point so that normalising twice changes nothing
        following = _fold_lines(strip_furniture_lines(current))
        if following == current:
            break
        current = following
    return current


def normalize_field(value: str | None) -> str | None:
    """A metadata value in comparison form: NFKC, Simplified, white space folded; empty means None."""
    if value is None:
        return None
    text = script_folded(_ZERO_WIDTH_RE.sub("", unicodedata.normalize("NFKC", value)))
    folded = _fold_spaces(_SPACE_RUN_RE.sub(" ", text).strip())
    return folded or None


def content_fingerprint(text: str, fields: Mapping[str, str | None]) -> str:
    """SHA-256 hex of the normalised text and fields; equal fingerprints mean "no edit".

    Fields are hashed by name in sorted order; a field that normalises to None counts
    the same as an absent field, so a template that stops showing an empty 责任编辑
    does not look like an edit.
    """
    normalized_fields = {
        name: folded for name in sorted(fields) if (folded := normalize_field(fields[name])) is not None
    }
    payload = json.dumps(
        {"text": normalize_text(text), "fields": normalized_fields},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def display_form(text: str) -> str:
    """The text a diff is shown in: furniture and blank lines removed, white space runs
    folded, but characters kept as the portal wrote them (full-width ，。 stay full-width,
    unlike :func:`normalize_text`, which is for comparing, not reading)."""
    lines = (" ".join(line.split()) for line in strip_furniture_lines(text).split("\n"))
    return "\n".join(line for line in lines if line)
