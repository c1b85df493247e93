"""Config keys for list walking, mass changes and the not-found probe: defaults and clear errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config
from monitor.crawl import is_full_walk

SITE = '[[site]]\nname = "hunan"\nstart_urls = ["https://www.hunan.gov.cn/hnyw/zwdt/index.html"]\n'
REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_site_walks_whole_columns_and_guards_against_mass_changes(tmp_path):
    site = load_config(write(tmp_path, SITE)).site("hunan")
    assert site.max_list_pages is None and site.list_page_cap == 1000 and site.list_pages_per_column == 1000
    assert site.full_walk_every == 10
    assert (site.mass_change_share, site.mass_change_min, site.not_found_probe) == (0.3, 5, True)
    assert [is_full_walk(site, n) for n in range(12)] == [True] + [False] * 9 + [True, False]


def test_max_list_pages_is_an_explicit_limit_instead_of_the_cap(tmp_path):
    site = load_config(write(tmp_path, SITE + "max_list_pages = 3\n")).site("hunan")
    assert site.list_pages_per_column == 3


def test_top_level_mass_change_keys_are_every_sites_default(tmp_path):
    config = load_config(write(tmp_path, "mass_change_share = 0.5\nmass_change_min = 20\n" + SITE
                               + '[[site]]\nname = "gd"\nstart_urls = ["https://www.gd.gov.cn/"]\n'
                               + "mass_change_share = 0.8\n"))
    assert (config.site("hunan").mass_change_share, config.site("hunan").mass_change_min) == (0.5, 20)
    assert (config.site("gd").mass_change_share, config.site("gd").mass_change_min) == (0.8, 20)


@pytest.mark.parametrize("line, key, hint", [
    ("list_page_cap = 0", "list_page_cap", "≥ 1"),
    ("full_walk_every = \"weekly\"", "full_walk_every", "every list page in every round"),
    ("max_list_pages = 0", "max_list_pages", "whole columns"),
    ("mass_change_share = 30", "mass_change_share", "from 0.01 to 1"),
    ("mass_change_min = 2.5", "mass_change_min", "integer"),
    ("not_found_probe = \"yes\"", "not_found_probe", "true or false"),
])
def test_bad_values_name_the_site_and_key_and_what_is_valid(tmp_path, line, key, hint):
    path = write(tmp_path, SITE + line + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "'hunan'" in message and repr(key) in message and hint in message


def test_a_bad_top_level_default_is_reported_at_the_top_level(tmp_path):
    path = write(tmp_path, "mass_change_share = 0\n" + SITE)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "'mass_change_share'" in str(info.value) and "'hunan'" not in str(info.value)


def test_sites_example_documents_every_new_key_and_parses():
    text = (REPO / "sites.example.toml").read_text(encoding="utf-8")
    for key in ("list_page_cap", "full_walk_every", "max_list_pages", "mass_change_share", "mass_change_min",
                "not_found_probe"):
        assert key in text, key
    load_config(REPO / "sites.example.toml")
