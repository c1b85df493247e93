"""Extraction gives the same notice when only the page around it changes.

Change detection compares what extraction makes of two captures of one notice, so a
redesigned template, churned furniture (date widget, related links, sidebar) or an edited
headline must leave the body and every other field as they were. Each test fetches every
listed notice of every sample site over HTTP (urllib, as a user's crawler would), extracts
it, changes the portal, fetches and extracts again, and compares; every extraction is also
checked against what the portal says it published (``SamplePortal.notice``).
"""
from __future__ import annotations

import urllib.request

import pytest

from monitor.article import Article
from monitor.extraction import extract_article
from monitor.normalize import normalize_text
from sampleportal import SamplePortal

# Fields that must not change when only the page around the notice changes.
STABLE_FIELDS = ("title", "published", "source", "editor", "doc_number", "index_number", "issuer")
# Fields compared with the portal's own record of the notice.
PUBLISHED_FIELDS = ("title", "source", "editor", "doc_number", "index_number", "issuer")
# (site, field) pairs the site's article template does not print although the portal's
# record has a value: the TRS template shows no 发布机关, the Hanweb one no 责任编辑.
# Extraction cannot read them there and must not invent them.
NOT_PRINTED = {("hunan", "issuer"), ("zhejiang", "editor")}
EDITED_TITLE = "关于调整2026年度示范项目名单的通知（修订）"


def fetch_article(url: str) -> Article:
    with urllib.request.urlopen(url, timeout=30) as response:
        return extract_article(response.read(), url, content_type=response.headers.get("Content-Type"))


def snapshot(article: Article) -> dict:
    """What change detection compares: the normalised body, the fields, the attachments."""
    fields = {name: getattr(article, name) for name in STABLE_FIELDS}
    return {
        "text": normalize_text(article.text),
        **fields,
        "attachments": tuple(sorted((a.url, a.text) for a in article.attachments)),
    }


def extract_site(portal: SamplePortal, site: str) -> dict[str, dict]:
    """Every listed notice of ``site``: URL -> snapshot, each checked against the portal's record."""
    found = {}
    for url in portal.article_urls(site, listed_only=True):
        article = fetch_article(url)
        assert_matches_notice(portal, site, url, article)
        found[url] = snapshot(article)
    return found


def assert_matches_notice(portal: SamplePortal, site: str, url: str, article: Article) -> None:
    expected = portal.notice(site, url)
    for name in PUBLISHED_FIELDS:
        want = getattr(expected, name)
        if (site, name) in NOT_PRINTED:
            assert getattr(article, name) in (None, want), (url, name)
        else:
            assert getattr(article, name) == want, (url, name)
    assert normalize_text(article.text) == normalize_text("\n".join(expected.paragraphs)), url
    assert {a.url for a in article.attachments} == {u for u, _ in expected.attachments}, url


def assert_same(before: dict[str, dict], after: dict[str, dict], *, except_title_of: str | None = None) -> None:
    assert before.keys() == after.keys()
    for url, was in before.items():
        now = dict(after[url])
        if url == except_title_of:
            now["title"] = was["title"]
        differing = {k: (was[k], now[k]) for k in was if was[k] != now[k]}
        assert not differing, (url, differing)


def test_every_listed_notice_extracts_as_published(portal):
    for site in portal.sites:
        found = extract_site(portal, site)
        assert len(found) >= 12, site
        assert all(s["text"] for s in found.values()), site


@pytest.mark.parametrize("site", ["hunan", "zhejiang", "govcn"])
def test_redesign_leaves_body_and_metadata_unchanged(portal, site):
    before = extract_site(portal, site)
    portal.redesign(site)
    after = extract_site(portal, site)
    assert_same(before, after)


def test_boilerplate_churn_leaves_body_and_metadata_unchanged(portal):
    before = {site: extract_site(portal, site) for site in portal.sites}
    portal.churn_boilerplate()
    for site in portal.sites:
        assert_same(before[site], extract_site(portal, site))


def test_title_edit_changes_only_the_title(portal):
    for site in portal.sites:
        before = extract_site(portal, site)
        url = portal.article_urls(site, listed_only=True)[2]
        portal.edit_title(site, url, EDITED_TITLE)
        after = extract_site(portal, site)
        assert after[url]["title"] == EDITED_TITLE
        assert_same(before, after, except_title_of=url)


def test_attachment_list_is_metadata_whatever_the_headline(portal):
    """govcn prints the 附件 list inside the article container: the body must not gain it
    when a longer headline shifts which block looks most like the article."""
    url = portal.article_urls("govcn", listed_only=True)[2]
    names = [text for _, text in portal.notice("govcn", url).attachments]
    assert names
    for title in (None, EDITED_TITLE):
        if title:
            portal.edit_title("govcn", url, title)
        article = fetch_article(url)
        assert "附件" not in article.text.split("\n")[-1]
        assert not [n for n in names if n in article.text], title
        assert sorted(a.text for a in article.attachments) == sorted(names)


def test_unlabelled_doc_number_under_the_headline_is_read_on_both_templates(portal):
    urls = [u for u in portal.article_urls("hunan", listed_only=True) if portal.notice("hunan", u).doc_number]
    assert urls
    for redesigned in (False, True):
        portal.redesign("hunan", redesigned)
        for url in urls:
            article = fetch_article(url)
            number = portal.notice("hunan", url).doc_number
            assert article.doc_number == number, (redesigned, url)
            assert number not in article.text, (redesigned, url)
