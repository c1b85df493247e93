"""A mass change put into words: one site-level message instead of hundreds of notice alerts.

When most of a site's notices change in one round, the cause is nearly always the site (a
new template, a CMS upgrade) and not hundreds of editors at once. :mod:`monitor.rounds`
groups such edits in a batch; this module tells the batch as one event: how many notices,
which fields, one sample diff, and a note that the template probably changed. Each member
change stays in the archive, with its own diff (``portalwatch changes --expand``).
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from monitor.change_text import ChangeText, describe_change, field_label, kind_label
from storage.archive import Archive
from storage.records import StoredBatch

# How many member URLs a batch message lists.
SAMPLE_URLS = 3
# What the reader should suspect, by kind, in the words of the alert (Chinese, like the other labels).
TEMPLATE_HINT = "网站模板可能已改版：各条变动已存档，本轮不再逐条提醒。"
KIND_HINTS = {
    "edited": TEMPLATE_HINT,
    "removed": "网站可能已迁移或撤下栏目：各条变动已存档，本轮不再逐条提醒。",
    "unreachable": "网站可能整体无法访问：各条记录已存档，本轮不再逐条提醒。",
}
MASS_LABEL = "批量"


@dataclass(slots=True)
class BatchText:
    """The batch with what a reader needs: counts, fields, a few URLs, and one sample change."""

    batch: StoredBatch
    urls: list[str]
    sample: ChangeText | None

    @property
    def title(self) -> str:
        """``【批量修改】hunan：283 条公告同一轮变动``: the alert and feed title."""
        b = self.batch
        return f"【{MASS_LABEL}{kind_label(b.kind)}】{b.site}：{b.count} 条公告同一轮变动"

    @property
    def reextracted(self) -> bool:
        return False

    def header_lines(self) -> list[str]:
        b = self.batch
        fields = "、".join(f"{field_label(name)} {b.field_counts[name]}" for name in b.fields)
        lines = [
            f"站点: {b.site}",
            f"类型: {MASS_LABEL}{kind_label(b.kind)}（{b.kind} ×{b.count}，本轮复查 {b.rechecked} 条）",
        ]
        if fields:
            lines.append(f"变动字段: {fields}")
        lines.append(f"发现时间: {b.detected_at}")
        lines.append(f"说明: {KIND_HINTS.get(b.kind, TEMPLATE_HINT)}")
        if b.note:
            lines.append(f"({b.note})")
        lines.append(f"查看: portalwatch changes --batch {b.id} --expand")
        if self.urls:
            more = f" 等 {b.count} 条" if b.count > len(self.urls) else ""
            lines.append("网址: " + "；".join(self.urls) + more)
        return lines

    def message(self, limit: int = 1500) -> str:
        """Plain text of at most ``limit`` characters: the header, then as much of one sample
        change (its header, fields and diff) as fits."""
        head = "\n".join(self.header_lines())
        if self.sample is None:
            return _cut(head, limit)
        label = "\n\n—— 示例 ——\n"
        budget = limit - len(head) - len(label)
        if budget < 200:
            return _cut(head, limit)
        return head + label + self.sample.message(limit=budget)

    def html(self) -> str:
        """An HTML fragment (for a feed entry); captured text escaped."""
        out = ["<ul>"] + [f"<li>{html.escape(line)}</li>" for line in self.header_lines()] + ["</ul>"]
        if self.sample is not None:
            out.append("<h4>示例</h4>")
            out.append(self.sample.html())
        return "\n".join(out)


def describe_batch(archive: Archive, batch: StoredBatch) -> BatchText:
    """Load a batch's first member change as its sample, and a few member URLs."""
    members = [archive.change(change_id) for change_id in batch.change_ids[:SAMPLE_URLS]]
    sample = describe_change(archive, members[0]) if members else None
    return BatchText(batch, [change.url for change in members], sample)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
