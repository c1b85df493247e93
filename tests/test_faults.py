"""The fault portal: each named misbehaviour of the sample portal (sampleportal.behaviours)
crawled by the real CLI, and what the archive then holds."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from sampleportal import SamplePortal
from sampleportal.behaviours import DEEP_SENTENCE, arrivals
from storage.archive import Archive
from tests.conftest import make_setup

AT = "2026-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def faulted(tmp_path_factory):
    """One crawl of every fault URL (known pending pages are fetched whatever their shape)."""
    with SamplePortal(articles_per_site=5) as portal:
        base = portal.base_url("hunan")
        other = portal.base_url("zhejiang")
        port = urlsplit(base).port
        urls = {
            "slow": f"{base}/_test/slow?seconds=4",
            "reset": f"{base}/_test/reset",
            "storm": f"{base}/_test/storm",
            "too-many": f"{base}/_test/too-many?after=1",
            "loop": f"{base}/_test/loop",
            "to-other-port": f"{base}/_test/redirect-to?url={other}/admin/secret",
            "to-private": f"{base}/_test/redirect-to?url=http://10.1.2.3/admin/secret",
            "to-localhost": f"{base}/_test/redirect-to?url=http://localhost:{port}/_test/deep",
            "to-file": f"{base}/_test/redirect-to?url=file:///etc/passwd",
            "gzip-bomb": f"{base}/_test/gzip-bomb",
            "endless": f"{base}/_test/endless",
            "binary": f"{base}/_test/binary",
            "empty": f"{base}/_test/empty",
            "deep": f"{base}/_test/deep",
            "invalid-bytes": f"{base}/_test/invalid-bytes",
        }
        # localhost is one of the site's domains (as a public name pointing at a private
        # address would be): only the resolved-address check can refuse it.
        setup = make_setup(portal, tmp_path_factory.mktemp("faults"), sites=["hunan"], timeout=2, retries=2,
                           allowed_domains=[portal.netloc("hunan"), f"localhost:{port}"])
        with Archive(setup.archive_path) as archive, archive.transaction():
            for url in urls.values():
                archive.ensure_page("hunan", url, AT)
        result = setup.invoke("crawl", "--workers", "0", "--recheck", "all", "--json")
        report = json.loads(result.output.splitlines()[0])
        with Archive(setup.archive_path, readonly=True) as archive:
            yield portal, urls, report, archive


def last_capture(archive, url):
    return archive.captures(url)[-1]


def no_version(archive, url) -> bool:
    return not archive.versions(url)


def test_slow_page_beyond_the_timeout_is_a_failed_fetch(faulted):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls["slow"])
    assert capture.status == 0 and "timeout" in capture.error.lower() and no_version(archive, urls["slow"])


def test_connection_reset_is_a_failed_fetch(faulted):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls["reset"])
    assert (capture.status, capture.outcome) == (0, "error") and no_version(archive, urls["reset"])


def test_5xx_storm_is_retried_then_recorded_as_failed(faulted):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls["storm"])
    assert capture.status in (500, 502, 503) and capture.outcome == "error"
    assert len(arrivals("/_test/storm")) == 3  # the request and its two retries
    assert no_version(archive, urls["storm"])


def test_429_retry_after_is_honoured_then_the_page_is_stored(faulted):
    _, urls, _, archive = faulted
    first, second = arrivals("/_test/too-many")[:2]
    assert second - first >= 1.0
    assert "限流后的公告" in archive.version(urls["too-many"]).title


def test_redirect_loop_ends_as_a_failed_fetch(faulted):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls["loop"])
    assert capture.outcome == "error" and "redirect" in capture.error.lower()


@pytest.mark.parametrize("name", ["to-other-port", "to-private", "to-localhost", "to-file"])
def test_redirect_out_of_scope_is_refused_and_explained_never_stored(faulted, name):
    portal, urls, _, archive = faulted
    capture = last_capture(archive, urls[name])
    assert capture.outcome == "refused" and capture.error.startswith("redirect to ")
    assert "refused" in capture.error and capture.body_sha256 is None
    assert no_version(archive, urls[name])
    assert portal.request_count("zhejiang", "/admin/secret") == 0


def test_localhost_redirect_is_refused_on_its_resolved_loopback_address(faulted):
    _, urls, _, archive = faulted
    assert "loopback" in last_capture(archive, urls["to-localhost"]).error


@pytest.mark.parametrize("name", ["gzip-bomb", "endless"])
def test_oversized_bodies_are_cut_off_and_recorded_as_failed(faulted, name):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls[name])
    assert capture.status == 0 and capture.outcome == "error" and no_version(archive, urls[name])


def test_binary_served_as_html_is_a_not_html_capture_never_a_version(faulted):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls["binary"])
    assert capture.outcome == "not_html" and "PNG" in capture.error
    assert archive.raw_body(capture.body_sha256).startswith(b"\x89PNG")
    assert no_version(archive, urls["binary"])


def test_empty_200_is_a_failed_fetch(faulted):
    _, urls, _, archive = faulted
    capture = last_capture(archive, urls["empty"])
    assert (capture.status, capture.outcome) == (200, "error") and "empty body" in capture.error
    assert no_version(archive, urls["empty"])


def test_page_nested_6000_deep_keeps_its_body(faulted):
    _, urls, _, archive = faulted
    assert DEEP_SENTENCE in archive.version(urls["deep"]).text


def test_invalid_bytes_are_read_as_chinese_not_as_another_script(faulted):
    _, urls, _, archive = faulted
    text = archive.version(urls["invalid-bytes"]).text
    assert "森林防火" in text
    assert not re.search(r"[\u0400-\u04ff\u0600-\u06ff\u0e00-\u0e7f]", text)  # Cyrillic, Arabic, Thai


def test_the_crawl_went_on_past_every_fault(faulted):
    portal, _, report, archive = faulted
    stored = {p.url for p in archive.pages("hunan") if p.versions}
    assert set(portal.article_urls("hunan", listed_only=True)) <= stored
    assert report["failed"] >= 10


def test_pagination_trap_stops_when_pages_repeat(tmp_path):
    with SamplePortal(articles_per_site=3) as portal:
        base = portal.base_url("hunan")
        setup = make_setup(portal, tmp_path, sites=["hunan"], start_urls=[f"{base}/_test/trap/index.html"])
        setup.invoke("crawl", "--workers", "0")
        pages = [p for p in portal.requests("hunan") if p.startswith("/_test/trap/index")]
        assert len(pages) <= 3, pages
        with Archive(setup.archive_path, readonly=True) as archive:
            assert len([p for p in archive.pages("hunan") if p.versions]) == 3


def test_links_differing_in_tracking_parameters_or_fragments_are_one_notice(tmp_path):
    with SamplePortal(articles_per_site=3) as portal:
        base = portal.base_url("hunan")
        setup = make_setup(portal, tmp_path, sites=["hunan"], start_urls=[f"{base}/_test/tracking/index.html"])
        setup.invoke("crawl", "--workers", "0")
        with Archive(setup.archive_path, readonly=True) as archive:
            assert [p.url for p in archive.pages("hunan")] == [f"{base}/_test/tracking/t20260102_1.html"]
        assert sum(n for p, n in portal.requests("hunan").items() if "t20260102_1" in p) == 1


def test_flapping_page_is_reported_then_recognised_and_not_alerted_each_round(tmp_path):
    with SamplePortal(articles_per_site=3) as portal:
        url = f"{portal.base_url('hunan')}/_test/flapping"
        setup = make_setup(portal, tmp_path, sites=["hunan"])
        with Archive(setup.archive_path) as archive, archive.transaction():
            archive.ensure_page("hunan", url, AT)
        for _ in range(6):
            setup.invoke("check", "--workers", "0", "--recheck", "all")
        with Archive(setup.archive_path, readonly=True) as archive:
            kinds = [c.kind for c in archive.changes() if c.url == url]
            assert kinds == ["new", "edited", "edited"]  # first version, the flip, the flip back
            assert len(archive.versions(url)) == 2  # no version for content the archive has
            outcomes = [c.outcome for c in archive.captures(url)]
            assert outcomes[:3] == ["new", "changed", "reverted"] and set(outcomes[3:]) == {"flapping"}


def test_a_round_where_every_fetch_fails_exits_1(tmp_path):
    with SamplePortal(articles_per_site=3) as portal:
        base = portal.base_url("hunan")
        setup = make_setup(portal, tmp_path, sites=["hunan"], retries=0,
                           start_urls=[f"{base}/_test/status/503"])
        result = CliRunner().invoke(cli, ["crawl", "--workers", "0", "--config", str(setup.config_path)])
        assert result.exit_code == 1, result.output
        assert "every fetch" in result.output
