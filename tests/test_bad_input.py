"""Bad pages never stop a crawl or corrupt the archive: malformed HTML, wrong charset, huge
pages, timeouts and 5xx are recorded with a clear error and everything else is stored."""
from __future__ import annotations

import json

from storage.archive import Archive
from tests.conftest import make_setup
from tests.test_watch import archive_is_consistent

AT = "2026-01-01T00:00:00+00:00"


def test_misbehaving_pages_are_recorded_and_the_crawl_goes_on(portal, tmp_path):
    setup = make_setup(portal, tmp_path, timeout=1.5, retries=0)
    base = portal.base_url("hunan")
    bad = {
        "malformed": f"{base}/_test/malformed",
        "gbk": f"{base}/_test/gbk-wrong-header",
        "huge": f"{base}/_test/huge?mb=30",
        "slow": f"{base}/_test/slow?seconds=4",
        "error": f"{base}/_test/status/500",
    }
    # Known (pending) notices are re-fetched whatever their URL shape.
    with Archive(setup.archive_path) as archive, archive.transaction():
        for url in bad.values():
            archive.ensure_page("hunan", url, AT)
    report = json.loads(setup.invoke("crawl", "--workers", "0", "--json").output)
    assert report["failed"] == 3  # huge, slow, 500
    with Archive(setup.archive_path, readonly=True) as archive:
        for site in portal.sites:
            stored = {p.url for p in archive.pages(site) if p.versions}
            assert set(portal.article_urls(site, listed_only=True)) <= stored
        errors = {name: archive.captures(url)[-1] for name, url in bad.items()}
        assert errors["huge"].status == 0 and "size" in (errors["huge"].error or "").lower()
        assert errors["slow"].status == 0 and "timeout" in (errors["slow"].error or "").lower()
        assert errors["error"].status == 500 and errors["error"].outcome == "error"
        # Malformed HTML still yields what text it has; raw bytes are kept as received.
        malformed = archive.version(bad["malformed"])
        assert "正文第二段" in malformed.text  # damaged UTF-8 is read as UTF-8, not as GB mojibake
        assert archive.raw_body(errors["malformed"].body_sha256).startswith(b"<html>")
        gbk = archive.version(bad["gbk"])
        assert "森林防火" in gbk.text and "\ufffd" not in gbk.text
    archive_is_consistent(setup.archive_path)


def test_broken_config_is_a_usage_error_naming_the_key(tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    path = tmp_path / "sites.toml"
    path.write_text('[[site]]\nname = "hunan"\nstart_urls = ["https://www.hunan.gov.cn/"]\nmax_list_pages = 0\n',
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["crawl", "--config", str(path)])
    assert result.exit_code == 2
    assert "max_list_pages" in result.output and "hunan" in result.output


def test_cli_reports_a_missing_archive_and_exits_1(tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    result = CliRunner().invoke(cli, ["pages", "--archive", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "portalwatch crawl" in result.output
