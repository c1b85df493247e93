"""Withdrawn notices recognised from the whole page, whatever the template wraps around them."""
from __future__ import annotations

import pytest
from opencc import OpenCC

from monitor.extraction import extract_article
from monitor.removal import gone_phrase, soft_404_marker

SIDEBAR = "".join(f'<li><a href="/art/{i}.html">关于开展第{i}批重点项目建设督查工作的通知</a></li>' for i in range(30))


def full_template(main: str, title: str = "湖南省人民政府门户网站") -> str:
    """A portal page: navigation, a long sidebar of links, the main area, a footer."""
    return f"""<html><head><title>{title}</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/zwdt">政务动态</a><a href="/tzgg">通知公告</a></div>
<div class="left"><h3>热点推荐</h3><ul>{SIDEBAR}</ul></div>
<div class="main">{main}</div>
<div class="foot">版权所有：湖南省人民政府办公厅 湘ICP备05001111号 地址：长沙市韶山北路1号，邮编410011。</div>
</body></html>"""


NOTICE = ("<h1>关于加强安全生产工作的通知</h1>"
          "<p>为进一步加强安全生产工作，现将有关事项通知如下，请认真贯彻落实。</p>"
          "<p>一、各单位要高度重视，认真组织开展自查自纠，确保各项措施落实到位。</p>")


@pytest.mark.parametrize("message", [
    "该信息已删除",
    "抱歉，您要查看的信息不存在或已被删除！",
    "<p>页面已失效</p><p>您可以返回首页继续浏览。</p>",
    "<h2>对不起，您访问的内容已下线</h2>",
    "很遗憾，该稿件已经被撤回了",  # a wording in no list: object (稿件) + state (撤回)
])
def test_message_in_full_template_is_a_removal(message):
    article = extract_article(full_template(message), "http://127.0.0.1/art/1.html")
    assert article.gone_message


def test_message_in_page_title_is_a_removal():
    article = extract_article(full_template("<p>&nbsp;</p>", title="页面不存在 - 湖南省人民政府"))
    assert article.gone_message == "页面不存在"


def test_traditional_removal_page_is_a_removal():
    page = OpenCC("s2t").convert(full_template("抱歉，您要查看的信息不存在或已被删除！"))
    assert extract_article(page).gone_message == "信息不存在"


def test_notice_that_mentions_removal_is_not_a_removal():
    page = full_template(NOTICE + "<p>原《安全生产检查办法》同时废止，该文件已失效。</p>")
    article = extract_article(page)
    assert article.gone_message is None
    assert "该文件已失效" in article.text


def test_plain_notice_is_not_a_removal():
    assert extract_article(full_template(NOTICE)).gone_message is None


def test_long_sentence_is_never_a_message():
    sentence = "会议指出，" + "要切实做好各项工作，" * 6 + "对已删除的信息要及时备案。"
    assert gone_phrase(sentence) is None


def test_short_stub_body_is_a_soft_404():
    assert soft_404_marker("提示", "该信息已删除") == "该信息已删除"
    assert soft_404_marker("通知", "正文。" * 100) is None


LONG_NOTICE = "为进一步加强安全生产工作，现将有关事项通知如下。" * 10


def test_body_cut_to_an_unlisted_message_under_another_headline_is_a_removal():
    from monitor.removal import shrunk_to_message

    assert shrunk_to_message("关于加强安全生产工作的通知", LONG_NOTICE, "湖南省人民政府门户网站",
                             "此信息已下架，感谢您的关注。") == "此信息已下架，感谢您的关注。"


@pytest.mark.parametrize(("title", "text"), [
    ("关于加强安全生产工作的通知", "此信息已下架，感谢您的关注。"),  # same headline: an edit
    ("门户网站", "为进一步加强安全生产工作，现将有关事项通知如下。"),  # text kept from the notice
    ("门户网站", "第一段。\n" + LONG_NOTICE[:130]),  # longer than a message
])
def test_short_edit_of_a_notice_is_not_a_removal(title, text):
    from monitor.removal import shrunk_to_message

    assert shrunk_to_message("关于加强安全生产工作的通知", LONG_NOTICE, title, text) is None
