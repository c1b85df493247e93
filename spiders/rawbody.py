"""Keep every HTTP exchange as it went over the wire, for the WARC files.

Scrapy's HttpCompressionMiddleware replaces a gzip-encoded body with the decoded one, and
the redirect and retry middlewares replace one response with the next request's. An
archive must record what the server sent, so :class:`RawExchangeMiddleware` sits right
after the download handler (its ``process_response`` runs before every built-in one) and
notes each response as received: content-encoding as sent, transfer chunking already
removed by Twisted. The exchanges of one request (redirect hops, retries, the final answer)
travel in ``request.meta``; :class:`AttachExchanges`, a spider middleware, hands them to
the :class:`~spiders.capture.Capture` the callback yields for that response.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from spiders.capture import Capture, HttpExchange

# The meta key holding a request's exchanges so far (a list shared by its redirects and retries).
EXCHANGES_META = "portalwatch_exchanges"
# Hop-by-hop framing a WARC record cannot keep: the payload is stored de-chunked, so a
# ``Transfer-Encoding: chunked`` header kept as is would make readers de-chunk it again.
# It is kept under this name instead (the prefix replay tools use for original headers).
RENAMED_HEADERS = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}


def _pairs(headers) -> tuple[tuple[str, str], ...]:
    out = []
    for name, values in headers.items():
        text = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        text = RENAMED_HEADERS.get(text.lower(), text)
        for value in values:
            out.append((text, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return tuple(out)


def exchange_of(request: Request, response: Response) -> HttpExchange:
    """The request as sent (with the Host header the HTTP client adds) and the response as received."""
    request_headers = _pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers = (("Host", urlsplit(request.url).netloc),) + request_headers
    ip = getattr(response, "ip_address", None)
    return HttpExchange(
        url=response.url, method=request.method, request_headers=request_headers,
        protocol=getattr(response, "protocol", None) or "HTTP/1.1", status=response.status,
        response_headers=_pairs(response.headers), payload=response.body,
        ip_address=str(ip) if ip is not None else None, request_body=request.body or b"",
    )


class RawExchangeMiddleware:
    """A downloader middleware: records each response before any other middleware changes it."""

    def process_response(self, request: Request, response: Response) -> Response:
        exchanges = request.meta.get(EXCHANGES_META)
        if exchanges is None:
            # Request.replace/copy (redirects, retries) copy meta shallowly: one list per chain.
            exchanges = request.meta[EXCHANGES_META] = []
        exchanges.append(exchange_of(request, response))
        return response


class AttachExchanges(BaseSpiderMiddleware):
    """A spider middleware: gives each Capture the exchanges of the response it came from."""

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if isinstance(item, Capture) and response is not None and not item.exchanges:
            item.exchanges = tuple(response.meta.get(EXCHANGES_META, ()))
        return item
