from __future__ import annotations

import pytest

from monitor.normalize import (
    content_fingerprint,
    normalize_field,
    normalize_text,
    strip_furniture_lines,
)

NOTICE = (
    "关于开展2024年度安全生产检查的通知\n"
    "各区县应急管理局：\n"
    "根据《安全生产法》第三条规定，定于2024年3月5日起开展检查。\n"
    "联系电话：010-12345678。\n"
)


def test_fullwidth_and_whitespace_changes_normalise_equal():
    variant = (
        "  关于开展２０２４年度安全生产检查的通知  \n\n"
        "各区县应急管理局：\u3000\n"
        "根据《安全生产法》第 三 条规定，定于２０２４年３月５日起\u00a0开展检查。\n"
        "\r\n"
        "联系电话：０１０－１２３４５６７８。\n"
    )
    assert normalize_text(variant) == normalize_text(NOTICE)


def test_spaces_vanish_between_chinese_and_fold_between_latin_words():
    assert normalize_text("第 3 条\u3000规定  Hello    world  2024  年") == "第3条规定Hello world 2024年"


def test_blank_lines_dropped_and_lines_stripped():
    assert normalize_text("\n\n  甲。 \n\n\t乙。\n\n") == "甲。\n乙。"


def test_normalisation_is_idempotent():
    samples = [
        NOTICE,
        "发布时间：2024-03-05   浏览次数：123\n正文 第一段。\n【打印】 【关闭】",
        "Hello   world\u3000你好 世界\n  打印 关闭 \n分享到：微信 微博",
        "来源：本站 | 访问量：4567 | 【字体：大 中 小】\n今天是2024年3月5日 星期二",
        "浏览 次数：12\n打 印",
    ]
    for sample in samples:
        once = normalize_text(sample)
        assert normalize_text(once) == once, sample


@pytest.mark.parametrize(
    "line",
    [
        "浏览次数：123",
        "访问量：4567",
        "阅读数：89",
        "点击数:1,024次",
        "阅读：35",
        "[浏览次数：12]",
        "浏览次数：",
    ],
)
def test_visit_counter_line_is_furniture(line):
    assert strip_furniture_lines(f"正文第一句。\n{line}\n正文第二句。") == "正文第一句。\n正文第二句。"


@pytest.mark.parametrize(
    "line",
    [
        "【打印】【关闭】",
        "【打印】 【关闭窗口】",
        "打印本页 关闭窗口",
        "【字体：大 中 小】",
        "字号：默认 大 超大",
        "字体：[大 中 小]",
        "分享到：",
        "分享到：微信 微博 QQ空间",
        "扫一扫在手机打开当前页",
        "【我要纠错】",
        "今天是2024年3月5日 星期二",
        "打印 关闭",
    ],
)
def test_widget_line_is_furniture(line):
    assert strip_furniture_lines(f"通知正文。\n{line}") == "通知正文。"


def test_counter_fragment_at_end_of_info_line_is_removed():
    text = "发布时间：2024-03-05　来源：市应急局　浏览次数：123"
    assert strip_furniture_lines(text) == "发布时间：2024-03-05 来源：市应急局"


def test_widgets_between_separators_leave_the_real_part_clean():
    text = "来源：本站 | 访问量：4567 | 【字体：大 中 小】 | 【打印】"
    assert strip_furniture_lines(text) == "来源：本站"


@pytest.mark.parametrize(
    "sentence",
    [
        "本次会议听取了访问量统计报告。",
        "网站访问量：2023年全年达到1200万次。",
        "请各单位认真阅读：",
        "今天是2024年3月5日，我们召开全体会议。",
        "关闭窗口期的安排另行通知。",
        "可分享到微信朋友圈。",
        "正文字号：三号仿宋。",
        "请打印后关闭电源。",
    ],
)
def test_sentence_with_furniture_words_is_kept(sentence):
    assert strip_furniture_lines(sentence) == sentence
    assert normalize_text(sentence) != ""


def test_visit_counter_change_is_not_an_edit():
    before = "发布时间：2024-03-05 浏览次数：123\n通知正文。"
    after = "发布时间：2024-03-05 浏览次数：124\n通知正文。"
    assert content_fingerprint(before, {}) == content_fingerprint(after, {})


def test_real_edit_changes_the_fingerprint():
    edited = NOTICE.replace("3月5日", "3月8日")
    assert content_fingerprint(NOTICE, {"title": "通知"}) != content_fingerprint(edited, {"title": "通知"})


def test_field_edit_changes_the_fingerprint():
    assert content_fingerprint(NOTICE, {"source": "市应急局"}) != content_fingerprint(
        NOTICE, {"source": "省应急厅"}
    )


def test_fingerprint_ignores_field_order_whitespace_and_empty_fields():
    first = content_fingerprint(NOTICE, {"title": "安全 检查 通知", "source": "市应急局", "editor": None})
    second = content_fingerprint(
        NOTICE, {"source": "市应急局\u3000", "title": "安全检查通知", "editor": "  "}
    )
    assert first == second


def test_fingerprint_is_sha256_hex():
    fingerprint = content_fingerprint("正文。", {})
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0


def test_field_normalisation_folds_width_and_space():
    assert normalize_field("  京政发〔２０２４〕 ３号 ") == "京政发〔2024〕3号"
    assert normalize_field("Beijing   Municipal\nGovernment") == "Beijing Municipal Government"
    assert normalize_field(None) is None
    assert normalize_field(" \u3000 ") is None
