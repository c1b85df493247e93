"""sites.toml → one validated :class:`Config`, parsed once and handed down.

Defaults live in :data:`SITE_DEFAULTS`; nothing else in portalwatch reads config files or
environment variables for settings (alert secrets are expanded from the environment only
when an alert is sent, so they are never stored or logged). A config error names the file,
the site and the key, and says what would be valid.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from storage.warc import DEFAULT_MAX_SIZE as DEFAULT_WARC_MAX_SIZE

DEFAULT_ARCHIVE = Path("portalwatch.db")
# Attachments larger than this are not fetched (a notice's files are documents, not data dumps).
DEFAULT_ATTACHMENT_MAX_SIZE = 50 * 1000**2
DEFAULT_USER_AGENT = "portalwatch/0.1 (archival crawler; +https://pypi.org/project/portalwatch/)"

# Every key a [[site]] table may hold, with its default.
SITE_DEFAULTS: dict[str, object] = {
    "allowed_domains": None,  # default: the hosts of start_urls
    "article_pattern": None,  # regex; default: the common CMS article URL shapes
    "list_pattern": None,  # regex for pagination pages; default: index_N / home_N / 下一页
    "content_selector": None,  # CSS selector of the body container; default: automatic
    "max_list_pages": None,  # a fixed limit of list pages per column and round; default: whole columns
    "list_page_cap": 1000,  # safety cap on list pages per column when walking whole columns
    "full_walk_every": 10,  # every Nth round reads every list page of every column
    "max_articles": None,
    "download_delay": 1.0,
    "concurrency_per_domain": 2,
    "obey_robots": True,
    # Follow links and redirects to loopback, link-local, private or reserved addresses (an
    # intranet portal). Off by default: only the hosts of the site's own start URLs may be there.
    "allow_private": False,
    "user_agent": DEFAULT_USER_AGENT,
    "timeout": 30.0,
    "retries": 2,
    "schedule": None,
    "alerts": [],
    "recheck": None,
    "mass_change_share": 0.3,  # this share of re-checked notices edited in one round is one batch
    "mass_change_min": 5,  # ... when at least this many were edited
    "not_found_probe": True,  # learn the site's own not-found page once per round
    "mirrors": [],  # Traditional (繁體) mirrors: [{ prefix = mirror URL prefix, of = primary URL prefix }]
    "warc": True,  # also write every fetch to WARC files next to the archive (storage.warc)
    "attachments": True,  # fetch the files linked from notices (monitor.attachments)
    "attachment_max_size": "50MB",  # a larger attachment is not fetched (bytes, or "50MB")
}

# Keys that may also be set at the top level of the file, as the default of every site.
GLOBAL_SITE_KEYS = ("mass_change_share", "mass_change_min", "warc", "attachments", "attachment_max_size")

SCHEDULE_DEFAULTS = {"every": "1h", "cron": None, "jitter": "0s"}
RECHECK_DEFAULTS = {"recent_days": 30, "older_every": 6, "unreachable_after": 3}
TOP_LEVEL_KEYS = {"archive", "site", "alerts", "feed", "changelog", "user_agent", "warc_max_size",
                  *GLOBAL_SITE_KEYS}
# A WARC file is closed and the next one started once it is this large (bytes, or "500MB", "1GB").
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
_UNIT_BYTES = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, None: 1}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class ConfigError(Exception):
    """A sites.toml problem, located by file, site and key."""

    def __init__(self, message: str, *, file: Path | str | None = None, site: str | None = None,
                 key: str | None = None) -> None:
        where = [str(file) if file else "config"]
        if site is not None:
            where.append(f"site {site!r}")
        if key is not None:
            where.append(f"key {key!r}")
        super().__init__(": ".join(where) + ": " + message)
        self.file, self.site, self.key = file, site, key


@dataclass(frozen=True)
class Schedule:
    """When a site is re-crawled: every N seconds, or a cron expression; plus jitter."""

    every_seconds: float | None = 3600.0
    cron: str | None = None
    jitter_seconds: float = 0.0


@dataclass(frozen=True)
class RecheckPolicy:
    """Which known notices are re-fetched each round.

    Notices published (or first seen) within ``recent_days`` are re-fetched every round;
    older ones every ``older_every`` rounds. ``unreachable_after`` failed fetches in a row
    make a notice ``unreachable``.
    """

    recent_days: int = 30
    older_every: int = 6
    unreachable_after: int = 3


MIRROR_KEYS = ("prefix", "of")
MIRROR_EXAMPLE = 'mirrors = [{ prefix = "https://www.hunan.gov.cn/big5/", of = "https://www.hunan.gov.cn/" }]'


@dataclass(frozen=True)
class Mirror:
    """A second address of the site's notices, usually its 繁體 version: the notice at
    ``prefix + rest`` is the notice at ``of + rest`` (one page, captures from both)."""

    prefix: str
    of: str


@dataclass(frozen=True)
class SiteConfig:
    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_pattern: str | None = None
    list_pattern: str | None = None
    content_selector: str | None = None
    max_list_pages: int | None = None
    list_page_cap: int = 1000
    full_walk_every: int = 10
    max_articles: int | None = None
    download_delay: float = 1.0
    concurrency_per_domain: int = 2
    obey_robots: bool = True
    allow_private: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    retries: int = 2
    schedule: Schedule = field(default_factory=Schedule)
    alerts: tuple[str, ...] = ()
    recheck: RecheckPolicy = field(default_factory=RecheckPolicy)
    mass_change_share: float = 0.3
    mass_change_min: int = 5
    not_found_probe: bool = True
    mirrors: tuple[Mirror, ...] = ()
    warc: bool = True
    attachments: bool = True
    attachment_max_size: int = DEFAULT_ATTACHMENT_MAX_SIZE

    @property
    def list_pages_per_column(self) -> int:
        """The most list pages read per column in one round: ``max_list_pages`` when set,
        else the ``list_page_cap`` safety cap."""
        return self.max_list_pages if self.max_list_pages is not None else self.list_page_cap


@dataclass(frozen=True)
class Config:
    path: Path | None
    archive: Path
    sites: tuple[SiteConfig, ...]
    alerts: tuple[str, ...] = ()
    feed_path: Path | None = None
    changelog_path: Path | None = None
    warc_max_size: int = DEFAULT_WARC_MAX_SIZE

    def site(self, name: str) -> SiteConfig:
        for site in self.sites:
            if site.name == name:
                return site
        known = ", ".join(s.name for s in self.sites) or "none"
        raise ConfigError(f"no site named {name!r} (sites: {known})", file=self.path)

    def selected(self, name: str | None) -> tuple[SiteConfig, ...]:
        return (self.site(name),) if name else self.sites


def parse_duration(value: object, *, file: Path | None, site: str | None, key: str) -> float:
    """'90s', '15m', '2h', '1d' or a number of seconds."""
    if isinstance(value, bool):
        raise ConfigError(f"expected a duration like '30m', got {value!r}", file=file, site=site, key=key)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(
                f"expected a duration like '90s', '15m', '2h' or '1d', got {value!r}",
                file=file, site=site, key=key,
            )
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise ConfigError(f"a duration cannot be negative, got {value!r}", file=file, site=site, key=key)
    return seconds


def load_config(path: str | Path | None, *, archive: str | Path | None = None) -> Config:
    """Read and validate a sites.toml; ``path=None`` gives an empty config (archive only)."""
    if path is None:
        return Config(path=None, archive=Path(archive) if archive else DEFAULT_ARCHIVE, sites=())
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=path) from None
    return parse_config(raw, path=path, archive=archive)


def parse_config(raw: dict, *, path: Path | None = None, archive: str | Path | None = None) -> Config:
    unknown = set(raw) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s) {sorted(unknown)}; valid: {sorted(TOP_LEVEL_KEYS)}"
            " (sites go in [[site]] tables)", file=path,
        )
    base = path.parent if path else Path.cwd()

    def local_path(key: str) -> Path | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError("expected a file path string", file=path, key=key)
        return (base / value) if not Path(value).is_absolute() else Path(value)

    archive_path = Path(archive) if archive else (local_path("archive") or DEFAULT_ARCHIVE)
    global_alerts = _string_list(raw.get("alerts", []), file=path, site=None, key="alerts")
    default_agent = raw.get("user_agent", DEFAULT_USER_AGENT)
    site_defaults = {key: raw[key] for key in GLOBAL_SITE_KEYS if key in raw}
    sites_raw = raw.get("site", [])
    if not isinstance(sites_raw, list):
        raise ConfigError("sites must be an array of tables: write [[site]], not [site]", file=path, key="site")
    sites: list[SiteConfig] = []
    for index, site_raw in enumerate(sites_raw):
        site = _parse_site(site_raw, index=index, file=path, default_agent=default_agent,
                           site_defaults=site_defaults)
        if any(s.name == site.name for s in sites):
            raise ConfigError("two sites have this name; names must be unique", file=path, site=site.name,
                              key="name")
        sites.append(site)
    if not sites_raw and site_defaults:  # validate top-level site defaults even with no sites
        _parse_site({"name": "defaults", "start_urls": ["http://localhost/"]}, index=0, file=path,
                    default_agent=default_agent, site_defaults=site_defaults, top_level=True)
    return Config(
        path=path, archive=archive_path, sites=tuple(sites), alerts=tuple(global_alerts),
        feed_path=local_path("feed"), changelog_path=local_path("changelog"),
        warc_max_size=_parse_size(raw.get("warc_max_size", DEFAULT_WARC_MAX_SIZE), file=path, key="warc_max_size"),
    )


def _string_list(value: object, *, file: Path | None, site: str | None, key: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"expected a list of strings, got {value!r}", file=file, site=site, key=key)
    return list(value)


def _parse_site(raw: object, *, index: int, file: Path | None, default_agent: str,
                site_defaults: dict | None = None, top_level: bool = False) -> SiteConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"[[site]] number {index + 1} is not a table", file=file)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"[[site]] number {index + 1} needs a name of letters, digits, '-', '_' or '.', got {name!r}",
            file=file, key="name",
        )
    allowed_keys = set(SITE_DEFAULTS) | {"name", "start_urls"}
    unknown = set(raw) - allowed_keys
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)}; valid: {sorted(allowed_keys)}", file=file, site=name)

    def fail(key: str, message: str) -> ConfigError:
        # A value inherited from the top level is reported there, not on the site.
        inherited = key in (site_defaults or {}) and key not in own_keys
        return ConfigError(message, file=file, site=None if inherited or top_level else name, key=key)

    own_keys = set(raw)
    raw = {**(site_defaults or {}), **raw}

    start_urls = _string_list(raw.get("start_urls", []), file=file, site=name, key="start_urls")
    if not start_urls:
        raise fail("start_urls", "at least one start URL is required, e.g. start_urls = [\"https://www.hunan.gov.cn/\"]")
    for url in start_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise fail("start_urls", f"{url!r} is not an http(s) URL")
    mirrors = _parse_mirrors(raw.get("mirrors", []), fail)
    allowed = raw.get("allowed_domains")
    if allowed is None:
        hosts = [*start_urls, *(m.prefix for m in mirrors), *(m.of for m in mirrors)]
        allowed_domains = tuple(dict.fromkeys(urlsplit(u).hostname for u in hosts))
    else:
        allowed_domains = tuple(_string_list(allowed, file=file, site=name, key="allowed_domains"))
        from spiders.links import LinkRules

        rules = LinkRules(allowed_domains, attachment_extensions=())
        for mirror in mirrors:
            for url in (mirror.prefix, mirror.of):
                if not rules.allows(url):
                    raise fail("mirrors", f"{url!r} is not on the site's allowed_domains {list(allowed_domains)};"
                                          " add its host there (or leave allowed_domains out)")

    for key in ("article_pattern", "list_pattern"):
        pattern = raw.get(key)
        if pattern is not None:
            if not isinstance(pattern, str):
                raise fail(key, "expected a regular expression string")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise fail(key, f"not a valid regular expression: {exc}") from None
    selector = raw.get("content_selector")
    if selector is not None:
        from parsel import Selector  # Scrapy's selector library, to validate CSS now, not mid-crawl

        try:
            Selector(text="<html></html>").css(selector)
        except Exception as exc:  # noqa: BLE001 - cssselect and lxml raise several unrelated error types
            raise fail("content_selector", f"not a valid CSS selector: {exc}") from None

    def number(key: str, *, minimum: float, integer: bool = False, optional: bool = False,
               maximum: float | None = None, hint: str = ""):
        value = raw.get(key, SITE_DEFAULTS[key])
        if value is None and optional:
            return None
        kind = int if integer else (int, float)
        if (isinstance(value, bool) or not isinstance(value, kind) or value < minimum
                or (maximum is not None and value > maximum)):
            what = "an integer" if integer else "a number"
            bounds = f"≥ {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise fail(key, f"expected {what} {bounds}, got {value!r}{hint}")
        return value

    share = number("mass_change_share", minimum=0.01, maximum=1,
                   hint=" (the share of re-checked notices edited in one round that makes a batch, e.g. 0.3)")

    obey = raw.get("obey_robots", True)
    if not isinstance(obey, bool):
        raise fail("obey_robots", f"expected true or false, got {obey!r}")
    allow_private = raw.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise fail("allow_private", f"expected true or false, got {allow_private!r}")
    warc = raw.get("warc", True)
    if not isinstance(warc, bool):
        raise fail("warc", f"expected true or false, got {warc!r}")
    attachments = raw.get("attachments", True)
    if not isinstance(attachments, bool):
        raise fail("attachments", f"expected true or false, got {attachments!r}")
    try:
        attachment_max_size = _parse_size(raw.get("attachment_max_size", SITE_DEFAULTS["attachment_max_size"]),
                                          file=file, key="attachment_max_size")
    except ConfigError as exc:
        raise fail("attachment_max_size", str(exc).rsplit(": ", 1)[-1]) from None
    probe = raw.get("not_found_probe", True)
    if not isinstance(probe, bool):
        raise fail("not_found_probe", f"expected true or false, got {probe!r}")
    agent = raw.get("user_agent", default_agent)
    if not isinstance(agent, str) or not agent.strip():
        raise fail("user_agent", "expected a non-empty string")
    return SiteConfig(
        name=name,
        start_urls=tuple(start_urls),
        allowed_domains=allowed_domains,
        article_pattern=raw.get("article_pattern"),
        list_pattern=raw.get("list_pattern"),
        content_selector=selector,
        max_list_pages=number("max_list_pages", minimum=1, integer=True, optional=True,
                              hint=" (leave it out to read whole columns)"),
        list_page_cap=number("list_page_cap", minimum=1, integer=True),
        full_walk_every=number("full_walk_every", minimum=1, integer=True,
                               hint=" (1 reads every list page in every round)"),
        max_articles=number("max_articles", minimum=1, integer=True, optional=True),
        download_delay=float(number("download_delay", minimum=0)),
        concurrency_per_domain=number("concurrency_per_domain", minimum=1, integer=True),
        obey_robots=obey,
        allow_private=allow_private,
        user_agent=agent,
        timeout=float(number("timeout", minimum=0.1)),
        retries=number("retries", minimum=0, integer=True),
        schedule=_parse_schedule(raw.get("schedule"), file=file, site=name),
        alerts=tuple(_string_list(raw.get("alerts", []), file=file, site=name, key="alerts")),
        recheck=_parse_recheck(raw.get("recheck"), file=file, site=name),
        mass_change_share=float(share),
        mass_change_min=number("mass_change_min", minimum=1, integer=True),
        not_found_probe=probe,
        mirrors=mirrors,
        warc=warc,
        attachments=attachments,
        attachment_max_size=attachment_max_size,
    )


def _parse_size(value: object, *, file: Path | None, key: str) -> int:
    """A file size: a number of bytes, or "500MB", "1GB" (decimal units)."""
    match = _SIZE.match(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif match:
        size = int(float(match.group(1)) * _UNIT_BYTES[match.group(2).upper() if match.group(2) else None])
    else:
        raise ConfigError(f"expected a size like 1000000000, \"500MB\" or \"1GB\", got {value!r}", file=file, key=key)
    if size < 1:
        raise ConfigError(f"a size must be at least 1 byte, got {value!r}", file=file, key=key)
    return size


def _parse_mirrors(raw: object, fail) -> tuple[Mirror, ...]:
    """``mirrors = [{ prefix = "…/big5/", of = "…/" }, …]``: URL prefixes ending in '/'."""
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise fail("mirrors", f"expected a list of tables like {MIRROR_EXAMPLE}, got {raw!r}")
    mirrors: list[Mirror] = []
    for entry in raw:
        unknown = set(entry) - set(MIRROR_KEYS)
        missing = set(MIRROR_KEYS) - set(entry)
        if unknown or missing:
            what = f"unknown key(s) {sorted(unknown)}" if unknown else f"missing key(s) {sorted(missing)}"
            raise fail("mirrors", f"{what} in {entry!r}; each mirror has exactly 'prefix' (the mirror's"
                                  f" address prefix) and 'of' (the primary address prefix), e.g. {MIRROR_EXAMPLE}")
        for key in MIRROR_KEYS:
            value = entry[key]
            parts = urlsplit(value) if isinstance(value, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                    or parts.fragment or not value.endswith("/"):
                raise fail("mirrors", f"{key} = {value!r} is not an http(s) URL prefix ending in '/'"
                                      f" (without query or fragment), e.g. {MIRROR_EXAMPLE}")
        mirror = Mirror(prefix=entry["prefix"], of=entry["of"])
        if mirror.of.startswith(mirror.prefix):
            raise fail("mirrors", f"of = {mirror.of!r} lies under prefix = {mirror.prefix!r}: the primary"
                                  " address must not itself be a mirror address")
        if any(mirror.prefix.startswith(m.prefix) or m.prefix.startswith(mirror.prefix) for m in mirrors):
            raise fail("mirrors", f"prefix = {mirror.prefix!r} overlaps another mirror's prefix")
        mirrors.append(mirror)
    return tuple(mirrors)


def _parse_schedule(raw: object, *, file: Path | None, site: str) -> Schedule:
    if raw is None:
        return Schedule()
    if not isinstance(raw, dict):
        raise ConfigError("expected a table like { every = \"1h\", jitter = \"5m\" } or { cron = \"0 8 * * *\" }",
                          file=file, site=site, key="schedule")
    unknown = set(raw) - set(SCHEDULE_DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)}; valid: every, cron, jitter", file=file, site=site,
                          key="schedule")
    cron = raw.get("cron")
    if cron is not None:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cron)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"not a valid cron expression ({exc}); e.g. \"0 */2 * * *\"", file=file, site=site,
                              key="schedule.cron") from None
    every = None if cron is not None and "every" not in raw else parse_duration(
        raw.get("every", SCHEDULE_DEFAULTS["every"]), file=file, site=site, key="schedule.every")
    if every is not None and every < 1:
        raise ConfigError("must be at least 1s", file=file, site=site, key="schedule.every")
    jitter = parse_duration(raw.get("jitter", "0s"), file=file, site=site, key="schedule.jitter")
    return Schedule(every_seconds=every, cron=cron, jitter_seconds=jitter)


def _parse_recheck(raw: object, *, file: Path | None, site: str) -> RecheckPolicy:
    if raw is None:
        return RecheckPolicy()
    if not isinstance(raw, dict):
        raise ConfigError("expected a table like { recent_days = 30, older_every = 6 }", file=file, site=site,
                          key="recheck")
    values = dict(RECHECK_DEFAULTS)
    for key, value in raw.items():
        if key not in RECHECK_DEFAULTS:
            raise ConfigError(f"unknown key; valid: {sorted(RECHECK_DEFAULTS)}", file=file, site=site,
                              key=f"recheck.{key}")
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if key == "recent_days" else 1):
            raise ConfigError(f"expected a positive integer, got {value!r}", file=file, site=site,
                              key=f"recheck.{key}")
        values[key] = value
    return RecheckPolicy(**values)
