"""extract_article on small pages written like the three portal families we crawl:
TRS (meta tags, info line, .TRS_Editor body), Hanweb /art/ policy pages (metadata
table), and old table layouts. Metadata must be read and furniture must not reach the body."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from monitor.extraction import article_record, extract_article

PARAGRAPHS = [
    "为切实做好春节期间安全生产工作，有效防范和坚决遏制重特大事故发生，现将有关事项通知如下。",
    "一、各地各部门要高度重视，压紧压实安全生产责任，认真开展风险隐患排查整治，确保人民群众生命财产安全。",
    "二、要加强值班值守和应急准备，严格落实领导带班和关键岗位24小时值班制度，遇有突发情况及时报告。",
    "三、要广泛开展安全宣传教育，普及安全常识，提高群众自防自救能力，营造良好的安全生产氛围。",
]

NAV = "".join(f'<li><a href="/col{i}/">栏目{i}</a></li>' for i in range(12))

TRS_PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="关于做好春节期间安全生产工作的通知">
<meta name="PubDate" content="2024-03-05 10:30:00">
<meta name="ContentSource" content="省政府办公厅">
<title>关于做好春节期间安全生产工作的通知_通知公告_某省人民政府门户网站</title></head>
<body>
<div class="header"><ul class="nav">{NAV}</ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/tzgg/">通知公告</a></div>
<div class="article">
  <h1>关于做好春节期间安全生产工作的通知</h1>
  <div class="info">发布时间：2024-03-05 10:30 来源：省政府办公厅 【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】
    浏览次数：<span id="count">1024</span></div>
  <div class="TRS_Editor">{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
    <p>附件：<a href="/files/P020240305.pdf">春节安全检查表.pdf</a></p>
  </div>
  <div class="editor">责任编辑：王小明</div>
  <div class="tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】
    分享到：<a href="#">微信</a> <a href="#">微博</a></div>
  <div class="related"><h3>相关链接</h3><ul>
    <li><a href="/a1.html">关于做好元旦期间安全生产工作的通知</a></li>
    <li><a href="/a2.html">全省安全生产工作会议召开</a></li>
    <li><a href="/a3.html">应急管理厅部署节日值守工作</a></li></ul></div>
</div>
<div class="footer">主办单位：某省人民政府办公厅 网站标识码：1100000001 京ICP备05070218号</div>
</body></html>"""

HANWEB_PAGE = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某市人民政府关于印发某市数字政府建设实施方案的通知 - 某市人民政府</title></head>
<body><div id="nav"><ul>{NAV}</ul></div>
<table class="xxgk_table">
<tr><td>索引号：</td><td>001008003/2024-01234</td><td>发布机关：</td><td>某市人民政府</td></tr>
<tr><td>发文字号：</td><td>某政发〔2024〕5号</td><td>成文日期：</td><td>2024-01-10</td></tr>
<tr><td>发布日期：</td><td>2024-01-12</td><td>主题分类：</td><td>综合政务</td></tr>
</table>
<div class="title">某市人民政府关于印发某市数字政府建设实施方案的通知</div>
<div id="zoom">{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}</div>
<div class="print">【打印】【关闭】</div>
</body></html>""".encode("gb18030")

TABLE_PAGE = f"""<html><head><meta charset="gbk"><title>市政府召开常务会议——某市政府网</title></head>
<body><table width="760"><tr><td width="180">
<table>{"".join(f'<tr><td><a href="/l{i}.htm">导航链接{i}</a></td></tr>' for i in range(20))}</table>
</td><td width="580">
<table><tr><td><font size="4"><b>市政府召开常务会议</b></font></td></tr>
<tr><td>2003-05-29 09:07 来源：市政府办公室</td></tr></table>
<table><tr><td>{"<br>".join(PARAGRAPHS)}</td></tr></table>
<table><tr><td><a href="/x.htm">返回首页</a> | <a href="/y.htm">打印此页</a></td></tr></table>
</td></tr></table></body></html>""".encode("gbk")

FURNITURE = ["字体", "大 中 小", "打印", "关闭", "分享到", "相关链接", "当前位置", "浏览次数", "1024", "ICP备",
             "栏目", "导航链接", "元旦期间"]


def assert_no_furniture(text: str) -> None:
    for word in FURNITURE:
        assert word not in text, f"{word!r} leaked into the body:\n{text}"


def test_trs_page_metadata_from_meta_and_info_line():
    article = extract_article(TRS_PAGE.encode("utf-8"), "http://www.example.gov.cn/tzgg/202403/t20240305_1.html")
    assert article.title == "关于做好春节期间安全生产工作的通知"
    assert article.published == "2024-03-05T10:30:00+08:00"
    assert article.source == "省政府办公厅"
    assert article.editor == "王小明"
    assert article.encoding == "utf-8"


def test_trs_page_body_keeps_paragraphs_and_drops_furniture():
    article = extract_article(TRS_PAGE.encode("utf-8"), "http://www.example.gov.cn/tzgg/202403/t20240305_1.html")
    lines = article.text.split("\n")
    for paragraph in PARAGRAPHS:
        assert paragraph in lines
    assert_no_furniture(article.text)
    assert article.extractor
    assert "body from" in article.explanation


def test_attachments_are_absolute_with_link_text():
    article = extract_article(TRS_PAGE, "http://www.example.gov.cn/tzgg/202403/t20240305_1.html")
    assert [(a.url, a.text) for a in article.attachments] == [
        ("http://www.example.gov.cn/files/P020240305.pdf", "春节安全检查表.pdf")
    ]


def test_content_selector_picks_the_body():
    article = extract_article(TRS_PAGE, content_selector="div.TRS_Editor")
    assert article.extractor == "selector"
    assert article.text.split("\n")[:4] == PARAGRAPHS


def test_hanweb_policy_table_fields():
    article = extract_article(HANWEB_PAGE, "http://www.example.gov.cn/art/2024/1/12/art_1_2.html")
    assert article.index_number == "001008003/2024-01234"
    assert article.issuer == "某市人民政府"
    assert article.doc_number == "某政发〔2024〕5号"
    assert article.published == "2024-01-12"  # 发布日期, not 成文日期
    assert article.title == "某市人民政府关于印发某市数字政府建设实施方案的通知"
    assert article.encoding == "gb18030"
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text
    assert_no_furniture(article.text)
    assert "索引号" not in article.text


def test_table_layout_page_finds_the_story_not_the_navigation():
    article = extract_article(TABLE_PAGE)
    assert article.text.split("\n") == PARAGRAPHS
    assert article.title == "市政府召开常务会议"
    assert article.published == "2003-05-29T09:07:00+08:00"
    assert article.source == "市政府办公室"
    assert article.extractor == "density"


@pytest.mark.parametrize("html", [
    b"", "", b"\x00\x00", "<html", "</html></body>", b"\xff\xfe", "<html><body></body></html>",
    "<!-- 只有注释 -->", "<script>var notice = '通知';</script>", "<html><head><title></title></head></html>",
    b"<html><body>" + b"<div>" * 5000 + b"</body></html>", b"<table><tr><td><td><td></table></table></div>",
])
def test_malformed_or_empty_html_gives_empty_text_without_raising(html):
    article = extract_article(html)
    assert article.text == ""
    assert article.explanation


def test_huge_page_does_not_raise():
    html = "<html><body>" + "<p>" + "内容，" * 400_000 + "</p></body></html>"
    article = extract_article(html)
    assert isinstance(article.text, str)


def test_article_record_has_the_cli_keys():
    record = article_record(extract_article(TRS_PAGE), "page.html")
    assert set(record) == {"file", "url", "title", "published", "source", "editor", "author", "doc_number",
                           "index_number", "issuer", "attachments", "text", "extractor", "explanation"}
    assert record["attachments"] == [{"url": "/files/P020240305.pdf", "text": "春节安全检查表.pdf"}]
    json.dumps(record, ensure_ascii=False)


def test_extract_command_prints_json_lines_and_survives_missing_files(tmp_path):
    good = tmp_path / "notice.html"
    good.write_text(TRS_PAGE, encoding="utf-8")
    missing = tmp_path / "missing.html"
    out = subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()", "extract", str(good),
                          str(missing), "--explain"],
                         capture_output=True, text=True, check=False)
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(good), str(missing)]
    assert records[0]["title"] == "关于做好春节期间安全生产工作的通知"
    assert records[0]["explanation"]
    assert records[1]["error"] and records[1]["text"] == ""


def _notice_page(head: str, body: str) -> str:
    """A TRS-like article page: headline, what sits under it, then the article container."""
    return f"""<html><head><meta charset="utf-8"><title>关于做好春节期间安全生产工作的通知_某省政府</title></head>
<body><ul class="nav">{NAV}</ul>
<h1>关于做好春节期间安全生产工作的通知</h1>
{head}
<div class="info">发布时间：2024-03-05 10:30 来源：省政府办公厅</div>
<div id="zoom">{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}{body}</div>
<div class="footer">京ICP备05070218号</div></body></html>"""


@pytest.mark.parametrize("number", ["某政办发〔2024〕7号", "某政办发[2024]7号", "某政办发【2024】7号",
                                    "某政办发（2024）7号", "某政办发(2024)7号", "某政办发［2024］7号"])
def test_unlabelled_doc_number_under_the_headline_is_metadata_not_body(number):
    article = extract_article(_notice_page(f'<div class="wh">{number}</div>', ""))
    assert article.doc_number == number
    assert number not in article.text
    assert article.text.split("\n") == PARAGRAPHS


def test_doc_number_inside_a_sentence_is_not_read_as_the_notice_number():
    sentence = "根据《某省安全生产条例》（某政发〔2020〕3号）有关规定，现将有关事项通知如下。"
    article = extract_article(_notice_page("", f"<p>{sentence}</p>"))
    assert article.doc_number is None
    assert sentence in article.text


@pytest.mark.parametrize("attachment_list", [
    '<div class="fujian">附件：<ul><li><a href="/f/1.pdf">检查表.pdf</a></li><li><a href="/f/2.docx">回执.docx</a></li></ul></div>',
    '<p>附件：</p><p>1.<a href="/f/1.pdf">检查表.pdf</a></p><p>2.<a href="/f/2.docx">回执.docx</a></p>',
    '<p>附件：<a href="/f/1.pdf">检查表.pdf</a><br><a href="/f/2.docx">回执.docx</a></p>',
])
def test_attachment_link_list_is_metadata_never_body(attachment_list):
    article = extract_article(_notice_page("", attachment_list), "http://www.example.gov.cn/a/t1.html")
    assert article.text.split("\n") == PARAGRAPHS
    assert [a.text for a in article.attachments] == ["检查表.pdf", "回执.docx"]


def test_attachment_line_in_the_document_wording_stays_in_the_body():
    article = extract_article(_notice_page("", "<p>附件：1.春节安全检查表</p><p>2.工作情况报送回执</p>"))
    assert article.text.split("\n") == PARAGRAPHS + ["附件：1.春节安全检查表", "2.工作情况报送回执"]
    assert article.attachments == ()


def test_addressee_line_opens_the_body():
    article = extract_article(_notice_page("", "").replace('<div id="zoom">', '<div id="zoom"><p>各有关部门：</p>'))
    assert article.text.split("\n") == ["各有关部门："] + PARAGRAPHS


# A short line of prose next to the article container, inside the same wrapper: by prose
# alone the wrapper (article + this line) scores higher than the container.
PROMO = "欢迎提供新闻线索。"


def _wrapped_article(open_tag: str, close_tag: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><meta charset="utf-8"><title>关于做好春节期间安全生产工作的通知_某省政府</title></head>
<body><ul class="nav">{NAV}</ul><div class="wrap">
<h1>关于做好春节期间安全生产工作的通知</h1>
{open_tag}{paragraphs}{close_tag}
<div class="promo"><p>{PROMO}</p></div>
</div></body></html>"""


@pytest.mark.parametrize("open_tag,close_tag", [
    ('<div class="TRS_Editor">', "</div>"), ('<div class="TRS_UEDITOR trs_paper_default">', "</div>"),
    ('<div id="zoom">', "</div>"), ('<div id="Zoom">', "</div>"), ('<div id="UCAP-CONTENT">', "</div>"),
    ('<div class="pages_content">', "</div>"), ('<div class="article-content">', "</div>"),
    ('<div id="content">', "</div>"), ('<div class="content">', "</div>"), ('<div id="fontzoom">', "</div>"),
    ('<div class="view TRS_UEDITOR">', "</div>"), ("<ucapcontent>", "</ucapcontent>"),
    ('<div class="rich_media_content" id="js_content">', "</div>"), ('<article class="article">', "</article>"),
    ('<div id="artibody">', "</div>"), ('<div class="post_text" id="endText">', "</div>"),
    ('<div class="text">', "</div>"),
])
def test_known_article_container_wins_a_near_tie_with_its_wrapper(open_tag, close_tag):
    article = extract_article(_wrapped_article(open_tag, close_tag))
    assert article.text.split("\n") == PARAGRAPHS


def test_without_a_known_container_the_wrapper_with_more_prose_is_kept():
    article = extract_article(_wrapped_article('<div class="wz">', "</div>"))
    assert article.text.split("\n") == PARAGRAPHS + [PROMO]


def test_container_name_on_a_menu_does_not_beat_the_prose():
    page = _wrapped_article("<div>", "</div>").replace('<ul class="nav">', '<ul class="nav content">')
    article = extract_article(page)
    assert article.text.split("\n")[:4] == PARAGRAPHS
    assert "栏目1" not in article.text


def test_vertical_button_caption_is_dropped_but_vertical_table_text_stays():
    caption = "".join(f"<div>{ch}</div>" for ch in "返回下一版")
    cells = "<table><tr>" \
        "<td>基<br>础<br>指<br>标</td><td>按季度考核，每项达标得一分。</td></tr></table>"
    article = extract_article(_notice_page("", cells + caption))
    lines = article.text.split("\n")
    assert lines[:4] == PARAGRAPHS
    assert lines[4:8] == ["基", "础", "指", "标"]
    assert "返" not in lines and "版" not in lines


def _dated_page(head: str = "", info: str = "") -> str:
    """A news page whose <head> carries ``head`` and whose info line reads ``info``."""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><meta charset="utf-8">{head}<title>全省安全生产工作会议召开_要闻_某省政府</title></head>
<body><ul class="nav">{NAV}</ul><h1>全省安全生产工作会议召开</h1>
<div class="info">{info}</div><div class="content">{paragraphs}</div></body></html>"""


@pytest.mark.parametrize("info,published", [
    ("发布时间：2024年3月5日 10:30", "2024-03-05T10:30:00+08:00"),
    ("发布日期：2024-3-5", "2024-03-05"),
    ("时间：2024/03/05 09:05:30", "2024-03-05T09:05:30+08:00"),
    ("日期：2024.03.05", "2024-03-05"),
    ("来源：省应急管理厅 2024-03-05 10:30", "2024-03-05T10:30:00+08:00"),
    ("2024年03月05日 10时30分 来源：新华社", "2024-03-05T10:30:00+08:00"),
])
def test_chinese_date_forms_on_the_info_line(info, published):
    assert extract_article(_dated_page(info=info)).published == published


@pytest.mark.parametrize("head", [
    '<meta name="PubDate" content="2024-03-05 10:30:00">',
    '<meta name="firstpublishedtime" content="2024-03-05 10:30:00">',
    '<meta name="publishdate" content="2024-03-05 10:30:00">',
    '<meta property="article:published_time" content="2024-03-05T10:30:00+08:00">',
    '<meta property="article:published_time" content="2024-03-05T02:30:00Z">',
    '<meta name="dc.date" content="2024-03-05 10:30:00">',
    '<meta property="og:release_date" content="2024-03-05T10:30:00+0800">',
    '<meta name="PubDate" content="20240305103000">',
    '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-03-05T10:30:00+08:00"}</script>',
])
def test_publish_time_from_meta_when_the_page_shows_no_date(head):
    assert extract_article(_dated_page(head=head)).published == "2024-03-05T10:30:00+08:00"


def test_time_element_gives_the_publish_time():
    page = _dated_page().replace('<div class="info"></div>', '<time datetime="2024-03-05T10:30+08:00">3月5日</time>')
    assert extract_article(page).published == "2024-03-05T10:30:00+08:00"


def test_page_date_without_time_takes_the_time_of_the_same_day_meta_publish_time():
    page = _dated_page(head='<meta name="PubDate" content="2024-03-05 10:30:00">', info="发布日期：2024-03-05")
    assert extract_article(page).published == "2024-03-05T10:30:00+08:00"


def test_page_date_wins_over_a_meta_time_of_another_day():
    page = _dated_page(head='<meta name="PubDate" content="2024-03-07 08:00:00">', info="发布日期：2024-03-05")
    assert extract_article(page).published == "2024-03-05"


def test_page_time_wins_over_the_meta_time():
    page = _dated_page(head='<meta name="PubDate" content="2024-03-05 08:00:00">', info="发布时间：2024-03-05 10:30")
    assert extract_article(page).published == "2024-03-05T10:30:00+08:00"


@pytest.mark.parametrize("info,source,editor,author", [
    ("来源：新华社 【字体：大 中 小】", "新华社", None, None),
    ("来源：新华社浏览次数：123", "新华社", None, None),
    ("信息来源：市政府办公室【打印本页】【关闭窗口】", "市政府办公室", None, None),
    ("文章来源：人民日报 分享到：", "人民日报", None, None),
    ("稿件来源：某市融媒体中心 | 网络编辑：王五 | 审核：赵六", "某市融媒体中心", "王五", None),
    ("作者：张三 来源：省应急管理厅 点击数：12", "省应急管理厅", None, "张三"),
    ("（责任编辑：王小明）", None, "王小明", None),
    ("责编：赵六 审核：钱七", None, "赵六", None),
    ("文/记者 张三", None, None, "张三"),
    ("文/图 李四", None, None, "李四"),
    ("（文/本报记者 王五）", None, None, "王五"),
])
def test_source_editor_and_author_end_at_the_next_label_or_widget(info, source, editor, author):
    article = extract_article(_dated_page(info=info))
    assert (article.source, article.editor, article.author) == (source, editor, author)


HEADLINE = "关于做好安全生产工作的通知"


def _titled_page(title: str, head: str = "", above: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><meta charset="utf-8">{head}<title>{title}</title></head>
<body>{above}<div class="content">{paragraphs}</div></body></html>"""


@pytest.mark.parametrize("title", [
    f"{HEADLINE}_某市人民政府", f"{HEADLINE} - 要闻 - 某市人民政府", f"{HEADLINE} | 某市人民政府",
    f"{HEADLINE}——某市人民政府", f"{HEADLINE} · 某市人民政府", f"{HEADLINE}｜某市人民政府",
])
def test_title_is_the_page_title_without_the_site_name(title):
    assert extract_article(_titled_page(title)).title == HEADLINE


def test_logo_heading_with_the_site_name_is_not_the_headline():
    above = f'<div class="logo"><h1>某市人民政府</h1></div><div class="bt">{HEADLINE}</div>'
    assert extract_article(_titled_page(f"{HEADLINE}_某市人民政府", above=above)).title == HEADLINE


@pytest.mark.parametrize("above", [f"<h1>{HEADLINE}</h1><h2>要闻</h2>", f"<h2>{HEADLINE}</h2><h3>相关新闻</h3>"])
def test_heading_agreeing_with_the_page_title_is_the_headline(above):
    assert extract_article(_titled_page(f"某市人民政府_{HEADLINE}_要闻", above=above)).title == HEADLINE


def test_og_title_shown_on_the_page_beats_a_page_title_that_is_only_the_site_name():
    page = _titled_page("某市人民政府", head=f'<meta property="og:title" content="{HEADLINE}">',
                        above=f'<div class="bt">{HEADLINE}</div>')
    assert extract_article(page).title == HEADLINE


def test_article_title_meta_wins():
    page = _titled_page("要闻_某市人民政府", head=f'<meta name="ArticleTitle" content="{HEADLINE}">')
    assert extract_article(page).title == HEADLINE
