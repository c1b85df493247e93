"""Traditional-character pages and mirrors: the same notice as its Simplified original."""
from __future__ import annotations

from opencc import OpenCC

from monitor.extraction import extract_article
from monitor.normalize import normalize_field, normalize_text
from monitor.recorder import version_content
from storage.textfold import script_folded, strip_pinyin_annotations

TO_TRADITIONAL = OpenCC("s2t")

PAGE = """<html><head><meta charset="utf-8"><title>国务院关于加强安全生产工作的通知_湖南省人民政府门户网站</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/zwgk">政务公开</a></div>
<h1>国务院关于加强安全生产工作的通知</h1>
<div class="info">发布时间：2023-12-01 17:43 信息来源：湖南日报 责任编辑：朱格林 【字体：大 中 小】</div>
<div class="TRS_Editor"><p>为进一步加强安全生产工作，经国务院同意，现将有关事项通知如下。</p>
<p>一、各地区、各部门要高度重视，认真组织开展自查自纠，确保各项措施落实到位。</p>
<p>二、请于2023年12月15日前报送工作总结，会议另行通知。</p>
{widgets}</div>
<div class="xgyd"><h3>相关阅读</h3><ul><li><a href="/1.html">省政府召开常务会议</a></li></ul></div>
</body></html>"""


def simplified_page(widgets: str = "<p>【打印】【关闭】</p>") -> str:
    return PAGE.format(widgets=widgets)


def traditional_page(widgets: str = "<p>【列印本页】【关闭窗口】</p>") -> str:
    return TO_TRADITIONAL.convert(PAGE.format(widgets=widgets))


def test_traditional_page_has_source_and_editor():
    article = extract_article(traditional_page())
    assert article.source == "湖南日報"
    assert article.editor == "朱格林"
    assert article.published == "2023-12-01T17:43:00+08:00"
    assert article.title == "國務院關於加強安全生產工作的通知"


def test_traditional_widgets_leave_no_trace_in_the_body():
    text = extract_article(traditional_page()).text
    assert "列印" not in text and "關閉" not in text and "【" not in text
    assert text.endswith("會議另行通知。")


def test_traditional_and_simplified_pages_are_the_same_notice():
    simplified = version_content(extract_article(simplified_page()))
    traditional = version_content(extract_article(traditional_page()))
    assert simplified.fingerprint == traditional.fingerprint
    # ...while what is stored stays as published.
    assert "國務院" in traditional.title and "国务院" in simplified.title


def test_pinyin_annotations_are_folded_for_comparison_and_kept_in_the_text():
    annotated = traditional_page().replace("國務院同意", "國務(wù)院同意").replace("會議", "會(huì)議")
    article = extract_article(annotated)
    assert "國務(wù)院" in article.text
    assert version_content(article).fingerprint == version_content(extract_article(simplified_page())).fingerprint


def test_pinyin_folding_leaves_other_parentheses_alone():
    assert strip_pinyin_annotations("國務(wù)院") == "國務院"
    assert strip_pinyin_annotations("會（huì）議") == "會議"
    assert strip_pinyin_annotations("课件(ppt)与世界卫生组织(WHO)") == "课件(ppt)与世界卫生组织(WHO)"
    assert strip_pinyin_annotations("第(一)条") == "第(一)条"


def test_comparison_form_is_script_insensitive():
    assert normalize_text("國務院關於會議的通知") == normalize_text("国务院关于会议的通知")
    assert normalize_field("湖南日報") == normalize_field("湖南日报")
    assert script_folded("責任編輯") == "责任编辑"


def test_search_finds_a_traditional_mirror_with_pinyin_by_either_script(tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli
    from storage.archive import Archive
    from storage.records import VersionContent

    path = tmp_path / "portalwatch.db"
    text = "經國務(wù)院同意，現將有關事項通知如下。"
    with Archive(path) as archive, archive.transaction():
        page = archive.ensure_page("mirror", "http://127.0.0.1/big5/1.html", "2024-03-05T02:00:00+00:00")
        capture = archive.add_capture(page.id, fetched_at="2024-03-05T02:00:00+00:00", status=200, outcome="new",
                                      body=text.encode())
        archive.add_version(page.id, VersionContent(fingerprint="f", text=text, title="通知"),
                            created_at="2024-03-05T02:00:00+00:00", capture_id=capture)
    for query in ("国务院", "國務院"):
        result = CliRunner().invoke(cli, ["search", query, "--archive", str(path)])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1/big5/1.html" in result.output


def test_phrase_level_conversions_compare_equal():
    """OpenCC's s2t writes some words with other characters (了解→瞭解, 家具→傢俱, 回复→回覆);
    folding character by character must still find them equal."""
    for simplified in ("了解情况", "家具市场", "回复意见", "借助平台", "项链", "钟表", "划定范围"):
        assert normalize_text(TO_TRADITIONAL.convert(simplified)) == normalize_text(simplified), simplified
