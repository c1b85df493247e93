"""A site's Traditional (繁體) mirror: the same notice at two addresses is one notice with
captures from both, compared as one; real crawls of the sample portal's /big5/ mirror."""
from __future__ import annotations

import json

import pytest

from monitor.config import SITE_DEFAULTS, ConfigError, load_config
from spiders.links import primary_address
from storage.archive import Archive
from tests.conftest import make_setup


def check(setup) -> dict:
    return json.loads(setup.invoke("check", "--recheck", "all", "--workers", "0", "--json").output)


@pytest.fixture
def mirrored(portal, tmp_path):
    """hunan with its /big5/ mirror, whose columns are start URLs as well."""
    portal.set_mirror("hunan", "/big5/")
    base = portal.base_url("hunan")
    primary = portal.start_urls("hunan")
    return make_setup(portal, tmp_path, sites=["hunan"], retries=0, timeout=5,
                      start_urls=primary + [portal.mirror_url(url) for url in primary],
                      mirrors=[{"prefix": f"{base}/big5/", "of": f"{base}/"}])


def test_each_notice_is_one_page_with_captures_from_both_addresses(mirrored):
    portal = mirrored.portal
    first = check(mirrored)
    assert set(first["changes"]) == {"new"}
    listed = portal.article_urls("hunan", listed_only=True)
    pages = mirrored.json_lines("pages")
    assert sorted(p["url"] for p in pages) == sorted(listed)
    assert first["changes"]["new"] == len(listed)
    second = check(mirrored)
    assert second["changes"] == {}, second
    with Archive(mirrored.archive_path, readonly=True) as archive:
        for url in listed:
            captures = archive.captures(url)
            addresses = {c.address for c in captures}
            assert addresses == {url, portal.mirror_url(url)}, url
            assert {c.outcome for c in captures if c.address != url} <= {"new", "same_content", "unchanged"}
            assert len(archive.versions(url)) == 1, url
        assert not archive.changes(kinds=["edited", "removed", "delisted", "unreachable"])


def test_an_edit_on_the_primary_address_raises_exactly_one_edited(mirrored):
    portal = mirrored.portal
    check(mirrored)
    url = portal.article_url("hunan", 1)
    portal.edit_notice("hunan", 1)
    report = check(mirrored)
    assert report["changes"] == {"edited": 1}, report
    (edited,) = [json.loads(line) for line in mirrored.invoke("changes", "--kind", "edited", "--json")
                 .output.splitlines()]
    assert edited["url"] == url and edited["fields"] == ["text"]
    assert check(mirrored)["changes"] == {}


def test_a_broken_mirror_never_raises_a_change(mirrored):
    """Mirror captures are kept and compared, but only the primary address changes a notice."""
    portal = mirrored.portal
    check(mirrored)
    url = portal.article_url("hunan", 2)
    portal.set_mirror("hunan", "/big5/", drops_notices=True)  # listed on the mirror, 404 there
    report = check(mirrored)
    assert report["changes"] == {}, report
    with Archive(mirrored.archive_path, readonly=True) as archive:
        assert archive.page_state(url).status == "live"
        last_at_mirror = [c for c in archive.captures(url) if c.address == portal.mirror_url(url)][-1]
        assert (last_at_mirror.status, last_at_mirror.outcome) == (404, "removed")
    portal.edit_notice("hunan", 2)
    assert check(mirrored)["changes"] == {"edited": 1}


def test_mirror_addresses_map_onto_primary_addresses():
    mirrors = [("https://big5.www.gov.cn/gate/big5/www.gov.cn/", "https://www.gov.cn/"),
               ("https://www.hunan.gov.cn/big5/", "https://www.hunan.gov.cn/")]
    assert primary_address("https://www.hunan.gov.cn/big5/hnyw/202403/t20240305_1.html", mirrors) == \
        "https://www.hunan.gov.cn/hnyw/202403/t20240305_1.html"
    assert primary_address("https://big5.www.gov.cn/gate/big5/www.gov.cn/zhengce/content_1.htm", mirrors) == \
        "https://www.gov.cn/zhengce/content_1.htm"
    assert primary_address("https://www.hunan.gov.cn/hnyw/202403/t20240305_1.html", mirrors) is None


SITE = '[[site]]\nname = "hunan"\nstart_urls = ["https://www.hunan.gov.cn/hnyw/index.html"]\n'


def test_mirror_hosts_join_the_default_allowed_domains(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(SITE + 'mirrors = [{ prefix = "https://big5.hunan.gov.cn/", of = "https://www.hunan.gov.cn/" }]\n',
                    encoding="utf-8")
    site = load_config(path).site("hunan")
    assert site.allowed_domains == ("www.hunan.gov.cn", "big5.hunan.gov.cn")
    assert site.mirrors[0].prefix == "https://big5.hunan.gov.cn/"


@pytest.mark.parametrize("value, hint", [
    ('["https://www.hunan.gov.cn/big5/"]', "list of tables"),
    ('[{ prefix = "https://www.hunan.gov.cn/big5/" }]', "missing key(s) ['of']"),
    ('[{ prefix = "https://www.hunan.gov.cn/big5/", of = "https://www.hunan.gov.cn/", to = "x" }]', "unknown key"),
    ('[{ prefix = "https://www.hunan.gov.cn/big5", of = "https://www.hunan.gov.cn/" }]', "ending in '/'"),
    ('[{ prefix = "ftp://www.hunan.gov.cn/big5/", of = "https://www.hunan.gov.cn/" }]', "http(s) URL prefix"),
    ('[{ prefix = "https://www.hunan.gov.cn/", of = "https://www.hunan.gov.cn/zw/" }]', "must not itself be"),
])
def test_bad_mirrors_name_the_file_site_and_key(tmp_path, value, hint):
    path = tmp_path / "sites.toml"
    path.write_text(SITE + f"mirrors = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "'hunan'" in message and "'mirrors'" in message and hint in message


def test_a_mirror_off_the_explicit_allowed_domains_is_an_error(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(SITE + 'allowed_domains = ["www.hunan.gov.cn"]\n'
                    'mirrors = [{ prefix = "https://big5.hunan.gov.cn/", of = "https://www.hunan.gov.cn/" }]\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="allowed_domains"):
        load_config(path)


def test_sites_example_documents_every_site_key_mirrors_included():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "sites.example.toml"
    text = path.read_text(encoding="utf-8")
    assert [key for key in SITE_DEFAULTS if f"{key} =" not in text] == []
    assert load_config(path).site("hunan").mirrors == ()
