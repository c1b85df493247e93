"""reextract: new versions only where extraction really differs, and never an alert."""
from __future__ import annotations

import json

from storage.archive import Archive
from tests.test_monitor import check


def test_reextract_of_an_unchanged_extractor_stores_nothing(setup):
    check(setup)
    out = json.loads(setup.invoke("reextract", "--json", "--workers", "0").output)
    assert out["checked"] > 0 and out["updated"] == 0


def test_reextracted_version_is_marked_and_raises_no_change(setup):
    check(setup)
    url = setup.portal.article_url("hunan", 1)
    with Archive(setup.archive_path) as archive:
        # Simulate an archive written by an older extractor that kept a stray line.
        archive.conn.execute("UPDATE versions SET text = text || '\n旧版提取器留下的多余行', fingerprint = 'old'"
                             " WHERE id = (SELECT current_version_id FROM pages WHERE url = ?)", (url,))
        changes_before = archive.counts()["changes"]
    out = json.loads(setup.invoke("reextract", "--json", "--workers", "0").output)
    assert out["updated"] == 1
    with Archive(setup.archive_path, readonly=True) as archive:
        latest = archive.version(url)
        assert latest.reextracted and latest.number == 2 and "多余行" not in latest.text
        assert archive.counts()["changes"] == changes_before
    # The next round compares with the re-extracted version: still no change.
    report = check(setup)
    assert report["changes"] == {}
    history = json.loads(setup.invoke("history", url, "--json").output)
    assert [v["reextracted"] for v in history["versions"]] == [False, True]


def test_version_fingerprinted_by_an_older_comparison_form_is_not_re_stored(setup):
    """An upgrade that changes how fingerprints are computed (not what the notice says)
    leaves every version as it is, and the next round raises nothing."""
    check(setup)
    with Archive(setup.archive_path) as archive:
        archive.conn.execute("UPDATE versions SET fingerprint = 'computed-by-an-older-portalwatch'")
    out = json.loads(setup.invoke("reextract", "--json", "--workers", "0").output)
    assert out["checked"] > 0 and out["updated"] == 0
    setup.portal.churn_boilerplate()
    assert check(setup)["changes"] == {}
