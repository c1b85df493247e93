"""Named misbehaviours every test can point a fetch at, like Scrapy's mock server.

Served under ``/_test/`` on every site:
  /_test/slow?seconds=N      answers after N seconds
  /_test/status/500          answers with that status (any code)
  /_test/gbk-wrong-header    GBK bytes while the header says utf-8
  /_test/huge?mb=N           an N-megabyte page, streamed
  /_test/malformed           unclosed tags and bytes that are no valid encoding
  /_test/redirect-home       302 to the home page
Faults a long-running crawl meets (one test each in tests/test_faults.py):
  /_test/reset               the connection is reset before any answer
  /_test/storm               500, 502, 503, 500, ... on successive requests
  /_test/too-many?after=N    429 with Retry-After: N on the first request, then the page
  /_test/loop                302 to /_test/loop-back, which redirects back, for ever
  /_test/redirect-to?url=U   302 to U (another port on 127.0.0.1, a private host, file://)
  /_test/gzip-bomb           a 100 KB gzip body that inflates to 200 MB
  /_test/endless             a body that never ends (no Content-Length)
  /_test/binary              PNG bytes served as text/html
  /_test/empty               200 with an empty body
  /_test/deep                a notice inside 6,000 nested <div>s
  /_test/invalid-bytes       GB18030 text with broken sequences, declared utf-8
  /_test/trap/index.html     a column whose pager never ends (index_N links index_N+1)
  /_test/tracking/index.html a column linking one notice with tracking parameters and fragments
  /_test/flapping            two versions of one notice, alternating on every fetch
"""
from __future__ import annotations

import gzip
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

BEHAVIOUR_PREFIX = "/_test/"
HUGE_MB_LIMIT = 512

# A paragraph whose GBK bytes are not valid UTF-8: a decoder that trusts the header garbles it.
GBK_SENTENCE = "关于做好全省秋冬季森林防火工作的通知：各地要落实林长责任，严防火灾发生。"

MALFORMED_PAGE = (
    b"<html><head><title>\xe5\x85\xb3\xe4\xba\x8e\xe6\xb5\x8b\xe8\xaf\x95\xe9\xa1\xb5\xe9\x9d\xa2</title>"
    b"<body><div id=\"zoom\"><p>\xe6\xad\xa3\xe6\x96\x87\xe7\xac\xac\xe4\xb8\x80\xe6\xae\xb5"
    b"<p>\xff\xfe\xc3\x28 broken bytes \xa1\xa1 <b><i>unclosed <table><tr><td>cell"
    b"<div class=\"x\" <p>\xe6\xad\xa3\xe6\x96\x87\xe7\xac\xac\xe4\xba\x8c\xe6\xae\xb5</div"
    b"<script>var a = '<p>not body</p>';"
)


@dataclass(slots=True)
class Answer:
    """What a handler sends: status, headers and a body (bytes, or chunks for huge pages)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterator[bytes] = b""
    length: int | None = None  # Content-Length when body is an iterator; -1: none (a body without end)
    delay: float = 0.0  # seconds to wait before answering
    reset: bool = False  # reset the connection instead of answering


def html_answer(status: int, text: str, *, encoding: str = "utf-8", content_type: str | None = None) -> Answer:
    body = text.encode(encoding, errors="xmlcharrefreplace")
    ctype = content_type or f"text/html; charset={encoding}"
    return Answer(status, [("Content-Type", ctype)], body)


# When each fault path was requested (time.monotonic()), for tests of pacing (Retry-After).
_arrivals: dict[str, list[float]] = defaultdict(list)
_arrivals_lock = threading.Lock()


def arrivals(path: str) -> list[float]:
    with _arrivals_lock:
        return list(_arrivals[path])


def behaviour(path: str, query: dict[str, str], home_url: str) -> Answer | None:
    """The answer for a ``/_test/...`` path, or None when it names no behaviour."""
    name = path[len(BEHAVIOUR_PREFIX) :]
    with _arrivals_lock:
        _arrivals[path].append(time.monotonic())
        visits = len(_arrivals[path])
    fault = fault_answer(name, query, visits)
    if fault is not None:
        return fault
    if name == "slow":
        seconds = float(query.get("seconds", "5"))
        answer = html_answer(200, f"<html><body><p>慢速页面，等待了{seconds:g}秒。</p></body></html>")
        answer.delay = seconds
        return answer
    if name.startswith("status/"):
        code = int(name.split("/", 1)[1] or 500)
        return html_answer(code, f"<html><body><h1>{code}</h1><p>服务器返回状态码{code}。</p></body></html>")
    if name == "gbk-wrong-header":
        page = (
            '<html><head><meta charset="gb2312"><title>编码测试</title></head>'
            f'<body><div id="zoom"><p>{GBK_SENTENCE}</p></div></body></html>'
        )
        return html_answer(200, page, encoding="gbk", content_type="text/html; charset=utf-8")
    if name == "huge":
        mb = min(float(query.get("mb", "10")), HUGE_MB_LIMIT)
        return huge_page(int(mb * 1024 * 1024))
    if name == "malformed":
        return Answer(200, [("Content-Type", "text/html")], MALFORMED_PAGE)
    if name == "redirect-home":
        return Answer(302, [("Location", home_url), ("Content-Type", "text/html; charset=utf-8")], b"")
    return None


def huge_page(size: int) -> Answer:
    """An HTML page of exactly ``size`` bytes, produced in 64 KiB chunks."""
    head = b'<html><head><meta charset="utf-8"><title>huge</title></head><body><div id="zoom">'
    tail = b"</div></body></html>"
    filler = ("<p>" + "超大页面填充文字。" * 20 + "</p>\n").encode("utf-8")
    chunk = filler * max(1, 65536 // len(filler))

    def chunks() -> Iterator[bytes]:
        remaining = size - len(head) - len(tail)
        yield head
        while remaining > 0:
            piece = chunk[:remaining]
            remaining -= len(piece)
            yield piece
        yield tail

    length = max(size, len(head) + len(tail))
    return Answer(200, [("Content-Type", "text/html; charset=utf-8")], chunks(), length=length)


# --- faults -----------------------------------------------------------------------------

DEEP_LEVELS = 6000
DEEP_SENTENCE = "这是一则嵌套六千层的公告正文，内容必须完整保存。"
FLAP_TEXTS = ("本通知自发布之日起施行，有效期两年。", "本通知自2026年1月1日起施行，有效期三年。")
TRAP_NOTICES = 3
STORM_STATUSES = (500, 502, 503)
# A PNG header and bytes no text has: what a misconfigured server sends as text/html.
BINARY_BODY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64


def notice_page(title: str, body: str, published: str = "2026-01-01") -> str:
    """A minimal notice page in the shape the extractor reads (title, date, #zoom body)."""
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<h1>{title}</h1><div class="info">发布日期：{published}</div>'
            f'<div id="zoom"><p>{body}</p><p>{body}</p></div></body></html>')


@cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)


def invalid_bytes_page() -> bytes:
    """GB18030 text sprinkled with bytes no encoding accepts, under a utf-8 declaration: a
    statistical detector reads such pages as Cyrillic or Arabic."""
    words = ["通知", "森林防火", "责任", "发生", "工作"]
    chunks = []
    for i in range(18):
        chunks.append(words[i % 5].encode("gb18030"))
        if i % 2:
            chunks.append(bytes([(0x80, 0xFF, 0xA1, 0xFE)[i % 4]]))
        chunks.append(b" abc ")
    body = "森林防火责任通知".encode("gb18030")
    return (b'<html><head><meta charset="utf-8"><title>' + body + b"</title></head><body><div id=\"zoom\"><p>"
            + b"".join(chunks) + b"</p></div></body></html>")


def listing_page(title: str, links: list[str]) -> str:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><ul>{items}</ul></body></html>'


def fault_answer(name: str, query: dict[str, str], visits: int) -> Answer | None:
    if name == "reset":
        return Answer(200, reset=True)
    if name == "storm":
        code = STORM_STATUSES[(visits - 1) % len(STORM_STATUSES)]
        return html_answer(code, f"<html><body><h1>{code}</h1></body></html>")
    if name == "too-many":
        if visits == 1:
            answer = html_answer(429, "<html><body><h1>429</h1><p>请求过于频繁。</p></body></html>")
            answer.headers.append(("Retry-After", query.get("after", "2")))
            return answer
        return html_answer(200, notice_page("限流后的公告", "稍候再访问即可看到的公告正文内容，共计四十字左右。"))
    if name in ("loop", "loop-back"):
        target = "/_test/loop-back" if name == "loop" else "/_test/loop"
        return Answer(302, [("Location", target), ("Content-Type", "text/html")], b"")
    if name == "redirect-to":
        return Answer(302, [("Location", query.get("url", "/")), ("Content-Type", "text/html")], b"")
    if name == "gzip-bomb":
        return Answer(200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                      gzip_bomb())
    if name == "endless":
        filler = ("<p>" + "无尽页面。" * 50 + "</p>\n").encode("utf-8")

        def endless() -> Iterator[bytes]:
            yield b'<html><head><meta charset="utf-8"></head><body>'
            while True:
                yield filler * 64

        return Answer(200, [("Content-Type", "text/html; charset=utf-8")], endless(), length=-1)
    if name == "binary":
        return Answer(200, [("Content-Type", "text/html; charset=utf-8")], BINARY_BODY)
    if name == "empty":
        return Answer(200, [("Content-Type", "text/html; charset=utf-8")], b"")
    if name == "deep":
        page = notice_page("深层嵌套的公告", "<div>" * DEEP_LEVELS + DEEP_SENTENCE + "</div>" * DEEP_LEVELS)
        return html_answer(200, page)
    if name == "invalid-bytes":
        return Answer(200, [("Content-Type", "text/html; charset=utf-8")], invalid_bytes_page())
    if name == "flapping":
        text = FLAP_TEXTS[(visits - 1) % 2]
        return html_answer(200, notice_page("来回变动的公告", f"关于开展专项检查工作的通知。{text}"))
    if name.startswith("trap/"):
        return trap(name[len("trap/"):])
    if name.startswith("tracking/"):
        return tracking(name[len("tracking/"):])
    return None


def trap(page: str) -> Answer | None:
    """index.html, index_1.html, index_2.html, ...: the same notices, and a next page, for ever."""
    if page.startswith("t20260101_"):
        return html_answer(200, notice_page(f"陷阱栏目公告{page}", "分页陷阱栏目中的一则公告正文，内容完整无误。"))
    if page == "index.html":
        number = 0
    elif page.startswith("index_") and page.endswith(".html") and page[6:-5].isdigit():
        number = int(page[6:-5])
    else:
        return None
    links = [(f"t20260101_{k}.html", f"公告{k}") for k in range(1, TRAP_NOTICES + 1)]
    links.append((f"index_{number + 1}.html", "下一页"))
    return html_answer(200, listing_page(f"第{number + 1}页", links))


# The links of /_test/tracking/index.html: one notice, written five ways.
TRACKING_LINKS = ("t20260102_1.html", "t20260102_1.html#top", "t20260102_1.html?utm_source=wechat&utm_medium=social",
                  "t20260102_1.html?spm=a2c4g.11186623", "./t20260102_1.html?from=timeline#comments")


def tracking(page: str) -> Answer | None:
    if page == "index.html":
        return html_answer(200, listing_page("跟踪参数", [(href, "同一则公告") for href in TRACKING_LINKS]))
    if page == "t20260102_1.html":
        return html_answer(200, notice_page("带跟踪参数链接的公告", "无论链接带什么参数，这都是同一则公告的正文内容。"))
    return None
