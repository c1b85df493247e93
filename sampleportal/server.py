"""HTTP front of the sample portal: one ``ThreadingHTTPServer`` per site on 127.0.0.1.

Pages are rendered on request from :class:`~sampleportal.state.PortalState`; nothing is
pre-rendered, so 20,000 notices a site cost no start-up time. Article pages answer conditional
GETs (ETag over the notice, Last-Modified of its last edit) unless the portal runs with
``etag=False``.
"""
from __future__ import annotations

import hashlib
import re
import socket
import struct
import sys
import threading
import traceback
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from sampleportal.behaviours import BEHAVIOUR_PREFIX, Answer, behaviour, html_answer
from sampleportal.control import CONTROL_PREFIX, control
from sampleportal.families import FAMILY_CLASSES, NATIVE, render_article, render_gone, render_not_found
from sampleportal.furniture import STATIC, Furniture, widget_day
from sampleportal.notices import Notice
from sampleportal.sitebase import PRIVATE_PATH, ListPage, SiteRenderer
from sampleportal.state import PortalState
from sampleportal.variants import DEFAULT as DEFAULT_VARIANT
from sampleportal.variants import convert_script

ROBOTS_TXT = "User-agent: *\nDisallow: /private/\nDisallow: /_control/\n"
# What CMSs print when a notice is withdrawn; soft-404 pages say it with status 200.
REMOVED_TITLE = "页面不存在"
REMOVED_MESSAGE = "该信息已删除或已过期，您访问的页面不存在。"
NOT_FOUND_MESSAGE = "您访问的页面不存在，请检查网址是否正确。"
SERVER_ERROR_MESSAGE = "服务器内部错误，请稍后再试。"
ATTACHMENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",
}
STATIC_TYPES = {"css": "text/css; charset=utf-8", "js": "application/javascript; charset=utf-8"}
# Root-relative links (also inside script strings: href=\"/...), rewritten on mirror pages.
ROOT_LINK_RE = re.compile(r"""((?:href|src)\s*=\s*\\?["'])/(?!/)""")


class SiteServer:
    """Serves one site of the portal; ``other_sites`` is filled in once all sites are bound."""

    def __init__(self, key: str, renderer: SiteRenderer, state: PortalState, *, etag: bool,
                 stop: threading.Event, port: int = 0) -> None:
        self.key = key
        self.renderer = renderer
        self.state = state
        self.etag = etag
        self.stop_event = stop
        self.other_sites: dict[str, str] = {}
        # A 繁體 mirror: every page also served under this path prefix (e.g. "/big5/"),
        # converted to Traditional, its root-relative links pointing into the mirror.
        self.mirror_prefix: str | None = None
        self.mirror_drops_notices = False  # the mirror's notice pages answer 404 (still listed)
        handler = type(f"{key.title()}Handler", (PortalHandler,), {"site": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = quiet_handle_error
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sampleportal-{self.key}",
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    # --- answering --------------------------------------------------------------------------
    def furniture(self, visits: int) -> Furniture:
        state = self.state
        family = state.sites[self.key].template.family
        return Furniture(
            frame=FAMILY_CLASSES[family].frame if family else None,
            generation=state.generation,
            visits=visits,
            today=widget_day(state.anchor, state.generation),
            redesigned=state.sites[self.key].redesigned,
            host=f"127.0.0.1:{self.port}",
            other_sites=self.other_sites,
        )

    def answer(self, raw_path: str, headers) -> Answer:
        prefix = self.mirror_prefix
        if prefix and raw_path.startswith(prefix):
            inner = "/" + raw_path[len(prefix):]
            if self.mirror_drops_notices and self.renderer.parse_article(urlsplit(inner).path) is not None:
                return self.not_found(self.state.log_request(self.key, raw_path))
            return self.mirrored(self.answer_path(inner, headers, logged_as=raw_path), prefix)
        return self.answer_path(raw_path, headers)

    def mirrored(self, answer: Answer, prefix: str) -> Answer:
        """The mirror's copy of a page: Traditional, links kept inside the mirror."""
        ctype = dict(answer.headers).get("Content-Type", "")
        if not ctype.startswith("text/html") or not isinstance(answer.body, bytes) or not answer.body:
            return answer
        text = answer.body.decode(self.renderer.profile.encoding, errors="replace")
        if self.state.sites[self.key].template.script == "simplified":
            text = convert_script(text, "traditional")
        text = ROOT_LINK_RE.sub(lambda m: m.group(1) + prefix, text)
        answer.body = self.renderer.encode(text)
        return answer

    def answer_path(self, raw_path: str, headers, *, logged_as: str | None = None) -> Answer:
        split = urlsplit(raw_path)
        path, query = split.path, dict(parse_qsl(split.query))
        visits = self.state.log_request(self.key, logged_as or raw_path)
        r = self.renderer
        if path == "/robots.txt":
            return Answer(200, [("Content-Type", "text/plain; charset=utf-8")], ROBOTS_TXT.encode())
        if path.startswith(BEHAVIOUR_PREFIX):
            found = behaviour(path, query, self.base_url + "/")
            return found or self.not_found(visits, path)
        if path.startswith(CONTROL_PREFIX):
            return control(self.state, self.key, path[len(CONTROL_PREFIX) :], query)
        if path.startswith("/static/"):
            return self.static(path)
        if path in ("/", "/index.html", "/index.htm"):
            listings = [self.list_page(c.key, 0) for c in r.profile.columns]
            return self.page(200, r.render_home(self.furniture(visits), listings), "list")
        if path == PRIVATE_PATH:
            text = r.render_message(self.furniture(visits), "内部资料", "本页面仅供内部测试，robots.txt 禁止抓取。")
            return self.page(200, text, "list")
        listed = r.parse_list(path, query)
        if listed is not None:
            column, page = listed
            if page >= self.state.list_pages(self.key, column):
                return self.not_found(visits, path)
            return self.page(200, r.render_list(self.furniture(visits), self.list_page(column, page)), "list")
        docid = r.parse_article(path)
        if docid is not None:
            return self.article(path, docid, headers, visits)
        ext = path.rsplit(".", 1)[-1]
        if ext in ATTACHMENT_TYPES and "/P0" in path:
            return self.attachment(path, ext, headers)
        return self.not_found(visits, path)

    def attachment(self, path: str, ext: str, headers) -> Answer:
        """An attachment: the bytes a test set (PortalState.attachment_bodies), else a small stub;
        with an ETag of its bytes, and 304 to a matching If-None-Match."""
        body = self.state.sites[self.key].attachment_bodies.get(path)
        if body is None:
            name = path.rsplit("/", 1)[1]
            stub = b"%PDF-1.4\n% sample attachment\n" if ext == "pdf" else b"PK\x03\x04sample attachment "
            body = stub + name.encode() + b"\n"
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        inm = headers.get("If-None-Match")
        if inm is not None and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
            return Answer(304, [("ETag", etag)])
        return Answer(200, [("Content-Type", ATTACHMENT_TYPES[ext]), ("ETag", etag)], body)

    def list_page(self, column: str, page: int) -> ListPage:
        profile = self.renderer.profile
        return ListPage(
            column=profile.column(column) or profile.columns[0],
            page=page,
            pages=self.state.list_pages(self.key, column),
            notices=self.state.list_page(self.key, column, page),
        )

    def article(self, path: str, docid: int, headers, visits: int) -> Answer:
        state = self.state.sites[self.key]
        index = docid - self.renderer.profile.docid_base
        notice = self.state.notice(self.key, index)
        if notice is None or self.renderer.article_path(notice) != path:
            return self.not_found(visits, path)
        failure = state.failures.get(index)
        delay = 0.0
        if failure is not None and failure.mode == "500":
            return self.page(500, self.renderer.render_message(self.furniture(visits), "500", SERVER_ERROR_MESSAGE), "list")
        if failure is not None and failure.mode == "timeout":
            delay = failure.seconds
        removed = state.removed.get(index)
        if removed is not None:
            answer = self.removed(removed, visits, notice)
        elif self.etag and self.not_modified(notice, headers):
            answer = Answer(304, self.validators(notice))
        else:
            furniture = self.furniture(visits + notice.docid % 997 * 7)
            choice = state.template
            if choice.family is None and choice.variant == DEFAULT_VARIANT:
                text = self.renderer.render_article(furniture, notice)
            else:
                variant = choice.variant_for(notice.docid, self.state.generation)
                family = choice.family or NATIVE[self.key]
                text = render_article(self.renderer, furniture, notice, family, variant)
            answer = self.page(200, text, "article", notice)
            if self.etag:
                answer.headers.extend(self.validators(notice))
        answer.delay = delay
        return answer

    def removed(self, how: str, visits: int, notice: Notice) -> Answer:
        furniture = self.furniture(visits)
        if how == "redirect_home":
            return Answer(302, [("Location", self.base_url + "/"), ("Content-Type", "text/html")], b"")
        choice = self.state.sites[self.key].template
        if how == "soft404_full":
            variant = choice.variant_for(notice.docid, self.state.generation)
            return self.page(200, render_gone(self.renderer, furniture, notice, choice.family, variant), "article", notice)
        if how == "notfound_page":
            return self.page(200, render_not_found(self.renderer, furniture, choice.family), "list")
        status = {"404": 404, "410": 410, "soft404": 200}[how]
        return self.page(status, self.renderer.render_message(furniture, REMOVED_TITLE, REMOVED_MESSAGE), "list")

    def not_found(self, visits: int, path: str = "") -> Answer:
        """404, or with ``soft_not_found`` and a path under a column, 200 + the site's not-found page."""
        furniture = self.furniture(visits)
        state = self.state.sites[self.key]
        if state.soft_not_found and self.renderer.under_column(path):
            return self.page(200, render_not_found(self.renderer, furniture, state.template.family), "list")
        return self.page(404, self.renderer.render_message(furniture, "404", NOT_FOUND_MESSAGE), "list")

    def page(self, status: int, text: str, kind: str, notice: Notice | None = None) -> Answer:
        r = self.renderer
        script = self.state.sites[self.key].template.script
        if script != "simplified":
            text = convert_script(text, script)
        return Answer(status, [("Content-Type", r.content_type(kind, notice))], r.encode(text))

    def static(self, path: str) -> Answer:
        name = path[len("/static/") :]
        file = STATIC / name
        if "/" in name or not file.is_file():
            return html_answer(404, "<html><body>404</body></html>")
        ctype = STATIC_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        return Answer(200, [("Content-Type", ctype)], file.read_bytes())

    def validators(self, notice: Notice) -> list[tuple[str, str]]:
        etag, last_modified = self.state.validators(self.key, notice)
        return [("ETag", etag), ("Last-Modified", format_datetime(last_modified, usegmt=True))]

    def not_modified(self, notice: Notice, headers) -> bool:
        """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
        etag, last_modified = self.state.validators(self.key, notice)
        inm = headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            return since.tzinfo is not None and last_modified.replace(microsecond=0) <= since
        return False


def quiet_handle_error(request, client_address) -> None:
    """A client that hangs up (a crawler cutting off an endless body) is no server error."""
    if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
        traceback.print_exc()


class PortalHandler(BaseHTTPRequestHandler):
    """Thin HTTP glue: asks the :class:`SiteServer` for an answer and writes it."""

    site: SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "SamplePortal/1.0"
    sys_version = ""
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.respond(head=False)

    def do_HEAD(self) -> None:
        self.respond(head=True)

    def respond(self, *, head: bool) -> None:
        answer = self.site.answer(self.path, self.headers)
        if answer.delay > 0 and self.site.stop_event.wait(answer.delay):
            self.close_connection = True
            return
        if answer.reset:  # RST instead of an answer: SO_LINGER with a zero timeout, then close
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.length == -1:  # a body without end: no length, the connection closes after it
            self.close_connection = True
        elif answer.status != 304:
            length = answer.length if answer.length is not None else len(answer.body)  # type: ignore[arg-type]
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if head or answer.status == 304:
            return
        try:
            if isinstance(answer.body, bytes):
                self.wfile.write(answer.body)
            else:
                for chunk in answer.body:
                    if self.site.stop_event.is_set():
                        break
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        """Quiet: the request log in PortalState is the record tests read."""
