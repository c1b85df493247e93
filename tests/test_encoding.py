"""decode_html: BOM, declared charsets, GB labels read as GB18030, and detection when the
declaration is missing or wrong."""
from __future__ import annotations

from spiders.encoding import decode_html

NOTICE = "关于做好2024年春节期间安全生产工作的通知——市应急管理局·办公室"


def page(charset_meta: str, text: str = NOTICE) -> str:
    return f"<html><head>{charset_meta}<title>{text}</title></head><body><p>{text}</p></body></html>"


def test_gbk_bytes_with_wrong_utf8_header_decode_right():
    body = page('<meta charset="utf-8">').encode("gbk")
    text, encoding = decode_html(body, "text/html; charset=utf-8")
    assert NOTICE in text
    assert "\ufffd" not in text
    assert encoding == "gb18030"


def test_gb2312_label_gives_browser_punctuation():
    # A1AA and A1A4 in GB2312: browsers show an em dash and a middle dot.
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gb18030")
    assert b"\xa1\xaa" in body and b"\xa1\xa4" in body
    text, encoding = decode_html(body)
    assert "——" in text and "·" in text
    assert "\u2015" not in text and "\u30fb" not in text
    assert encoding == "gb18030"


def test_missing_charset_is_detected_for_gbk():
    body = page("").encode("gbk")
    text, encoding = decode_html(body)
    assert NOTICE in text
    assert encoding == "gb18030"


def test_missing_charset_is_detected_for_utf8():
    text, encoding = decode_html(page("").encode("utf-8"))
    assert NOTICE in text
    assert encoding == "utf-8"


def test_utf8_bom_wins_over_a_gb_meta():
    body = b"\xef\xbb\xbf" + page('<meta charset="gb2312">').encode("utf-8")
    text, encoding = decode_html(body)
    assert text.startswith("<html>")
    assert NOTICE in text
    assert encoding == "utf-8"


def test_header_charset_is_used_when_it_fits():
    body = page("").encode("big5", errors="ignore")
    text, encoding = decode_html(body, "text/html; charset=big5")
    assert encoding == "big5"
    assert "通知" in text


def test_a_few_broken_bytes_do_not_turn_the_page_into_mojibake():
    body = page('<meta charset="gbk">').encode("gbk")
    damaged = body.replace(b"<body>", b"<body>\xff\xff", 1)
    text, encoding = decode_html(damaged)
    assert encoding == "gb18030"
    assert NOTICE in text


def test_empty_body():
    assert decode_html(b"") == ("", "utf-8")


TRADITIONAL = ("臺北市政府關於做好春節期間安全生產工作的通知：各區公所、各局處，為切實做好春節期間的安全生產工作，"
               "現將有關事項通知如下。請各單位高度重視，確保市民生命財產安全。")
SIMPLIFIED = "关于做好春节期间安全生产工作的通知：各区政府、各部门，为切实做好春节期间的安全生产工作，现将有关事项通知如下。"


def test_big5_page_without_a_charset_is_not_read_as_gb():
    text, encoding = decode_html(page("", TRADITIONAL).encode("big5"))
    assert TRADITIONAL in text
    assert encoding == "big5"


def test_big5_page_declaring_gb2312_is_read_as_big5():
    text, encoding = decode_html(page('<meta charset="gb2312">', TRADITIONAL).encode("big5"))
    assert TRADITIONAL in text
    assert encoding == "big5"


def test_big5_page_under_a_gbk_header_is_read_as_big5():
    text, _encoding = decode_html(page("", TRADITIONAL).encode("big5"), "text/html; charset=gbk")
    assert TRADITIONAL in text


def test_gbk_page_declaring_big5_is_read_as_gb():
    text, encoding = decode_html(page('<meta charset="big5">', SIMPLIFIED).encode("gbk"))
    assert SIMPLIFIED in text
    assert encoding == "gb18030"


def test_big5_with_hong_kong_characters_decodes_as_browsers_do():
    hk = "香港特別行政區政府公告：市民請留意天氣變化，注意安全。你\u5605"  # 嘅 (U+5605) is HKSCS, not plain Big5
    body = page('<meta charset="big5">', hk).encode("big5hkscs")
    text, _ = decode_html(body)
    assert "\u5605" in text and "\ufffd" not in text


def test_relabelled_page_declares_utf8():
    from spiders.encoding import relabel_utf8

    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><meta charset=GBK>'
    out = relabel_utf8(page + "<body>通知</body></html>")
    assert "gb2312" not in out.lower() and "gbk" not in out.lower()
    assert out.count("utf-8") == 2 and out.endswith("<body>通知</body></html>")
