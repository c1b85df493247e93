"""Real Scrapy crawls of the sample portal on 127.0.0.1 into a real SQLite archive."""
from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

from monitor.normalize import normalize_field, normalize_text
from sampleportal import SamplePortal
from storage.archive import Archive
from tests.conftest import make_setup


def test_crawl_stores_every_listed_notice_of_every_site(crawled):
    portal = crawled.portal
    with Archive(crawled.archive_path, readonly=True) as archive:
        for site in portal.sites:
            stored = {p.url for p in archive.pages(site)}
            assert stored == set(portal.article_urls(site, listed_only=True))
        assert archive.counts()["versions"] == archive.counts()["pages"]


def test_pagination_is_followed_up_to_max_list_pages(tmp_path):
    with SamplePortal(articles_per_site=120) as portal:
        setup = make_setup(portal, tmp_path, max_list_pages=3)
        setup.invoke("crawl")
        with Archive(setup.archive_path, readonly=True) as archive:
            for site in portal.sites:
                listings = portal.requests(site)
                pages_read = [p for p in listings if urlsplit(portal.list_url(site)).path.rsplit("/", 1)[0] in p
                              and "/t2" not in p]
                assert portal.request_count(site, _path(portal.list_url(site, page=1))) == 1, site
                assert portal.request_count(site, _path(portal.list_url(site, page=2))) <= 1, site
                # Notices first listed on the second list page were found and stored.
                second_page = set(_linked_articles(portal, portal.list_url(site, page=1)))
                assert second_page and second_page <= {p.url for p in archive.pages(site)}, (site, pages_read)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _linked_articles(portal, list_url: str) -> list[str]:
    import urllib.request

    from monitor.vocabulary import ATTACHMENT_EXTENSIONS
    from spiders.encoding import decode_html
    from spiders.links import LinkRules, absolute

    with urllib.request.urlopen(list_url) as response:
        html, _ = decode_html(response.read(), response.headers.get("Content-Type"))
    rules = LinkRules([urlsplit(list_url).netloc], attachment_extensions=ATTACHMENT_EXTENSIONS)
    import re

    urls = (absolute(list_url, href) for href in re.findall(r'href="([^"]+)"', html))
    return [u for u in urls if u and rules.is_article(u)]


def test_no_off_domain_links_are_followed(crawled):
    with Archive(crawled.archive_path, readonly=True) as archive:
        for page in archive.pages():
            assert urlsplit(page.url).netloc == crawled.portal.netloc(page.site)


def test_robots_txt_is_read_and_disallowed_pages_are_never_fetched(crawled):
    portal = crawled.portal
    for site in portal.sites:
        assert portal.request_count(site, "/robots.txt") >= 1
        assert not any(path.startswith("/private/") for path in portal.requests(site))


def test_each_template_extracts_body_and_every_metadata_field(crawled):
    portal = crawled.portal
    with Archive(crawled.archive_path, readonly=True) as archive:
        for site in portal.sites:
            for url in portal.article_urls(site, listed_only=True):
                expected = portal.notice(site, url)
                version = archive.version(url)
                assert version.title == expected.title, url
                assert version.published.replace("T", " ")[:16] == expected.published[:16], url
                assert normalize_field(version.source) == normalize_field(expected.source), url
                if expected.editor:
                    assert version.editor == expected.editor, url
                for field in ("doc_number", "index_number", "issuer"):
                    if getattr(expected, field):
                        assert getattr(version, field) == getattr(expected, field), (url, field)
                assert normalize_text(version.text) == normalize_text(expected.text), url
                assert {a["url"] for a in version.attachments} == {u for u, _ in expected.attachments}, url


def test_furniture_never_reaches_the_stored_text(crawled):
    furniture = ("字体", "打印本页", "关闭窗口", "分享到", "浏览次数", "访问量", "相关链接", "扫一扫", "当前位置")
    with Archive(crawled.archive_path, readonly=True) as archive:
        for page in archive.pages():
            text = archive.version(page.url).text
            assert not [word for word in furniture if word in text], page.url


def test_gbk_site_with_wrong_charset_header_decodes_without_mojibake(crawled):
    portal = crawled.portal
    url = portal.article_urls("zhejiang", listed_only=True)[0]
    with Archive(crawled.archive_path, readonly=True) as archive:
        version = archive.version(url)
        capture = archive.capture_of_version(version)
        raw = archive.raw_body(capture.body_sha256)
    assert "\ufffd" not in version.text
    assert version.title == portal.notice("zhejiang", url).title
    # Raw bytes are kept exactly as received: GBK, not re-encoded.
    assert portal.notice("zhejiang", url).title.encode("gbk") in raw
    assert capture.body_sha256 == hashlib.sha256(raw).hexdigest()


def test_stray_html_close_page_still_yields_the_article(crawled):
    url = crawled.portal.stray_html_close_url()
    with Archive(crawled.archive_path, readonly=True) as archive:
        version = archive.version(url)
    assert normalize_text(version.text) == normalize_text(crawled.portal.notice("govcn", url).text)


def test_recrawl_of_an_unchanged_portal_adds_only_small_capture_rows(setup):
    setup.invoke("crawl", "--workers", "0")
    with Archive(setup.archive_path, readonly=True) as archive:
        before = archive.counts()
    setup.invoke("crawl", "--workers", "0", "--recheck", "all")
    with Archive(setup.archive_path, readonly=True) as archive:
        after = archive.counts()
        rows = archive.conn.execute(
            "SELECT outcome, body_sha256 FROM captures WHERE id > ?", (before["captures"],)).fetchall()
    outcomes = [outcome for outcome, _ in rows]
    assert after["versions"] == before["versions"]
    assert after["captures"] == before["captures"] * 2
    # Pages with validators answer 304: logged without a body. Pages without validators answer
    # 200 with churned furniture: new raw bytes are kept, but the notice is the same version.
    assert "not_modified" in outcomes
    assert set(outcomes) <= {"not_modified", "unchanged", "same_content"}
    assert all(sha is None for outcome, sha in rows if outcome == "not_modified")
    assert after["blobs"] - before["blobs"] == outcomes.count("same_content")


def test_conditional_requests_carry_the_stored_validators(setup):
    setup.invoke("crawl", "--workers", "0")
    setup.portal.reset_requests()
    report = json.loads(setup.invoke("crawl", "--workers", "0", "--recheck", "all", "--json").output)
    with Archive(setup.archive_path, readonly=True) as archive:
        outcomes = dict(archive.conn.execute("SELECT outcome, COUNT(*) FROM captures GROUP BY outcome").fetchall())
    assert outcomes.get("not_modified", 0) > 0
    # Only new raw bytes are extracted: 304s and byte-identical bodies cost no extraction.
    assert report["extracted"] == outcomes.get("same_content", 0)
