"""Link rules: CMS article shapes, listing pagination, site boundaries, links hidden in scripts."""
from __future__ import annotations

import pytest

from spiders.links import LinkRules, embedded_links, scripted_pager_urls

RULES = LinkRules(["www.hunan.gov.cn", "www.zj.gov.cn", "www.gov.cn", "www.gd.gov.cn", "127.0.0.1:8080"])


@pytest.mark.parametrize("url", [
    "https://www.hunan.gov.cn/hnyw/zwdt/202403/t20240305_33012345.html",
    "https://www.hunan.gov.cn/hnyw/zwdt/202403/t20240305_33012345.shtml",
    "https://www.zj.gov.cn/art/2024/3/5/art_1229001_5901234.html",
    "https://www.gd.gov.cn/gdywdt/gdyw/content/post_4356789.html",
    "https://www.gov.cn/zhengce/content/202403/content_6938012.htm",
    "http://127.0.0.1:8080/zwdt/202403/t20240305_1.html",
])
def test_common_cms_article_urls_are_notices(url):
    assert RULES.is_article(url)


@pytest.mark.parametrize("url", [
    "https://www.hunan.gov.cn/hnyw/zwdt/index.html",
    "https://www.hunan.gov.cn/hnyw/zwdt/202403/P020240305123.pdf",
    "https://www.example.com/202403/t20240305_1.html",  # off the site
    "http://127.0.0.1:9090/zwdt/202403/t20240305_1.html",  # same host, other port
])
def test_listings_attachments_and_other_sites_are_not_notices(url):
    assert not RULES.is_article(url)


def test_subdomains_of_an_allowed_domain_are_on_the_site():
    assert LinkRules(["hunan.gov.cn"]).allows("https://yjt.hunan.gov.cn/x.html")
    assert not LinkRules(["hunan.gov.cn"]).allows("https://hunan.gov.cn.example.com/x.html")


@pytest.mark.parametrize("url, text", [
    ("https://www.hunan.gov.cn/hnyw/zwdt/index_2.html", ""),
    ("https://www.gov.cn/zhengce/zuixin/home_1.htm", ""),
    ("https://www.zj.gov.cn/col/col1229001/index.html?uid=4892867&pageNum=2", ""),
    ("https://www.zj.gov.cn/col/col1229001/more.html", "下一页"),
])
def test_pagination_links_are_listings(url, text):
    assert RULES.is_listing(url, text)


def test_trs_script_pager_names_every_page():
    html = '<script>createPageHTML(4, 0, "index", "html");</script>'
    assert scripted_pager_urls("https://www.hunan.gov.cn/zwdt/index.html", html) == [
        f"https://www.hunan.gov.cn/zwdt/{name}" for name in ("index.html", "index_1.html", "index_2.html", "index_3.html")
    ]


def test_hanweb_datastore_records_yield_their_links():
    html = ('<div id="4892867"><script type="text/xml"><datastore><recordset>'
            '<record><![CDATA[<li><a href="/art/2024/3/5/art_1229001_5901234.html">通知</a></li>]]></record>'
            '<record><![CDATA[<li><a href=\'/art/2024/3/4/art_1229001_5901233.html\'>公告</a></li>]]></record>'
            '</recordset></datastore></script></div>'
            '<script>var x = 1;</script><a href="/col/col1/index.html">栏目</a>')
    assert embedded_links("https://www.zj.gov.cn/col/col1229001/index.html", html) == [
        "https://www.zj.gov.cn/art/2024/3/5/art_1229001_5901234.html",
        "https://www.zj.gov.cn/art/2024/3/4/art_1229001_5901233.html",
    ]
