"""A stored change put into words: the title, body and diff that alerts and the feed show.

Alerts and the Atom feed tell the same story about a change, so both start from one
:class:`ChangeText` built by :func:`describe_change` from a ``StoredChange`` and its two
versions. A chat message has little room, so :meth:`ChangeText.message` fits the text to a
character budget, spending it on the header and metadata first and the body diff last;
:meth:`ChangeText.html` is the full HTML form for the feed. Captured text is untrusted and
is escaped in every HTML form.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

from monitor.diff import FieldChange, TextDiff, diff_fields, diff_texts
from monitor.diff_render import render_html, summarize_diff
from monitor.normalize import display_form
from monitor.vocabulary import FIELD_NAMES, KIND_NAMES
from storage.archive import Archive
from storage.records import VERSION_FIELDS, StoredChange, StoredVersion

# How a new notice is previewed: its first characters.
EXCERPT_CHARS = 200
# A metadata value longer than this is cut in chat messages (titles can be long; 附件 lists longer).
FIELD_VALUE_CHARS = 200
# Below this many characters left for the body diff, a message says only that the body changed.
MIN_DIFF_BUDGET = 40
ELLIPSIS = "…"
NO_TITLE = "（无标题）"
EMPTY_VALUE = "（空）"


def kind_label(kind: str) -> str:
    """The Chinese label of a change kind; an unknown kind shows as itself."""
    return KIND_NAMES.get(kind, kind)


def field_label(name: str) -> str:
    return FIELD_NAMES.get(name, name)


def change_title(change: StoredChange) -> str:
    """``【修改】关于…的通知``: the alert title and the feed entry title."""
    return f"【{kind_label(change.kind)}】{change.title or change.url or NO_TITLE}"


@dataclass(slots=True)
class ChangeText:
    """One change with what a reader needs to judge it: which fields moved, and how."""

    change: StoredChange
    old: StoredVersion | None
    new: StoredVersion | None
    text_diff: TextDiff | None
    field_changes: list[FieldChange] = field(default_factory=list)

    @property
    def title(self) -> str:
        return change_title(self.change)

    @property
    def reextracted(self) -> bool:
        """A version written by re-extracting old captures is not news: never alert on it."""
        return any(v is not None and v.reextracted for v in (self.old, self.new))

    @property
    def excerpt(self) -> str:
        """The start of a new notice's text (empty for other kinds)."""
        if self.change.kind != "new" or self.new is None:
            return ""
        return _cut(" ".join(display_form(self.new.text).split("\n")), EXCERPT_CHARS)

    def header_lines(self) -> list[str]:
        change = self.change
        lines = [
            f"网址: {change.url}",
            f"类型: {kind_label(change.kind)}（{change.kind}）",
        ]
        if change.fields:
            lines.append("变动字段: " + "、".join(field_label(name) for name in change.fields))
        lines.append(f"发现时间: {change.detected_at}")
        if change.from_version or change.to_version:
            versions = " → ".join(f"v{n}" for n in (change.from_version, change.to_version) if n)
            lines.append(f"版本: {versions}")
        if change.note:
            lines.append(f"说明: {change.note}")
        return lines

    def message(self, limit: int = 1500) -> str:
        """Plain text of at most ``limit`` characters: header, field changes, then body diff.

        The body diff is :func:`summarize_diff` with whatever room is left, so a long edit
        shrinks its context first and is cut last.
        """
        parts = ["\n".join(self.header_lines())]
        if self.field_changes:
            parts.append(
                "—— 字段变动 ——\n"
                + "\n".join(
                    f"{field_label(c.name)}: {_cut(c.old or EMPTY_VALUE, FIELD_VALUE_CHARS)}"
                    f" → {_cut(c.new or EMPTY_VALUE, FIELD_VALUE_CHARS)}"
                    for c in self.field_changes
                )
            )
        if self.excerpt:
            parts.append(f"—— 正文开头 ——\n{self.excerpt}")
        head = "\n\n".join(parts)
        if self.text_diff is not None and self.text_diff.changed:
            label = "\n\n—— 正文变动 ——\n"
            budget = limit - len(head) - len(label)
            if budget >= MIN_DIFF_BUDGET:
                return head + label + summarize_diff(self.text_diff, limit=budget)
            head += f"\n\n正文有变动（+{self.text_diff.chars_added}/-{self.text_diff.chars_removed} 字），详见存档。"
        return _cut(head, limit)

    def html(self) -> str:
        """An HTML fragment for a feed entry: header, field changes with <del>/<ins>, body diff."""
        esc = _escape
        change = self.change
        out = [f'<p><a href="{esc(change.url)}">{esc(change.url)}</a></p>', "<ul>"]
        for line in self.header_lines()[1:]:
            out.append(f"<li>{esc(line)}</li>")
        out.append("</ul>")
        if self.field_changes:
            out.append("<h4>字段变动</h4>\n<ul>")
            for c in self.field_changes:
                out.append(
                    f"<li>{esc(field_label(c.name))}: <del>{esc(c.old or EMPTY_VALUE)}</del>"
                    f" → <ins>{esc(c.new or EMPTY_VALUE)}</ins></li>"
                )
            out.append("</ul>")
        if self.excerpt:
            out.append(f"<h4>正文开头</h4>\n<p>{esc(self.excerpt)}</p>")
        if self.text_diff is not None and self.text_diff.changed:
            out.append("<h4>正文变动</h4>")
            out.append(render_html(self.text_diff))
        return "\n".join(out)


def describe_change(archive: Archive, change: StoredChange) -> ChangeText:
    """Load the change's versions and diff them (body and fields as the portal shows them)."""
    old = archive.version_by_id(change.from_version_id) if change.from_version_id else None
    new = archive.version_by_id(change.to_version_id) if change.to_version_id else None
    text_diff = None
    field_changes: list[FieldChange] = []
    if old is not None and new is not None and old.id != new.id:
        text_diff = diff_texts(display_form(old.text), display_form(new.text))
        shown = [name for name in change.fields if name != "text"]
        field_changes = [
            c for c in diff_fields(_display_fields(old), _display_fields(new)) if c.name in shown
        ]
    return ChangeText(change, old, new, text_diff, field_changes)


def _display_fields(version: StoredVersion) -> dict[str, str | None]:
    """Metadata as a reader sees it: attachments by their link text and file URL."""
    out: dict[str, str | None] = {}
    for name in VERSION_FIELDS:
        value = getattr(version, name)
        if name == "attachments":
            value = "；".join(
                f"{a.get('text') or ''} {a.get('url') or ''}".strip() for a in value
            ) or None
        out[name] = value
    return out


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
