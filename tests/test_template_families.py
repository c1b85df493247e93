"""A notice is the same notice in every template family, variant and script.

The sample portal can print each notice in six layouts (``sampleportal.families``), each
with widget, info-bar, whitespace variants (``sampleportal.variants``) and in Traditional
characters. Extraction plus ``version_content`` must give the fingerprint the site's own
template gives, the metadata the portal published, and recognise a withdrawn notice shown
inside the full site template. Cases that extraction does not handle yet are marked
``xfail(strict=True)`` with the cause, so that fixing one turns its mark into a failure to
remove.
"""
from __future__ import annotations

import re
import urllib.request
from datetime import date

import pytest

from monitor.article import Article
from monitor.extraction import extract_article
from monitor.not_found import fingerprint, is_not_found_page
from monitor.recorder import version_content
from monitor.removal import soft_404_marker
from sampleportal import SamplePortal
from sampleportal.families import FAMILIES, GONE_MESSAGES, NOT_FOUND_PAGES
from sampleportal.variants import NAMED, to_traditional
from storage.archive import Archive
from tests.conftest import make_setup

ANCHOR = date(2024, 6, 30)
# (site, index): notices and news items, with and without 文号/索引号/attachments.
NOTICES = (("hunan", 0), ("hunan", 1), ("zhejiang", 0), ("zhejiang", 1), ("govcn", 1), ("govcn", 2))
SITES = ("hunan", "zhejiang", "govcn")
PINYIN_RE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")

def fetch(url: str) -> tuple[int, Article]:
    with urllib.request.urlopen(url, timeout=30) as response:
        body, ctype, status = response.read(), response.headers.get("Content-Type"), response.status
    return status, extract_article(body, url, content_type=ctype)


def fetch_raw(url: str) -> tuple[bytes, str | None]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), response.headers.get("Content-Type")


def wear(portal: SamplePortal, family: str | None, variant: str = "plain", script: str = "simplified") -> None:
    for site in SITES:
        portal.set_template(site, family, variant=variant, script=script)


@pytest.fixture(scope="module")
def portal():
    with SamplePortal(articles_per_site=12, seed=0, anchor=ANCHOR) as p:
        yield p


@pytest.fixture(scope="module")
def baseline(portal) -> dict[tuple[str, int], Article]:
    """Each notice as the site's own template prints it."""
    wear(portal, None)
    return {(site, index): fetch(portal.article_url(site, index))[1] for site, index in NOTICES}


def fingerprint_mismatches(portal, baseline) -> list:
    out = []
    for site, index in NOTICES:
        _, article = fetch(portal.article_url(site, index))
        want = baseline[(site, index)]
        if version_content(article).fingerprint != version_content(want).fingerprint:
            fields = {k: (getattr(want, k), getattr(article, k)) for k in
                      ("title", "published", "source", "doc_number", "index_number", "issuer")
                      if getattr(want, k) != getattr(article, k)}
            out.append((site, index, fields, article.text[:60]))
    return out


def marked(params, failing: dict[tuple, str]):
    """pytest params with an xfail(strict) mark where ``failing`` names a cause."""
    out = []
    for p in params:
        cause = next((reason for key, reason in failing.items() if all(k is None or k == v for k, v in zip(key, p))),
                     None)
        marks = [pytest.mark.xfail(strict=True, reason=cause)] if cause else []
        out.append(pytest.param(*p, marks=marks, id="-".join(str(x) for x in p)))
    return out


# --- fingerprints -----------------------------------------------------------------------------

SIMPLIFIED = marked([(f, v) for f in FAMILIES for v in NAMED], {})


@pytest.mark.parametrize(("family", "variant"), SIMPLIFIED)
def test_every_family_and_variant_gives_the_default_fingerprint(portal, baseline, family, variant):
    wear(portal, family, variant)
    assert fingerprint_mismatches(portal, baseline) == []


SCRIPT_VARIANTS = ("plain", "spans", "square-widgets-inside", "table-cells", "fullwidth-digits")
SCRIPTED = marked([(f, s, v) for s in ("traditional", "pinyin") for f in FAMILIES for v in SCRIPT_VARIANTS],
                  {})


@pytest.mark.parametrize(("family", "script", "variant"), SCRIPTED)
def test_traditional_page_gives_the_simplified_fingerprint(portal, baseline, family, script, variant):
    wear(portal, family, variant, script)
    assert fingerprint_mismatches(portal, baseline) == []


# Every named variant.
ROTATION = "rotate"


def test_rotating_variants_across_churn_give_the_default_fingerprint(portal, baseline):
    for family in ("hanweb2", "sidebar"):
        wear(portal, family, ROTATION)
        for _ in range(3):
            portal.churn_boilerplate()
            assert fingerprint_mismatches(portal, baseline) == [], family


# --- metadata ---------------------------------------------------------------------------------

def expected_fields(portal, site: str, index: int, script: str) -> dict[str, str | None]:
    view = portal.notice(site, index)
    convert = to_traditional if script != "simplified" else (lambda s: s)
    out = {}
    for name in ("title", "source", "doc_number", "index_number", "issuer"):
        value = getattr(view, name)
        out[name] = convert(value) if value else value
    out["day"] = view.published[:10]
    return out


def got_fields(article: Article) -> dict[str, str | None]:
    def fold(value):
        return PINYIN_RE.sub("", value) if value else value

    out = {name: fold(getattr(article, name)) for name in ("title", "source", "doc_number", "index_number", "issuer")}
    out["day"] = (article.published or "")[:10]
    return out


METADATA = marked([(f, v, s) for f in FAMILIES for v in ("plain", "spans", "table-cells", "fullwidth-spaces", "br")
                   for s in ("simplified", "traditional", "pinyin")],
                  {})


@pytest.mark.parametrize(("family", "variant", "script"), METADATA)
def test_metadata_matches_what_the_portal_published(portal, baseline, family, variant, script):
    wear(portal, family, variant, script)
    wrong = []
    for site, index in NOTICES:
        _, article = fetch(portal.article_url(site, index))
        want, got = expected_fields(portal, site, index, script), got_fields(article)
        if want != got:
            wrong.append((site, index, {k: (want[k], got[k]) for k in want if want[k] != got[k]}))
        # where the template prints the time, it is stored in one canonical form
        if family != "xxgk" and article.published != baseline[(site, index)].published:
            wrong.append((site, index, {"published": (baseline[(site, index)].published, article.published)}))
    assert wrong == []


def test_hanweb2_info_bar_of_separate_spans_reads_each_field(portal):
    """The issue-8 shape: <span>信息来源：…</span><span>发布日期：…</span>, no separator."""
    wear(portal, "hanweb2", "spans")
    for site, index in NOTICES:
        _, article = fetch(portal.article_url(site, index))
        view = portal.notice(site, index)
        assert article.source == view.source, (site, index)


# --- withdrawn notices and not-found pages ----------------------------------------------------

GONE = marked([(f, s) for f in (None, *FAMILIES) for s in ("simplified", "traditional")], {})


@pytest.mark.parametrize(("family", "script"), GONE)
def test_soft_404_inside_the_full_template_is_recognised(portal, family, script):
    missed = []
    wear(portal, family, "plain", script)
    try:
        for site in SITES:
            for index in range(len(GONE_MESSAGES[site])):  # one notice per wording
                portal.remove_notice(site, 6 + index, how="soft404_full")
                status, article = fetch(portal.article_url(site, 6 + index))
                assert status == 200
                if not (article.gone_message or soft_404_marker(article.title, article.text)):
                    missed.append((site, index, article.title, article.text[:60]))
    finally:
        for site in SITES:
            for index in range(len(GONE_MESSAGES[site])):
                portal.restore_notice(site, 6 + index)
    assert missed == []


@pytest.mark.parametrize("family", [None, *FAMILIES])
def test_notice_answering_with_the_sites_not_found_page_matches_the_random_url_fingerprint(portal, family):
    """``monitor.not_found``: the page a random URL under a column returns is the fingerprint."""
    wear(portal, family)
    try:
        for site in SITES:
            portal.set_not_found_page(site)
            portal.remove_notice(site, 9, how="notfound_page")
            portal.churn_boilerplate()  # the probe and the notice are fetched at different times
            probe = fingerprint(*fetch_raw(portal.not_found_url(site, family or "own")))
            assert probe is not None, site
            assert is_not_found_page(*fetch_raw(portal.article_url(site, 9)), probe), site
            assert not is_not_found_page(*fetch_raw(portal.article_url(site, 8)), probe), site
    finally:
        for site in SITES:
            portal.set_not_found_page(site, False)
            portal.restore_notice(site, 9)


def test_random_url_under_a_column_answers_the_sites_own_not_found_page(portal):
    """What a crawler can learn the site's not-found fingerprint from: 200, stable, site-specific."""
    wear(portal, None)
    texts = {}
    try:
        for site in SITES:
            portal.set_not_found_page(site)
            portal.remove_notice(site, 9, how="notfound_page")
            first = fetch(portal.not_found_url(site, "a"))
            second = fetch(portal.not_found_url(site, "b"))
            _, gone = fetch(portal.article_url(site, 9))
            assert first[0] == second[0] == 200
            assert NOT_FOUND_PAGES[site][0] in first[1].title
            assert first[1].text == second[1].text == gone.text
            texts[site] = first[1].text
    finally:
        for site in SITES:
            portal.set_not_found_page(site, False)
            portal.restore_notice(site, 9)
    assert len(set(texts.values())) == len(SITES)


# --- through the real crawl -------------------------------------------------------------------

def check(setup) -> dict:
    import json

    return json.loads(setup.invoke("check", "--recheck", "all", "--workers", "0", "--json").output)


@pytest.fixture
def watched(tmp_path):
    with SamplePortal(articles_per_site=12, seed=0) as p:
        setup = make_setup(p, tmp_path, retries=0, timeout=2)
        check(setup)
        yield setup


def test_whole_site_switching_family_between_rounds_raises_no_edit(watched):
    portal = watched.portal
    for round_families in (("sidebar", "hanweb2", "xxgk"), ("xxgk", "govcn", "trs"), ("hanweb", "sidebar", "hanweb2")):
        for site, family in zip(SITES, round_families):
            portal.set_template(site, family, variant=ROTATION)
        portal.churn_boilerplate()
        report = check(watched)
        assert report["changes"] == {}, (round_families, report)


def test_switch_to_traditional_with_one_edit_raises_exactly_that_edit(watched):
    portal = watched.portal
    for site in SITES:
        portal.set_template(site, "hanweb2", variant=ROTATION, script="traditional")
    url = portal.article_url("zhejiang", 2)
    portal.edit_notice("zhejiang", 2)
    report = check(watched)
    assert report["changes"] == {"edited": 1}, report
    with Archive(watched.archive_path, readonly=True) as archive:
        assert [c.url for c in archive.changes(kinds=["edited"])] == [url]


@pytest.mark.parametrize("family", [None, *FAMILIES])
def test_soft_404_in_full_template_during_a_redesign_is_removed_not_edited(watched, family):
    portal = watched.portal
    for site in SITES:
        portal.set_template(site, family)
        for index in range(len(GONE_MESSAGES[site])):
            portal.remove_notice(site, 4 + index, how="soft404_full")
    report = check(watched)
    with Archive(watched.archive_path, readonly=True) as archive:
        notes = [(c.kind, c.url.rsplit("/", 1)[1], c.note) for c in archive.changes(kinds=["removed", "edited"])]
    assert report["changes"] == {"removed": 9}, (report, notes)
