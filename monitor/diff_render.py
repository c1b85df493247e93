"""Ways to show a ``TextDiff`` to a person: terminal, unified diff, HTML, chat summary.

All renderers show *changed sentences*: a sentence is the unit a reader of a Chinese
notice recognises, so each change is shown inside the sentence that holds it, trimmed
to a little context, with "…" where unchanged text was skipped. Captured text is
untrusted: the HTML renderers escape every character of it.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Callable
from dataclasses import dataclass

from monitor.diff import Op, TextDiff, diff_texts, split_sentences

ELLIPSIS = "…"
# Shown in place of a change that is only a line break (a paragraph split or joined).
LINE_BREAK_MARK = "↵"
_ANSI_GREEN = "\x1b[32m"
_ANSI_RED = "\x1b[31m"
_ANSI_RESET = "\x1b[0m"


@dataclass(frozen=True, slots=True)
class SentenceOps:
    """The ops of one sentence of the diff, and its position among all sentences."""

    index: int
    ops: tuple[tuple[Op, str], ...]

    @property
    def changed(self) -> bool:
        return any(op != "equal" for op, _ in self.ops)


def sentences_of(diff: TextDiff) -> list[SentenceOps]:
    """Cut the ops into sentences at sentence ends inside equal text.

    A change that spans several sentences stays in one unit with the equal text that
    starts and ends it, so each unit reads as whole sentences before and after; whole
    sentences inserted or deleted between equal sentences form a unit of their own.
    """
    units: list[SentenceOps] = []
    current: list[tuple[Op, str]] = []
    for op, text in diff.ops:
        if op != "equal":
            current.append((op, text))
            continue
        if current and all(kind != "equal" and _ends_sentence(t) for kind, t in current):
            # Whole sentences inserted or deleted between two sentence ends: a unit of their own.
            units.append(SentenceOps(len(units), tuple(current)))
            current = []
        for piece in split_sentences(text):
            current.append(("equal", piece))
            if _ends_sentence(piece):
                units.append(SentenceOps(len(units), tuple(current)))
                current = []
    if current:
        units.append(SentenceOps(len(units), tuple(current)))
    return units


def _ends_sentence(piece: str) -> bool:
    return split_sentences(piece + "x")[0] == piece


def _trim_context(ops: tuple[tuple[Op, str], ...], context_chars: int | None) -> list[tuple[Op, str]]:
    """Shorten equal runs of a changed sentence to ``context_chars`` around the changes."""
    trimmed: list[tuple[Op, str]] = []
    last = len(ops) - 1
    for position, (op, text) in enumerate(ops):
        if position == last:
            text = text.rstrip("\n") if op == "equal" else text
        if op != "equal" or context_chars is None:
            trimmed.append((op, text))
            continue
        n = context_chars
        if position == 0 and position != last:
            if len(text) > n:
                text = ELLIPSIS + text[len(text) - n :] if n else ELLIPSIS
        elif position == last and position != 0:
            if len(text) > n:
                text = text[:n] + ELLIPSIS
        elif len(text) > 2 * n + 1:
            text = text[:n] + ELLIPSIS + text[len(text) - n :] if n else ELLIPSIS
        trimmed.append((op, text))
    return trimmed


def _render_sentence(
    ops: list[tuple[Op, str]],
    equal: Callable[[str], str],
    inserted: Callable[[str], str],
    deleted: Callable[[str], str],
) -> str:
    parts = []
    for op, text in ops:
        if op == "equal":
            parts.append(equal(text))
            continue
        wrap = inserted if op == "insert" else deleted
        if not text.strip("\n"):
            parts.append(wrap(LINE_BREAK_MARK))
            continue
        # Mark each line separately so markers and colours never straddle a line break.
        parts.append("\n".join(wrap(line) if line else "" for line in text.split("\n")))
    return "".join(parts).rstrip("\n")


def _render_changes(
    diff: TextDiff,
    context_chars: int | None,
    equal: Callable[[str], str],
    inserted: Callable[[str], str],
    deleted: Callable[[str], str],
    gap: str,
) -> list[str]:
    """Changed sentences in order, with ``gap`` wherever unchanged sentences were skipped."""
    units = sentences_of(diff)
    blocks: list[str] = []
    shown = -1
    for unit in units:
        if not unit.changed:
            continue
        if unit.index > shown + 1:
            blocks.append(gap)
        trimmed = _trim_context(unit.ops, context_chars)
        blocks.append(_render_sentence(trimmed, equal, inserted, deleted))
        shown = unit.index
    if blocks and shown < len(units) - 1:
        blocks.append(gap)
    return blocks


def render_terminal(diff: TextDiff, color: bool = True, *, context_chars: int = 40) -> str:
    """Changed sentences for a terminal: ANSI green/red, or ``[+…+]``/``[-…-]`` without colour.

    Returns "" when nothing changed.
    """
    if color:
        inserted = lambda text: f"{_ANSI_GREEN}{text}{_ANSI_RESET}"
        deleted = lambda text: f"{_ANSI_RED}{text}{_ANSI_RESET}"
    else:
        inserted = lambda text: f"[+{text}+]"
        deleted = lambda text: f"[-{text}-]"
    blocks = _render_changes(diff, context_chars, str, inserted, deleted, ELLIPSIS)
    return "\n".join(blocks)


def render_unified(old: str, new: str, fromfile: str = "old", tofile: str = "new") -> str:
    """A unified diff with one sentence per line; "" when the texts are equal."""
    old_lines = [s.rstrip("\n") for s in split_sentences(old) if s.strip()]
    new_lines = [s.rstrip("\n") for s in split_sentences(new) if s.strip()]
    return "\n".join(difflib.unified_diff(old_lines, new_lines, fromfile, tofile, lineterm=""))


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def render_html(diff: TextDiff, *, context_chars: int | None = None) -> str:
    """An HTML fragment of the changed sentences with ``<ins>``/``<del>``; text is escaped."""
    blocks = _render_changes(
        diff,
        context_chars,
        _escape,
        lambda text: f"<ins>{_escape(text)}</ins>",
        lambda text: f"<del>{_escape(text)}</del>",
        gap=f'<p class="pw-diff-gap">{ELLIPSIS}</p>',
    )
    body = "\n".join(
        block if block.startswith('<p class="pw-diff-gap">') else f'<p class="pw-diff-change">{block}</p>'
        for block in blocks
    )
    return f'<div class="pw-diff">\n{body}\n</div>' if body else '<div class="pw-diff"></div>'


def side_by_side_html(old: str, new: str, *, old_label: str = "Before", new_label: str = "After") -> str:
    """A two-column table, one row per sentence: old with ``<del>``, new with ``<ins>``.

    Rows carry ``pw-same`` or ``pw-changed`` so a page can fold unchanged stretches.
    """
    rows = []
    for unit in sentences_of(diff_texts(old, new)):
        left = _column(unit.ops, "delete", "del")
        right = _column(unit.ops, "insert", "ins")
        kind = "pw-changed" if unit.changed else "pw-same"
        rows.append(f'<tr class="{kind}"><td>{left}</td><td>{right}</td></tr>')
    return (
        '<table class="pw-side-by-side">\n'
        f"<thead><tr><th>{_escape(old_label)}</th><th>{_escape(new_label)}</th></tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _column(ops: tuple[tuple[Op, str], ...], own: Op, tag: str) -> str:
    """One side of a row: equal text plus this side's changes wrapped in ``tag``.

    The row ends the sentence, so its final line break is dropped; a change that was
    only that line break is shown as a mark instead of vanishing.
    """
    side = [(op, text) for op, text in ops if op in ("equal", own)]
    if side:
        op, text = side[-1]
        side[-1] = (op, text.rstrip("\n") or (LINE_BREAK_MARK if op == own else ""))
    return "".join(
        f"<{tag}>{_escape(text)}</{tag}>" if op == own else _escape(text) for op, text in side if text
    )


def summarize_diff(diff: TextDiff, limit: int = 500) -> str:
    """Changed sentences with ``[+…+]``/``[-…-]`` markers, at most ``limit`` characters.

    For chat alerts. Context is narrowed first; if that is not enough the text is cut
    with "…", closing any marker that was cut so the message stays readable.
    """
    if not diff.changed:
        return ""
    for context_chars in (40, 20, 10, 5):
        blocks = _render_changes(
            diff, context_chars, str, lambda t: f"[+{t}+]", lambda t: f"[-{t}-]", ELLIPSIS
        )
        while blocks and blocks[0] == ELLIPSIS:  # a chat message needs no leading gap
            blocks.pop(0)
        while blocks and blocks[-1] == ELLIPSIS:
            blocks.pop()
        text = "\n".join(blocks)
        if len(text) <= limit:
            return text
    return _cut_keeping_markers(text, limit)


def _cut_keeping_markers(text: str, limit: int) -> str:
    """Cut to ``limit`` characters ending in "…", closing a ``[+``/``[-`` left open."""
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = len(text)
    while True:
        cut = min(cut, limit) - 1
        head = text[:cut]
        if head.endswith("[") and text[cut : cut + 1] in ("+", "-"):
            head = head[:-1]  # never leave half a marker
        if head.endswith(("[+", "[-")):
            head = head[:-2]  # nor an empty one
        opened = _open_marker(head)
        closing = f"{opened}]" if opened else ""
        result = head + ELLIPSIS + closing
        if len(result) <= limit:
            return result


def _open_marker(head: str) -> str | None:
    """The kind (``+`` or ``-``) of a marker still open at the end of ``head``."""
    last_open = max(head.rfind("[+"), head.rfind("[-"))
    if last_open < 0:
        return None
    kind = head[last_open + 1]
    if head.find(f"{kind}]", last_open + 2) >= 0:
        return None
    return kind
