"""Alerts and the feed show a change in the notice's own characters, not the comparison form."""
from __future__ import annotations

from monitor.change_text import describe_change
from storage.archive import Archive
from storage.records import VersionContent

BEFORE = "各區（市、縣）要落實措施，確保安全。會議定於3月5日召開。"
AFTER = "各區（市、縣）要落實措施，確保穩定。會議定於3月5日召開。"


def test_diff_keeps_full_width_punctuation_and_traditional_characters(tmp_path):
    with Archive(tmp_path / "a.db") as archive, archive.transaction():
        page = archive.ensure_page("hk", "http://127.0.0.1/1.html", "2024-03-01T00:00:00+00:00")
        ids = []
        for n, text in enumerate((BEFORE, AFTER)):
            capture = archive.add_capture(page.id, fetched_at=f"2024-03-0{n + 1}T00:00:00+00:00", status=200,
                                          outcome="new", body=text.encode())
            ids.append(archive.add_version(page.id, VersionContent(fingerprint=str(n), text=text, title="通知"),
                                           created_at=f"2024-03-0{n + 1}T00:00:00+00:00", capture_id=capture).id)
        change_id = archive.add_change(page.id, "edited", detected_at="2024-03-02T00:00:00+00:00",
                                       from_version_id=ids[0], to_version_id=ids[1], fields=["text"])
        change = next(c for c in archive.changes() if c.id == change_id)
        text = describe_change(archive, change)
    shown = text.message()
    assert "（市、縣）要落實措施，確保" in shown  # not (市、县)要落实措施,确保
    assert "穩定" in shown
