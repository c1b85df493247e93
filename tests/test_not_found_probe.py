"""The site's own not-found page: probed once per round, fingerprinted, and a notice that
answers with it is removed, with a note saying so. The probe is never a notice."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.not_found import fingerprint, is_not_found_page
from monitor.recorder import NOT_FOUND_PAGE_NOTE
from storage.archive import Archive
from tests.conftest import make_setup
from tests.test_monitor import changes, check

PROBE = "pw-probe-"


def probes(portal, site: str) -> list[str]:
    return [path for path, n in portal.requests(site).items() for _ in range(n) if PROBE in path]


def test_notice_answering_with_the_sites_not_found_page_is_removed_with_the_probe_note(portal, tmp_path):
    portal.set_not_found_page("hunan")
    setup = make_setup(portal, tmp_path, retries=0, timeout=5)
    check(setup)
    url = portal.article_url("hunan", 3)
    portal.remove_notice("hunan", 3, how="notfound_page")
    portal.churn_boilerplate()
    report = check(setup)
    assert report["changes"] == {"removed": 1}, report
    [removed] = changes(setup, kinds=["removed"])
    assert (removed.url, removed.note) == (url, NOT_FOUND_PAGE_NOTE)
    assert check(setup)["changes"] == {}
    portal.restore_notice("hunan", 3)
    assert check(setup)["changes"] == {"restored": 1}
    with Archive(setup.archive_path, readonly=True) as archive:
        learnt = archive.not_found_page("hunan")
        assert learnt.status == 200 and learnt.fingerprint and PROBE in learnt.url
        assert archive.page_state(url).status == "live"


def test_probe_is_fetched_once_per_round_and_never_becomes_a_notice(portal, tmp_path):
    setup = make_setup(portal, tmp_path, retries=0, timeout=5)
    check(setup)
    check(setup)
    for site in portal.sites:
        sent = probes(portal, site)
        assert len(sent) == 2, (site, sent)
        column_dirs = {u.removeprefix(portal.base_url(site)).rsplit("/", 1)[0] for u in portal.start_urls(site)}
        assert all(path.rsplit("/", 1)[0] in column_dirs for path in sent), sent
        notice_suffix = ".htm" if site == "govcn" else ".html"
        assert all(path.endswith(notice_suffix) for path in sent), sent
    with Archive(setup.archive_path, readonly=True) as archive:
        assert not [p.url for p in archive.pages() if PROBE in p.url]
        assert not [c for c in archive.changes() if PROBE in c.url]
        # The sample portal answers a real 404: nothing to recognise a notice by.
        learnt = archive.not_found_page("hunan")
        assert (learnt.status, learnt.fingerprint) == (404, None)
    pages = setup.json_lines("pages")
    assert pages and not [p for p in pages if PROBE in p["url"]]
    exported = setup.invoke("export", "--format", "jsonl").output
    assert PROBE not in exported


class RobotsSite:
    """A one-column site on 127.0.0.1 whose robots.txt forbids the probe's name; every other
    unknown URL answers 200 with a not-found page."""

    NOTICE = ("<html><head><meta charset=utf-8><title>关于开展{n}号防汛检查的通知</title></head><body>"
              "<h1>关于开展{n}号防汛检查的通知</h1><div>发布时间：2024-06-0{n} 09:00 来源：市水利局</div>"
              "<div id=zoom><p>各区县水利局：为做好今年防汛工作，现就开展汛前检查有关事项通知如下。</p>"
              "<p>一、检查范围包括全市中小型水库、堤防和山洪灾害防治设施，共计12{n}处。</p></div></body></html>")

    def __init__(self) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.paths.append(self.path)
                if self.path == "/robots.txt":
                    body, kind = b"User-agent: *\nDisallow: /xxgk/pw-probe-\n", "text/plain"
                elif self.path == "/xxgk/index.html":
                    links = "".join(f'<li><a href="/xxgk/202406/t2024060{n}_{n}.html">通知{n}</a></li>' for n in (1, 2))
                    body, kind = f"<html><body><ul>{links}</ul></body></html>".encode(), "text/html; charset=utf-8"
                elif self.path.startswith("/xxgk/202406/t2024060"):
                    n = self.path[-6]
                    body, kind = site.NOTICE.format(n=n).encode(), "text/html; charset=utf-8"
                else:
                    body, kind = "<html><body><p>对不起，您要访问的信息正在维护中</p></body></html>".encode(), \
                        "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots_site():
    site = RobotsSite()
    yield site
    site.close()


def test_probe_obeys_robots_txt(robots_site, tmp_path):
    from click.testing import CliRunner

    from monitor.cli import cli

    config = tmp_path / "sites.toml"
    netloc = robots_site.base.removeprefix("http://")
    config.write_text(f'archive = "a.db"\n[[site]]\nname = "robots"\nstart_urls = ["{robots_site.base}/xxgk/index.html"]\n'
                      f'allowed_domains = ["{netloc}"]\ndownload_delay = 0\nretries = 0\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["crawl", "--workers", "0", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fetched"] == 2
    assert "/robots.txt" in robots_site.paths
    assert not [path for path in robots_site.paths if PROBE in path]
    with Archive(tmp_path / "a.db", readonly=True) as archive:
        assert archive.not_found_page("robots") is None
        assert len(archive.pages()) == 2


# -- the fingerprint itself ------------------------------------------------------------------------

FRAME = ("<html><head><title>{title}_示范市人民政府</title></head><body>"
         "<div class=top>示范市人民政府门户网站 今天是2026年{day}日 星期三</div>"
         "<ul class=nav>" + "".join(f"<li><a href='/c{i}/'>栏目名称第{i}个栏目</a></li>" for i in range(30)) + "</ul>"
         "<div class=main>{main}</div>"
         "<div class=side><h3>热点专题</h3>" + "".join(f"<p>专题活动宣传第{i}期</p>" for i in range(20)) + "</div>"
         "<div class=foot>主办：示范市人民政府办公室 网站标识码：4301000000 访问量：{visits}</div></body></html>")
NOT_FOUND_MAIN = "<h2>对不起，您要访问的信息可能已被移走</h2><p>您访问的地址：{path}</p>"


def page(title: str, main: str, *, day: int = 5, visits: int = 1) -> bytes:
    return FRAME.format(title=title, main=main, day=day, visits=visits).encode()


def test_not_found_page_is_recognised_whatever_the_counters_dates_and_echoed_path():
    probe = fingerprint(page("页面提示", NOT_FOUND_MAIN.format(path="/xxgk/pw-probe-1a2b3c.html")), "text/html")
    later = page("页面提示", NOT_FOUND_MAIN.format(path="/xxgk/202406/t20240601_17.html"), day=6, visits=98765)
    assert probe is not None and is_not_found_page(later, "text/html", probe)


def test_a_short_notice_in_a_heavy_template_is_not_the_not_found_page():
    probe = fingerprint(page("页面提示", NOT_FOUND_MAIN.format(path="/x/pw-probe-1.html")), "text/html")
    notice = page("关于停水的通知", "<h1>关于停水的通知</h1><p>6月5日8时至18时停水，请做好储水准备。</p>")
    assert not is_not_found_page(notice, "text/html", probe)


def test_a_page_with_no_text_gives_no_fingerprint():
    assert fingerprint(b"<html><body><script>location='/'</script></body></html>", "text/html") is None
    assert not is_not_found_page(page("页面提示", ""), "text/html", [])
