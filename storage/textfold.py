"""Script-insensitive Chinese: the form in which Traditional and Simplified text agree.

A notice republished in Traditional characters (a 繁體 mirror, a Hong Kong or Macau site) is
the same notice, and ``search 国务院`` must find ``國務院``. OpenCC's phrase-level converter
costs about 5 ms per 1,000 characters in pure Python, so folding uses a one-to-one
character table built once from OpenCC's own ``TSCharacters`` dictionary and applied with
:meth:`str.translate`: about 40 times faster, and every character keeps its offset, so a
match found in folded text is at the same place in the original (snippets, and the
extractor's label and widget matching, rely on that).

Mirror sites also insert pinyin after some characters (``國務(wù)院``, ``會(huì)``);
:func:`strip_pinyin_annotations` removes them for comparison and search. That one changes
offsets, so it is never part of :func:`to_simplified`.

Both live in ``storage`` because the search index folds what it stores; ``monitor`` reads
them from here, so index, query and comparison always fold alike.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

# Tone-marked vowels of Hanyu Pinyin (ü with and without tone too).
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_LETTERS = f"a-zü{_TONED}"
# A pinyin annotation: parentheses (ASCII or full-width) right after a Han character,
# holding lower-case syllables of which at least one carries a tone mark. Requiring the
# tone mark keeps ``课件(ppt)`` and ``(WHO)`` as written.
PINYIN_ANNOTATION = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（]\s*"
    rf"(?=[{_PINYIN_LETTERS}\s]*[{_TONED}])"
    rf"[{_PINYIN_LETTERS}]{{1,6}}(?:\s+[{_PINYIN_LETTERS}]{{1,6}}){{0,3}}\s*[)）]"
)


@cache
def _fold_table() -> dict[int, int]:
    """Traditional → Simplified, one character to one, from OpenCC's TSCharacters table.

    The first candidate of each entry is the one OpenCC's own ``t2s`` picks for a lone
    character.
    """
    import opencc

    table: dict[int, int] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        first = simplified.split(" ")[0]
        if len(traditional) == 1 and len(first) == 1:
            table[ord(traditional)] = ord(first)
    return table


def to_simplified(text: str) -> str:
    """Fold Traditional characters to Simplified, character by character (same length)."""
    return text.translate(_fold_table())


def simplified_table() -> dict[int, int]:
    """The Traditional → Simplified table of :func:`to_simplified`, to merge with others."""
    return _fold_table()


@cache
def _variant_table() -> dict[int, int]:
    """Every character to one representative of its Traditional/Simplified family.

    A character table cannot undo OpenCC's phrase-level choices: ``s2t`` writes 了解 as 瞭解,
    回复 as 回覆, 项链 as 項鍊, and folding 瞭, 覆 or 鍊 back character by character gives 瞭解,
    回覆 and 项炼. So for comparison, characters linked by any entry of OpenCC's TSCharacters
    or STCharacters tables form one family (了/瞭, 复/復/覆/複, 链/鍊/炼/煉) and fold to the
    family's first Simplified member; OpenCC's phrase tables, aligned character by character,
    link more (家具/傢俱: 具 and 俱). Folding Simplified text this way merges a few
    characters Simplified keeps apart (瞭望 and 了望 compare equal): no notice is edited by that.
    """
    import opencc

    parent: dict[str, str] = {}

    def root(ch: str) -> str:
        while (up := parent.get(ch, ch)) != ch:
            parent[ch] = parent.get(up, up)  # halve the path
            ch = up
        return ch

    simplified: set[str] = set()
    folder = Path(opencc.__file__).parent / "dictionary"
    # Phrase entries of equal length align character by character: 家具/傢俱 puts 具 and 俱
    # in one family, so a phrase the converter wrote with another character still compares equal.
    for name in ("STPhrases.txt", "TSPhrases.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            for value in values.split(" "):
                if len(value) == len(key):
                    for x, y in zip(key, value):
                        if x != y:
                            a, b = root(x), root(y)
                            if a != b:
                                parent[max(a, b)] = min(a, b)
    for name, simplified_first in (("TSCharacters.txt", False), ("STCharacters.txt", True)):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            if len(key) != 1:
                continue
            if simplified_first:
                simplified.add(key)
            for value in values.split(" "):
                if len(value) == 1:
                    if not simplified_first:
                        simplified.add(value)
                    a, b = root(key), root(value)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    families: dict[str, list[str]] = {}
    for ch in set(parent) | set(parent.values()):
        families.setdefault(root(ch), []).append(ch)
    table: dict[int, int] = {}
    for members in families.values():
        # Prefer a common (Basic block) Simplified character as the representative.
        candidates = sorted((m for m in members if m in simplified),
                            key=lambda m: (not "\u4e00" <= m <= "\u9fff", m)) or sorted(members)
        rep = ord(candidates[0])
        table.update({ord(m): rep for m in members if ord(m) != rep})
    return table


def fold_variants(text: str) -> str:
    """Each character to its Traditional/Simplified family's representative (same length)."""
    return text.translate(_variant_table())


def strip_pinyin_annotations(text: str) -> str:
    """``國務(wù)院`` → ``國務院``: drop pinyin that mirror sites insert after characters."""
    if "(" not in text and "（" not in text:
        return text
    return PINYIN_ANNOTATION.sub("", text)


def script_folded(text: str) -> str:
    """The script-insensitive form for comparison: pinyin annotations dropped, each character
    folded to its Traditional/Simplified family (:func:`fold_variants`)."""
    return fold_variants(strip_pinyin_annotations(text))
