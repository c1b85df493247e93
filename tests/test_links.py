"""Link rules: CMS article shapes, listing pagination, site boundaries, links hidden in scripts."""
from __future__ import annotations

import pytest

from monitor.vocabulary import ATTACHMENT_EXTENSIONS
from spiders.links import LinkRules, embedded_links, scripted_pager_urls

RULES = LinkRules(["www.hunan.gov.cn", "www.zj.gov.cn", "www.gov.cn", "www.gd.gov.cn", "127.0.0.1:8080"],
                  attachment_extensions=ATTACHMENT_EXTENSIONS)


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
    rules = LinkRules(["hunan.gov.cn"], attachment_extensions=ATTACHMENT_EXTENSIONS)
    assert rules.allows("https://yjt.hunan.gov.cn/x.html")
    assert not rules.allows("https://hunan.gov.cn.example.com/x.html")


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


def test_attachment_types_come_from_the_vocabulary_csv_included():
    rules = LinkRules(["www.hunan.gov.cn"], r"/t\d{8}_\d+\.\w+$", attachment_extensions=ATTACHMENT_EXTENSIONS)
    data = "https://www.hunan.gov.cn/zwdt/202403/t20240305_1.csv"  # article-shaped by the site's pattern
    assert rules.is_attachment(data) and not rules.is_article(data) and not rules.is_listing(data, "下一页")
    assert rules.is_article("https://www.hunan.gov.cn/zwdt/202403/t20240305_1.html")
    assert not LinkRules(["www.hunan.gov.cn"], r"/t\d{8}_\d+\.\w+$", attachment_extensions=()).is_attachment(data)


LISTING = """<html><body><ul>
<li><a href="/zwdt/202403/t20240305_1.html">关于做好春季森林防火工作的通知</a></li>
<li><a href="/zwdt/202403/t20240305_2.csv">2024年3月项目名单（数据）</a></li>
</ul><a href="/zwdt/202403/data.csv">下一页</a></body></html>"""
NOTICE = """<html><head><title>关于公布项目名单的通知</title></head><body><div class="TRS_Editor">
<p>根据工作安排，现将2024年度示范项目名单予以公布，请各地认真做好项目实施和资金管理等工作。</p>
<p>各有关单位要按照要求，加强组织领导，确保各项任务落到实处，按时报送项目进展情况。</p>
</div><p>附件：<a href="/zwdt/202403/P020240305_1.csv">项目名单.csv</a></p></body></html>"""


def test_a_csv_link_is_an_attachment_never_a_notice_to_crawl():
    """A listing's .csv link, even one shaped like a notice, is neither listed nor fetched; on the
    notice page the same kind of link is recorded as an attachment. One list of extensions
    (monitor.vocabulary) reaches the spider through the crawl plan."""
    from scrapy.http import HtmlResponse, Request

    from monitor.config import parse_config
    from monitor.crawl import plan_for
    from monitor.extraction import extract_article
    from spiders.capture import Capture
    from spiders.portal import PortalSpider
    from storage.archive import Archive

    base = "https://www.hunan.gov.cn"
    config = parse_config({"site": [{"name": "hunan", "start_urls": [f"{base}/zwdt/index.html"],
                                     "article_pattern": r"/t\d{8}_\d+\.\w+$", "not_found_probe": False}]})
    with Archive(":memory:") as archive:
        plan = plan_for(config.site("hunan"), archive)
    assert plan.attachment_extensions is ATTACHMENT_EXTENSIONS and "csv" in plan.attachment_extensions
    spider = PortalSpider(plan=plan)
    url = f"{base}/zwdt/index.html"
    response = HtmlResponse(url, body=LISTING.encode(), encoding="utf-8",
                            request=Request(url, meta={"kind": "listing", "column": url}))
    out = list(spider.parse_listing(response))
    (listing,) = [item for item in out if isinstance(item, Capture)]
    assert listing.listed_urls == (f"{base}/zwdt/202403/t20240305_1.html",)
    assert [r.url for r in out if not isinstance(r, Capture)] == [f"{base}/zwdt/202403/t20240305_1.html"]
    article = extract_article(NOTICE, f"{base}/zwdt/202403/t20240305_1.html")
    assert [a.url for a in article.attachments] == [f"{base}/zwdt/202403/P020240305_1.csv"]
