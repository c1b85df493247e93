"""Named misbehaviours every test can point a fetch at, like Scrapy's mock server.

Served under ``/_test/`` on every site:
  /_test/slow?seconds=N      answers after N seconds
  /_test/status/500          answers with that status (any code)
  /_test/gbk-wrong-header    GBK bytes while the header says utf-8
  /_test/huge?mb=N           an N-megabyte page, streamed
  /_test/malformed           unclosed tags and bytes that are no valid encoding
  /_test/redirect-home       302 to the home page
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

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
    length: int | None = None  # Content-Length when body is an iterator
    delay: float = 0.0  # seconds to wait before answering


def html_answer(status: int, text: str, *, encoding: str = "utf-8", content_type: str | None = None) -> Answer:
    body = text.encode(encoding, errors="xmlcharrefreplace")
    ctype = content_type or f"text/html; charset={encoding}"
    return Answer(status, [("Content-Type", ctype)], body)


def behaviour(path: str, query: dict[str, str], home_url: str) -> Answer | None:
    """The answer for a ``/_test/...`` path, or None when it names no behaviour."""
    name = path[len(BEHAVIOUR_PREFIX) :]
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
