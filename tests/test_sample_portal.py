"""The sample portal serves what its docs promise: CMS-shaped pages, GBK quirks, conditional GET,
mutations a monitor must notice, furniture churn it must ignore, and named misbehaviours."""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urljoin

import pytest

from sampleportal import SamplePortal
from sampleportal.govcn import STRAY_HTML_CLOSE
from sampleportal.server import REMOVED_MESSAGE

ANCHOR = date(2024, 6, 30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects; (status, lower-cased headers, body)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def text(url: str, encoding: str = "utf-8") -> str:
    status, _, body = fetch(url)
    assert status == 200, url
    return body.decode(encoding)


@pytest.fixture
def portal():
    with SamplePortal(articles_per_site=100, seed=3, anchor=ANCHOR) as p:
        yield p


# --- listings ------------------------------------------------------------------------------


def test_trs_list_pages_paginate_with_links_and_create_page_script(portal):
    first = text(portal.list_url("hunan", "zwdt"))
    assert 'href="index_1.html">下一页</a>' in first
    assert re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', first)
    pages = int(re.search(r'createPageHTML\((\d+), 0', first).group(1))
    assert pages >= 2
    assert fetch(portal.list_url("hunan", "zwdt", pages - 1))[0] == 200
    assert fetch(portal.list_url("hunan", "zwdt", pages))[0] == 404


def test_trs_list_links_resolve_to_article_urls(portal):
    url = portal.list_url("hunan", "tzgg")
    hrefs = re.findall(r'<li><a href="(\./\d{6}/t\d{8}_\d+\.s?html)"', text(url))
    resolved = {urljoin(url, h) for h in hrefs}
    assert len(resolved) == 20
    assert resolved <= set(portal.article_urls("hunan"))


def test_hanweb_lists_page_by_pagenum_query_and_by_index_n(portal):
    policy = text(portal.list_url("zhejiang", "col1229001"), "gbk")
    assert re.search(r'href="/col/col1229001/index\.html\?uid=\d+&pageNum=2">下一页</a>', policy)
    page2 = text(portal.base_url("zhejiang") + "/col/col1229001/index.html?uid=4892867&pageNum=2", "gbk")
    alias = text(portal.base_url("zhejiang") + "/col/col1229001/index_2.html", "gbk")
    articles = re.compile(r'<li><a href="(/art/[^"]+)"')
    first_links, page2_links = set(articles.findall(policy)), set(articles.findall(page2))
    assert page2_links and not (first_links & page2_links)
    assert page2_links == set(articles.findall(alias))
    news = text(portal.list_url("zhejiang", "col1229019"), "gbk")
    assert 'href="/col/col1229019/index_2.html">下一页</a>' in news


def test_govcn_list_pages_are_home_n_htm(portal):
    first = text(portal.list_url("govcn"))
    assert 'href="/zhengce/zuixin/home_1.htm">下一页</a>' in first
    assert "/zhengce/content/" in text(portal.base_url("govcn") + "/zhengce/zuixin/home_1.htm")


def test_home_links_every_column_and_off_site_and_other_port(portal):
    home = text(portal.base_url("hunan") + "/")
    assert 'href="/zwdt/index.html"' in home and 'href="/tzgg/index.html"' in home
    assert "http://example.invalid/" in home
    assert portal.base_url("govcn") + "/" in home


# --- article pages ----------------------------------------------------------------------------


def test_trs_article_has_cms_metadata_body_and_attachments(portal):
    notice = portal.notice("hunan", 0)
    page = text(notice.url)
    assert f'<meta name="ArticleTitle" content="{notice.title}">' in page
    assert f'<meta name="PubDate" content="{notice.published}">' in page
    assert f'<meta name="ContentSource" content="{notice.source}">' in page
    assert f"<title>{notice.title}_湖南省人民政府门户网站</title>" in page
    assert "当前位置：" in page and f"<h1 class=\"article-title\">{notice.title}</h1>" in page
    assert f"发布时间：{notice.published} 来源：{notice.source}" in page
    assert re.search(r"浏览次数：<span id=\"visits\">\d+</span>", page)
    assert '<div class="TRS_Editor">' in page and f"责任编辑：{notice.editor}" in page
    assert "分享到" in page and "相关链接" in page
    for paragraph in notice.paragraphs:
        assert paragraph in page
    extensions = [u.rsplit(".", 1)[1] for u, _ in notice.attachments]
    assert extensions == ["pdf", "docx", "xlsx"]
    status, headers, body = fetch(notice.attachments[0][0])
    assert status == 200 and headers["content-type"] == "application/pdf" and body.startswith(b"%PDF")


def test_some_trs_articles_are_shtml(portal):
    urls = portal.article_urls("hunan")
    shtml = [u for u in urls if u.endswith(".shtml")]
    assert shtml and len(shtml) < len(urls)
    assert fetch(shtml[0])[0] == 200


def test_hanweb_pages_are_gbk_with_wrong_or_missing_http_charset(portal):
    even, odd = portal.notice("zhejiang", 0), portal.notice("zhejiang", 1)
    status, headers, body = fetch(even.url)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("gbk")
    assert '<meta charset="gb2312">' in page and even.title in page
    assert fetch(odd.url)[1]["content-type"] == "text/html"
    assert fetch(portal.list_url("zhejiang"))[1]["content-type"] == "text/html"


def test_hanweb_policy_page_has_metadata_table(portal):
    notice = portal.notice("zhejiang", 0)
    assert notice.doc_number and re.fullmatch(r"浙政办发〔\d{4}〕\d+号", notice.doc_number)
    page = text(notice.url, "gbk")
    for label, value in [("索引号", notice.index_number), ("发布机关", notice.issuer),
                         ("发文字号", notice.doc_number), ("成文日期", notice.written)]:
        assert f'<td class="t1">{label}</td><td>{value}</td>' in page
    assert '<div id="zoom">' in page and "【字体：" in page and "扫一扫在手机打开当前页" in page
    assert "今天是" in page and re.search(r"访问量：<span id=\"hits\">\d+</span>", page)


def test_govcn_article_layout_and_one_stray_html_close(portal):
    notice = portal.notice("govcn", 2)
    page = text(notice.url)
    assert f"{notice.published} <span class=\"font\">来源： {notice.source}</span>" in page
    assert '<div class="pages_content" id="UCAP-CONTENT">' in page and "我要纠错" in page
    assert STRAY_HTML_CLOSE not in page
    quirky = text(portal.stray_html_close_url())
    head, _, rest = quirky.partition(STRAY_HTML_CLOSE)
    assert "<div class=\"nav\">" in head and "UCAP-CONTENT" in rest


# --- conditional GET and furniture --------------------------------------------------------


def test_unchanged_article_answers_304_to_if_none_match_and_if_modified_since(portal):
    url = portal.article_urls("hunan")[5]
    status, headers, _ = fetch(url)
    assert status == 200 and headers["etag"] and headers["last-modified"]
    assert fetch(url, {"If-None-Match": headers["etag"]})[0] == 304
    assert fetch(url, {"If-Modified-Since": headers["last-modified"]})[0] == 304
    assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200


def test_edit_changes_etag_last_modified_and_body(portal):
    url = portal.article_urls("hunan")[4]
    _, before, old_body = fetch(url)
    edit = portal.edit_notice("hunan", url)
    assert edit.what == "body" and len(edit.changes) == 2
    status, after, new_body = fetch(url, {"If-None-Match": before["etag"]})
    assert status == 200 and after["etag"] != before["etag"]
    assert fetch(url, {"If-Modified-Since": before["last-modified"]})[0] == 200
    page = new_body.decode()
    for old, new in edit.changes:
        assert new in page and old not in page
        assert old in old_body.decode()
    assert portal.notice("hunan", 4).etag == after["etag"]


def test_edit_title_changes_meta_and_headline(portal):
    edit = portal.edit_title("govcn", 3, "国务院办公厅关于调整示例事项的通知")
    assert edit.changes[0][1] == "国务院办公厅关于调整示例事项的通知"
    assert '<h1>国务院办公厅关于调整示例事项的通知</h1>' in text(portal.article_url("govcn", 3))


def test_churn_and_visit_counter_change_the_page_but_not_the_etag(portal):
    url = portal.article_urls("zhejiang")[3]
    _, h1, b1 = fetch(url)
    _, h2, b2 = fetch(url)
    assert b1 != b2 and h1["etag"] == h2["etag"]  # visit counter moved
    portal.churn_boilerplate()
    _, h3, b3 = fetch(url)
    assert h3["etag"] == h1["etag"]
    widget = re.compile(rb"\xbd\xf1\xcc\xec\xca\xc7[^<]+")  # 今天是... in GBK
    assert widget.search(b1).group(0) != widget.search(b3).group(0)
    assert fetch(url, {"If-None-Match": h1["etag"]})[0] == 304


def test_redesign_wraps_the_same_notice_in_a_new_template(portal):
    notice = portal.notice("hunan", 7)
    _, before, old = fetch(notice.url)
    portal.redesign("hunan")
    _, after, new = fetch(notice.url)
    assert 'class="g-header"' in new.decode() and 'class="g-header"' not in old.decode()
    for paragraph in notice.paragraphs:
        assert paragraph in new.decode()
    assert before["etag"] == after["etag"]


def test_no_etag_portal_always_answers_200_with_full_body():
    with SamplePortal(articles_per_site=5, etag=False, anchor=ANCHOR) as portal:
        url = portal.article_urls("govcn")[2]
        status, headers, body = fetch(url, {"If-None-Match": portal.notice("govcn", 2).etag})
        assert status == 200 and "etag" not in headers and len(body) > 1000


# --- removal, listing, failures -----------------------------------------------------------


def listed(portal: SamplePortal, site: str, url: str) -> bool:
    path = url.split("/", 3)[3]
    tail = path.rsplit("/", 1)[1]
    return any(tail in text(portal.list_url(site, c)) for c in ("zwdt", "tzgg"))


@pytest.mark.parametrize(("how", "status"), [("404", 404), ("410", 410), ("redirect_home", 302), ("soft404", 200)])
def test_removal_modes_answer_as_documented(portal, how, status):
    url = portal.article_urls("hunan")[6]
    portal.remove_notice("hunan", url, how=how)
    got, headers, body = fetch(url)
    assert got == status
    if how == "redirect_home":
        assert headers["location"] == portal.base_url("hunan") + "/"
    else:
        assert REMOVED_MESSAGE in body.decode()
    assert "该信息已删除" in REMOVED_MESSAGE
    assert not listed(portal, "hunan", url) and portal.notice("hunan", 6).removed == how
    portal.restore_notice("hunan", url)
    assert fetch(url)[0] == 200 and listed(portal, "hunan", url)


def test_delisted_notice_leaves_listings_but_still_answers(portal):
    url = portal.article_urls("hunan")[0]
    assert listed(portal, "hunan", url)
    portal.delist_notice("hunan", 0)
    assert not listed(portal, "hunan", url) and fetch(url)[0] == 200
    assert url not in portal.article_urls("hunan", listed_only=True)


def test_added_notice_heads_the_first_list_page(portal):
    url = portal.add_notice("zhejiang", title="浙江省示例厅关于新增测试事项的通知")
    page = text(portal.list_url("zhejiang", "col1229001"), "gbk")
    first = re.search(r'<ul class="zjlist">\s*<li><a href="([^"]+)"', page).group(1)
    assert portal.base_url("zhejiang") + first == url
    assert "浙江省示例厅关于新增测试事项的通知" in text(url, "gbk")
    assert portal.article_urls("zhejiang")[-1] == url


def test_failure_modes_500_and_timeout_then_heal(portal):
    url = portal.article_urls("govcn")[4]
    portal.set_failure("govcn", url, "500")
    assert fetch(url)[0] == 500
    portal.set_failure("govcn", url, "timeout", seconds=2)
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        fetch(url, timeout=0.3)
    portal.set_failure("govcn", url, None)
    assert fetch(url)[0] == 200


# --- robots, behaviours, request log ------------------------------------------------------


def test_robots_disallows_private_page_that_a_list_links_to(portal):
    status, _, robots = fetch(portal.base_url("hunan") + "/robots.txt")
    assert status == 200 and "Disallow: /private/" in robots.decode()
    assert 'href="/private/secret.html"' in text(portal.list_url("hunan"))
    assert portal.request_count("hunan", "/private/secret.html") == 0
    assert fetch(portal.base_url("hunan") + "/private/secret.html")[0] == 200
    assert portal.request_count("hunan", "/private/secret.html") == 1


def test_request_log_counts_per_path_with_query(portal):
    url = portal.base_url("zhejiang") + "/col/col1229001/index.html?uid=4892867&pageNum=2"
    fetch(url)
    fetch(url)
    assert portal.request_count("zhejiang", url) == 2
    assert portal.requests("zhejiang")["/col/col1229001/index.html?uid=4892867&pageNum=2"] == 2
    portal.reset_requests()
    assert portal.request_count("zhejiang", url) == 0


def test_named_behaviours(portal):
    base = portal.base_url("govcn")
    started = time.monotonic()
    assert fetch(base + "/_test/slow?seconds=0.5")[0] == 200
    assert time.monotonic() - started >= 0.5
    assert fetch(base + "/_test/status/500")[0] == 500
    status, headers, body = fetch(base + "/_test/gbk-wrong-header")
    assert headers["content-type"] == "text/html; charset=utf-8" and "森林防火" in body.decode("gbk")
    status, headers, body = fetch(base + "/_test/huge?mb=1")
    assert status == 200 and len(body) == 1024 * 1024 == int(headers["content-length"])
    status, _, body = fetch(base + "/_test/malformed")
    assert status == 200 and b"\xff\xfe" in body and "</html>" not in body.decode("latin-1")
    status, headers, _ = fetch(base + "/_test/redirect-home")
    assert status == 302 and headers["location"] == base + "/"


# --- config, determinism, scale, CLI -----------------------------------------------------------


def test_sites_toml_is_valid_and_overridable(portal):
    config = tomllib.loads(portal.sites_toml())
    assert [s["name"] for s in config["site"]] == ["hunan", "zhejiang", "govcn"]
    hunan = config["site"][0]
    assert hunan["allowed_domains"] == [portal.netloc("hunan")] and hunan["download_delay"] == 0
    assert hunan["start_urls"][0] == portal.list_url("hunan", "zwdt")
    minimal = tomllib.loads(portal.sites_toml(sites=["govcn"], allowed_domains=None, download_delay=None, max_pages=3))
    assert minimal["site"] == [{"name": "govcn", "start_urls": portal.start_urls("govcn"), "max_pages": 3}]


def test_same_seed_gives_same_notices_and_another_seed_differs():
    a, b, c = (SamplePortal(30, seed, anchor=ANCHOR) for seed in (1, 1, 2))
    for p in (a, b, c):
        p.start()
    try:
        titles = [[p.notice("hunan", i).title for i in range(30)] for p in (a, b, c)]
        assert titles[0] == titles[1] and titles[0] != titles[2]
        assert a.notice("hunan", 20).text == b.notice("hunan", 20).text
    finally:
        for p in (a, b, c):
            p.stop()


def test_twenty_thousand_notices_render_listings_and_articles_quickly():
    started = time.monotonic()
    with SamplePortal(articles_per_site=20_000, anchor=ANCHOR) as portal:
        assert time.monotonic() - started < 2
        oldest = portal.notice("hunan", 19_999)
        assert datetime.fromisoformat(oldest.published).date() <= ANCHOR - timedelta(days=700)
        started = time.monotonic()
        first = text(portal.list_url("hunan", "zwdt"))
        pages = int(re.search(r'createPageHTML\((\d+), 0', first).group(1))
        assert pages > 600
        assert oldest.url.rsplit("/", 1)[1] in text(portal.list_url("hunan", "zwdt", pages - 1))
        assert oldest.title in text(oldest.url)
        assert text(portal.article_url("zhejiang", 12_345), "gbk")
        assert time.monotonic() - started < 2


def test_cli_serve_prints_base_urls_and_sites_toml():
    proc = subprocess.Popen(
        [sys.executable, "-m", "sampleportal", "serve", "--articles", "30", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info["base_urls"]) == {"hunan", "zhejiang", "govcn"}
        assert tomllib.loads(info["sites_toml"])["site"][0]["name"] == "hunan"
        assert fetch(info["base_urls"]["govcn"] + "/zhengce/zuixin/home.htm")[0] == 200
        added = json.loads(fetch(info["base_urls"]["govcn"] + "/_control/add")[2])
        assert added["index"] == 30
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_if_modified_since_before_an_edit_is_not_304(portal):
    notice = portal.notice("govcn", 5)
    earlier = format_datetime(notice.last_modified - timedelta(days=1), usegmt=True)
    assert fetch(notice.url, {"If-Modified-Since": earlier})[0] == 200


def test_control_endpoints_mutate_a_portal_in_another_process(portal):
    base = portal.base_url("hunan")
    etag = portal.notice("hunan", 9).etag
    status, headers, body = fetch(base + "/_control/edit?index=9")
    assert status == 200 and headers["content-type"].startswith("application/json")
    changes = json.loads(body)["changes"]
    assert len(changes) == 2 and portal.notice("hunan", 9).etag != etag
    assert fetch(base + "/_control/remove?index=9&how=410")[0] == 200
    assert fetch(portal.article_url("hunan", 9))[0] == 410
    assert fetch(base + "/_control/remove?index=9&how=bogus")[0] == 400
    assert fetch(base + "/_control/nothing")[0] == 404
    assert "Disallow: /_control/" in fetch(base + "/robots.txt")[2].decode()


# --- template families, variants, scripts, not-found pages ---------------------------------------


def test_template_family_switch_changes_layout_and_validators(portal):
    notice = portal.notice("zhejiang", 0)
    _, before, _ = fetch(notice.url)
    portal.set_template("zhejiang", "hanweb2", variant="spans")
    _, after, body = fetch(notice.url)
    page = body.decode("gbk")
    assert 'class="hw2-info"><span>信息来源：' in page and "</span><span>发布日期：" in page
    assert after["etag"] != before["etag"] and portal.notice("zhejiang", 0).etag == after["etag"]
    assert fetch(notice.url, {"If-None-Match": after["etag"]})[0] == 304
    portal.set_template("zhejiang", "xxgk")
    page = text(notice.url, "gbk")
    assert page.index('class="xxgk-meta"') < page.index('id="zoom"') and f"<td>{notice.index_number}</td>" in page
    portal.set_template("zhejiang", "sidebar")
    assert text(notice.url, "gbk").count("<li>") > 40
    portal.set_template("zhejiang", None, variant="plain")
    assert fetch(notice.url, {"If-None-Match": before["etag"]})[0] == 304


def test_traditional_variant_converts_labels_and_widgets(portal):
    notice = portal.notice("hunan", 0)
    portal.set_template("hunan", "trs", variant="short-widgets-inside", script="traditional")
    page = re.sub(r"<[^>]+>", "", text(notice.url))
    assert "【列印】【關閉】" in page and "來源：" in page and "責任編輯：" in page
    assert notice.title not in page
    portal.set_template("hunan", script="pinyin")
    assert re.search(r"[務會國發區點業實]\([a-zāáǎàēéěèīíǐìōóǒòūúǔù]+\)", text(notice.url))
    portal.set_template("hunan", None, variant="plain", script="simplified")
    assert notice.title in text(notice.url)


@pytest.mark.parametrize("how", ["soft404_full", "notfound_page"])
def test_full_template_removals_answer_200_with_nav_and_a_short_message(portal, how):
    url = portal.article_urls("govcn")[4]
    portal.remove_notice("govcn", url, how=how)
    status, _, body = fetch(url)
    page = body.decode()
    assert status == 200 and '<div class="nav">' in page and "最新政策" in page
    assert portal.notice("govcn", 4).title not in page


def test_unknown_url_under_a_column_is_404_until_the_not_found_page_is_switched_on(portal):
    url = portal.not_found_url("hunan", 1)
    assert fetch(url)[0] == 404
    portal.set_not_found_page("hunan")
    status, _, body = fetch(url)
    assert status == 200 and "您访问的页面不存在或已被删除" in body.decode()
    assert fetch(portal.base_url("hunan") + "/elsewhere/x.html")[0] == 404


def test_control_endpoint_switches_template(portal):
    base = portal.base_url("govcn")
    status, _, body = fetch(base + "/_control/template?family=xxgk&variant=spans&script=traditional")
    assert status == 200 and json.loads(body)["family"] == "xxgk"
    assert portal.template("govcn").script == "traditional"
    assert fetch(base + "/_control/template?family=nonesuch")[0] == 400
