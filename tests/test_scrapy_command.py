"""Scrapy's own command line works in this project, storing what `portalwatch crawl` stores."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage.archive import Archive
from tests.conftest import make_setup

REPO = Path(__file__).resolve().parent.parent


def scrapy(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)


def notices(archive_path: Path) -> dict[str, tuple]:
    with Archive(archive_path, readonly=True) as archive:
        return {p.url: (p.status, archive.version(p.url).fingerprint) for p in archive.pages(site="hunan")
                if p.versions}


def test_scrapy_list_names_the_portal_spider():
    result = scrapy("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["portal"]


def test_scrapy_crawl_stores_what_portalwatch_crawl_stores(portal, tmp_path):
    for name in ("scrapy", "portalwatch"):
        (tmp_path / name).mkdir()
    by_scrapy = make_setup(portal, tmp_path / "scrapy", sites=["hunan", "zhejiang"])
    by_portalwatch = make_setup(portal, tmp_path / "portalwatch", sites=["hunan", "zhejiang"])
    result = scrapy("crawl", "portal", "-a", f"config={by_scrapy.config_path}", "-a", "site=hunan")
    assert result.returncode == 0, result.stderr[-3000:]
    by_portalwatch.invoke("crawl", "--site", "hunan", "--workers", "0")
    stored = notices(by_scrapy.archive_path)
    assert stored and stored == notices(by_portalwatch.archive_path)


def test_scrapy_crawl_without_a_site_names_the_sites(portal, tmp_path):
    setup = make_setup(portal, tmp_path, sites=["hunan", "zhejiang"])
    result = scrapy("crawl", "portal", "-a", f"config={setup.config_path}")
    assert "site=NAME" in result.stderr and "hunan, zhejiang" in result.stderr


def test_scrapy_shell_fetches_with_the_project_settings(portal):
    url = portal.start_urls("hunan")[0]
    result = scrapy("shell", url, "-c", "(response.status, settings['BOT_NAME'], settings['ROBOTSTXT_OBEY'])")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "(200, 'portalwatch', True)"
