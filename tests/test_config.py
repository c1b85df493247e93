"""sites.toml parsing: minimal entries work, mistakes are located and explained."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_site_needs_only_name_and_start_urls(tmp_path):
    config = load_config(write(tmp_path, '[[site]]\nname = "hunan"\nstart_urls = ["https://www.hunan.gov.cn/zwdt/"]\n'))
    site = config.site("hunan")
    assert site.allowed_domains == ("www.hunan.gov.cn",)
    assert site.obey_robots is True
    assert site.download_delay > 0
    assert config.archive == Path("portalwatch.db")


def test_archive_path_is_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, 'archive = "data/a.db"\n'))
    assert config.archive == tmp_path / "data" / "a.db"


def test_bad_value_names_file_site_and_key(tmp_path):
    path = write(tmp_path, '[[site]]\nname = "gd"\nstart_urls = ["https://www.gd.gov.cn/"]\ndownload_delay = "fast"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "'gd'" in message and "download_delay" in message and "number" in message


@pytest.mark.parametrize(
    "body, key",
    [
        ('name = "x"\nstart_urls = []', "start_urls"),
        ('name = "x"\nstart_urls = ["ftp://a"]', "start_urls"),
        ('name = "x"\nstart_urls = ["https://a.gov.cn/"]\narticle_pattern = "(("', "article_pattern"),
        ('name = "x"\nstart_urls = ["https://a.gov.cn/"]\nschedule = { cron = "61 * * * *" }', "schedule.cron"),
        ('name = "x"\nstart_urls = ["https://a.gov.cn/"]\nschedule = { every = "soon" }', "schedule.every"),
        ('name = "x"\nstart_urls = ["https://a.gov.cn/"]\ncontent_selecter = "#zoom"', None),
        ('name = "x"\nstart_urls = ["https://a.gov.cn/"]\ncontent_selector = "div[["', "content_selector"),
    ],
)
def test_invalid_site_entries_are_rejected_with_the_key(tmp_path, body, key):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f"[[site]]\n{body}\n"))
    if key:
        assert repr(key) in str(info.value)
    else:
        assert "content_selecter" in str(info.value) and "content_selector" in str(info.value)


def test_site_table_instead_of_array_is_explained(tmp_path):
    with pytest.raises(ConfigError, match=r"\[\[site\]\]"):
        load_config(write(tmp_path, '[site]\nname = "x"\n'))


def test_broken_toml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[[site]\nname = \n"))


def test_duplicate_site_names_are_rejected(tmp_path):
    entry = '[[site]]\nname = "x"\nstart_urls = ["https://a.gov.cn/"]\n'
    with pytest.raises(ConfigError, match="unique"):
        load_config(write(tmp_path, entry + entry))


def test_schedule_interval_and_cron_with_jitter(tmp_path):
    config = load_config(write(tmp_path, (
        '[[site]]\nname = "a"\nstart_urls = ["https://a.gov.cn/"]\nschedule = { every = "2h", jitter = "10m" }\n'
        '[[site]]\nname = "b"\nstart_urls = ["https://b.gov.cn/"]\nschedule = { cron = "0 */3 * * *" }\n')))
    assert config.site("a").schedule.every_seconds == 7200 and config.site("a").schedule.jitter_seconds == 600
    assert config.site("b").schedule.cron == "0 */3 * * *" and config.site("b").schedule.every_seconds is None


def test_shipped_example_config_is_valid():
    config = load_config(REPO / "sites.example.toml")
    assert {s.name for s in config.sites} >= {"hunan", "guangdong", "zhejiang", "jiangsu"}


def test_unknown_site_name_lists_known_ones(tmp_path):
    config = load_config(write(tmp_path, '[[site]]\nname = "a"\nstart_urls = ["https://a.gov.cn/"]\n'))
    with pytest.raises(ConfigError, match="sites: a"):
        config.site("zz")
