from __future__ import annotations

import itertools
import json
import random
import time

from monitor.diff import (
    FieldChange,
    diff_fields,
    diff_from_json,
    diff_texts,
    diff_to_json,
    split_sentences,
)
from monitor.diff_render import (
    render_html,
    render_terminal,
    render_unified,
    side_by_side_html,
    summarize_diff,
)

OLD = (
    "关于2024年春季学期开学工作的通知\n"
    "各区教育局：经研究，定于3月1日正式开学。请各校做好准备工作！\n"
    "特此通知。\n"
    "联系人：张三，电话：010-12345678。\n"
)
NEW = (
    "关于2024年春季学期开学工作的通知\n"
    "各区教育局：经研究，定于3月4日正式开学。请各校做好准备工作！\n"
    "开学前须完成校园安全隐患排查。\n"
    "特此通知。\n"
    "联系人：李四，电话：010-12345678。\n"
)


def changes(diff):
    return [(op, text) for op, text in diff.ops if op != "equal"]


def test_sentences_keep_their_end_marks_and_join_back():
    text = "第一句。第二句！“引号里的话。”第三句；\n无句号的行\n最后"
    sentences = split_sentences(text)
    assert "".join(sentences) == text
    assert sentences[:3] == ["第一句。", "第二句！", "“引号里的话。”"]
    assert sentences[-1] == "最后"


def test_changed_number_is_a_character_level_edit():
    diff = diff_texts(OLD, NEW)
    assert ("delete", "1") in changes(diff)
    assert ("insert", "4") in changes(diff)


def test_changed_name_is_a_character_level_edit():
    diff = diff_texts(OLD, NEW)
    assert ("delete", "张三") in changes(diff)
    assert ("insert", "李四") in changes(diff)


def test_inserted_sentence_is_whole_sentence_insert():
    diff = diff_texts(OLD, NEW)
    assert ("insert", "开学前须完成校园安全隐患排查。\n") in changes(diff)


def test_deleted_sentence_is_whole_sentence_delete():
    diff = diff_texts(NEW, OLD)
    assert ("delete", "开学前须完成校园安全隐患排查。\n") in changes(diff)


def test_dissimilar_replacement_is_whole_sentence_delete_and_insert():
    diff = diff_texts("前言。会议在北京召开。结尾。", "前言。所有材料请于周五前报送。结尾。")
    assert changes(diff) == [("delete", "会议在北京召开。"), ("insert", "所有材料请于周五前报送。")]


def test_counts_and_changed_flag():
    diff = diff_texts(OLD, NEW)
    assert diff.changed
    assert diff.chars_added == len("4") + len("开学前须完成校园安全隐患排查。\n") + len("李四")
    assert diff.chars_removed == len("1") + len("张三")
    same = diff_texts(OLD, OLD)
    assert not same.changed and same.chars_added == same.chars_removed == 0
    assert same.ops == [("equal", OLD)]


RECONSTRUCTION_PAIRS = [
    (OLD, NEW),
    (NEW, OLD),
    ("", "全新的通知。"),
    ("被删除的通知。", ""),
    ("", ""),
    ("一。二。三。", "三。二。一。"),
    ("同一句。同一句。同一句。", "同一句。不同句。同一句。同一句。"),
    ("无标点的长行没有句号", "无标点的长行没有句号也没有换行"),
    ("段落一。\n\n段落二。", "段落一。段落二。\n"),
    ("金额为1,000元；期限30日！", "金额为1,500元；期限60日？"),
    ("Hello world. 中文。", "Hello, world! 中文。\n"),
    ("“引号。”后文。", "“引号！”后文。"),
]


def test_ops_reconstruct_old_and_new():
    for old, new in RECONSTRUCTION_PAIRS:
        diff = diff_texts(old, new)
        assert diff.old == old, (old, new)
        assert diff.new == new, (old, new)
        assert "".join(t for op, t in diff.ops if op != "insert") == old
        assert "".join(t for op, t in diff.ops if op != "delete") == new
        kinds = [op for op, _ in diff.ops]
        assert all(a != b for a, b in itertools.pairwise(kinds)), "adjacent ops share a kind"
        assert all(text for _, text in diff.ops), "empty op"


def test_ops_reconstruct_random_edits_of_a_long_notice():
    rng = random.Random(7)
    old = _long_notice(rng, 3000)
    for _ in range(20):
        new = list(old)
        for _ in range(rng.randint(1, 15)):
            position = rng.randrange(len(new))
            choice = rng.random()
            if choice < 0.4:
                new[position] = rng.choice(_CHARS)
            elif choice < 0.7:
                new.insert(position, rng.choice(_CHARS + "。\n"))
            else:
                del new[position]
        new_text = "".join(new)
        diff = diff_texts(old, new_text)
        assert diff.old == old and diff.new == new_text


def test_terminal_rendering_marks_changes_without_colour():
    rendered = render_terminal(diff_texts(OLD, NEW), color=False)
    assert "定于3月[-1-][+4+]日正式开学。" in rendered
    assert "[+开学前须完成校园安全隐患排查。+]" in rendered
    assert "联系人：[-张三-][+李四+]，电话：010-12345678。" in rendered
    assert "特此通知" not in rendered  # unchanged sentence skipped
    assert "…" in rendered
    assert "\x1b[" not in rendered


def test_terminal_rendering_colours_inserts_green_and_deletes_red():
    rendered = render_terminal(diff_texts(OLD, NEW))
    assert "\x1b[32m4\x1b[0m" in rendered
    assert "\x1b[31m1\x1b[0m" in rendered


def test_terminal_rendering_trims_long_context():
    prefix = "这是很长的一段没有改变的文字" * 10
    diff = diff_texts(prefix + "金额为100元。", prefix + "金额为200元。")
    rendered = render_terminal(diff, color=False, context_chars=10)
    assert rendered.startswith("…")
    assert len(rendered) < 40
    assert "[-1-][+2+]00元。" in rendered


def test_no_change_renders_nothing():
    diff = diff_texts(OLD, OLD)
    assert render_terminal(diff) == ""
    assert summarize_diff(diff) == ""
    assert render_unified(OLD, OLD, "a", "b") == ""


def test_unified_diff_has_one_sentence_per_line():
    unified = render_unified(OLD, NEW, "v1", "v2")
    lines = unified.splitlines()
    assert lines[:2] == ["--- v1", "+++ v2"]
    assert "-各区教育局：经研究，定于3月1日正式开学。" in lines
    assert "+各区教育局：经研究，定于3月4日正式开学。" in lines
    assert "+开学前须完成校园安全隐患排查。" in lines
    assert " 请各校做好准备工作！" in lines


def test_html_rendering_escapes_captured_script():
    old = "通知正文。"
    new = "通知正文。<script>alert('x')</script>附件见下。"
    fragment = render_html(diff_texts(old, new))
    assert "<script>" not in fragment
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in fragment
    assert "<ins>" in fragment
    table = side_by_side_html(old, new)
    assert "<script>" not in table
    assert "&lt;script&gt;" in table


def test_html_rendering_marks_changes_with_ins_and_del():
    fragment = render_html(diff_texts(OLD, NEW))
    assert "定于3月<del>1</del><ins>4</ins>日正式开学。" in fragment
    assert "<ins>开学前须完成校园安全隐患排查。</ins>" in fragment
    assert "特此通知" not in fragment


def test_side_by_side_puts_old_left_and_new_right():
    table = side_by_side_html(OLD, NEW, old_label="旧", new_label="新")
    assert "<th>旧</th><th>新</th>" in table
    assert (
        '<tr class="pw-changed"><td>联系人：<del>张三</del>，电话：010-12345678。</td>'
        "<td>联系人：<ins>李四</ins>，电话：010-12345678。</td></tr>"
    ) in table
    assert '<tr class="pw-same"><td>特此通知。</td><td>特此通知。</td></tr>' in table
    assert '<tr class="pw-changed"><td></td><td><ins>开学前须完成校园安全隐患排查。</ins></td></tr>' in table


def test_json_form_lists_ops_and_counts_and_reads_back():
    diff = diff_texts(OLD, NEW)
    data = json.loads(json.dumps(diff_to_json(diff), ensure_ascii=False))
    assert data["chars_added"] == diff.chars_added
    assert data["chars_removed"] == diff.chars_removed
    assert {"op": "insert", "text": "李四"} in data["ops"]
    assert diff_from_json(data) == diff


def test_summary_is_shortened_for_chat():
    rng = random.Random(3)
    old = _long_notice(rng, 6000)
    sentences = split_sentences(old)
    new = "".join(s[:5] + "修订" + s[5:] if len(s) > 12 else s for s in sentences)
    diff = diff_texts(old, new)
    summary = summarize_diff(diff, limit=200)
    assert len(summary) <= 200
    assert summary.endswith(("…", "…+]"))
    assert "[+修订+]" in summary
    # markers are never left open or empty
    assert summary.count("[+") == summary.count("+]")
    assert "[+…+]" not in summary and "[-…-]" not in summary


def test_summary_fits_the_limit_for_any_limit():
    diff = diff_texts(OLD, NEW)
    full = summarize_diff(diff)
    assert "联系人：[-张三-][+李四+]" in full
    for limit in range(1, len(full) + 5):
        assert len(summarize_diff(diff, limit=limit)) <= limit


def test_field_changes_compare_normalised_values():
    old = {
        "title": "关于开学的通知",
        "source": "市教育局",
        "doc_number": "京教发〔２０２４〕３号",
        "editor": None,
    }
    new = {
        "title": "关于开学的通知（更正）",
        "source": "市教育局 ",
        "doc_number": "京教发〔2024〕3号",
        "editor": "",
        "author": "王五",
    }
    assert diff_fields(old, new) == [
        FieldChange("title", "关于开学的通知", "关于开学的通知（更正）"),
        FieldChange("author", None, "王五"),
    ]


def test_diffing_two_long_notices_is_fast():
    rng = random.Random(11)
    old = _long_notice(rng, 20000)
    rewritten = _long_notice(rng, 20000)
    lightly_edited = old[:7000] + "新增一句话。" + old[7000:12000].replace("的", "之", 3) + old[12000:]
    for new in (lightly_edited, rewritten):
        started = time.perf_counter()
        diff = diff_texts(old, new)
        elapsed = time.perf_counter() - started
        assert diff.new == new
        # about 5 ms (edited) and 30 ms (rewritten) here; generous bound for a busy CI machine
        assert elapsed < 0.5, elapsed


_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工"
    "也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小"
)


def _long_notice(rng: random.Random, chars: int) -> str:
    paragraphs: list[str] = []
    total = 0
    while total < chars:
        paragraph = "".join(
            "".join(rng.choice(_CHARS) for _ in range(rng.randint(12, 60))) + rng.choice("。。。；！")
            for _ in range(rng.randint(2, 6))
        )
        paragraphs.append(paragraph)
        total += len(paragraph) + 1
    return "\n".join(paragraphs)
