"""Tell watchers about changes through Apprise, without ever losing one or leaking a secret.

Every change goes to the global ``alerts`` targets plus its site's ``alerts`` targets, one
Apprise notification per target. A failing target is retried a few times with backoff,
logged, and recorded in the archive's ``deliveries`` table with ``ok = 0``;
:func:`retry_pending` (called at the start of each round) sends those again. Nothing here
raises on a delivery failure: the change is already safe in the archive and the feed.

A mass change (many notices of one site edited in one round, see :mod:`monitor.rounds`) is
one message for the site, recorded in ``batch_deliveries``; its member changes are never
alerted one by one.

Secrets: an Apprise URL in sites.toml may hold ``${ENV_VAR}`` references. They are expanded
from the environment only at send time, and only the redacted form of the URL as written
(scheme and host; credentials, paths, tokens and queries replaced by ``***``) is ever stored
or logged. While Apprise sends, a log filter masks the expanded secret values in Apprise's
own log lines too.
"""
from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import apprise

from monitor.batches import BatchText, describe_batch
from monitor.change_text import ChangeText, describe_change
from monitor.config import Config, ConfigError
from storage.archive import Archive, ArchiveError

log = logging.getLogger("portalwatch.alerts")

# ``${NAME}`` in an alert URL: the value comes from the environment at send time.
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"
# Loggers whose lines can hold a URL being sent to: every Apprise service writes to "apprise";
# urllib3 (under requests) logs each request line with its path at DEBUG.
URL_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry")

# Chat services (钉钉 DingTalk, 企业微信 WeCom, 飞书 Feishu/Lark, ...) show a message in a narrow
# bubble and some reject long ones: keep the body short. E-mail and generic JSON/form/XML
# webhooks can carry the long form.
CHAT_BODY_LIMIT = 1500
LONG_BODY_LIMIT = 8000
LONG_BODY_SCHEMES = frozenset({"mailto", "mailtos", "json", "jsons", "form", "forms", "xml", "xmls"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one delivery tries: ``attempts`` sends, waiting ``backoff_seconds`` × 2ⁿ between."""

    attempts: int = 3
    backoff_seconds: float = 2.0

    def wait_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2, 3, ...)."""
        return self.backoff_seconds * 2 ** (attempt - 2)


@dataclass(frozen=True)
class AlertTarget:
    """One configured Apprise URL: ``url`` as written (``${VARS}`` unexpanded), ``label`` redacted.

    The label is what the ``deliveries`` table and the log hold; :func:`retry_pending` finds
    the URL again by its label.
    """

    url: str
    label: str


@dataclass(frozen=True)
class DeliveryOutcome:
    change_id: int | None  # None for the alert of a mass change (see batch_id)
    target: str  # the redacted label
    ok: bool
    attempts: int
    error: str | None = None
    batch_id: int | None = None


@dataclass
class DeliveryReport:
    """What one call to :func:`deliver_changes` or :func:`retry_pending` did."""

    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    skipped: int = 0  # changes not alerted on (re-extractions, missing changes, already delivered)

    @property
    def delivered(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.ok)


class MissingSecret(Exception):
    """An alert URL names an environment variable that is not set."""


# -- URLs, secrets, labels -------------------------------------------------------------------


def redact_url(url: str) -> str:
    """``scheme://host[:port]`` with user info, path, query and token-like hosts as ``***``.

    A host is kept only when it reads as a host name or address (has a dot, is ``localhost``
    or a bracketed IPv6 address); many Apprise schemes (``dingtalk://TOKEN``) put the token
    where the host goes.
    """
    parts = urlsplit(url)
    if not parts.scheme:
        return MASK
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else (hostport, "", "")
    if not colon:
        host, port = hostport, ""
    shown_host = host if _looks_like_host(host) else MASK
    netloc = (f"{MASK}@" if at and userinfo else "") + shown_host + (f":{port}" if port.isdigit() else "")
    path = "/" + MASK if parts.path.strip("/") else parts.path
    query = "?" + MASK if parts.query else ""
    return f"{parts.scheme}://{netloc}{path}{query}"


def _looks_like_host(host: str) -> bool:
    if not host or "$" in host:
        return False
    return "." in host or host == "localhost" or host.startswith("[")


def expand_secrets(url: str, environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """The URL with ``${VAR}`` replaced from the environment, and the substituted values.

    Raises :class:`MissingSecret` naming the variable (never a value) when one is unset.
    """
    environ = os.environ if environ is None else environ
    values: list[str] = []

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingSecret(f"environment variable {name} is not set")
        values.append(environ[name])
        return environ[name]

    return ENV_REFERENCE.sub(substitute, url), values


def _hidden_parts(url: str) -> list[str]:
    """Pieces of an expanded URL that its redacted form hides: masked in Apprise's log lines."""
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    pieces = [url, *userinfo.split(":"), *parts.path.split("/"), *re.split(r"[&=]", parts.query)]
    host = hostport.rsplit(":", 1)[0]
    if not _looks_like_host(host):
        pieces.append(host)
    return [p for p in pieces if len(p) >= 3]


def targets_for(config: Config, site: str | None) -> list[AlertTarget]:
    """The global targets then the site's, each URL once, with labels unique within the list.

    Two URLs that redact alike (same host, different secret path) get labels ``… #2``,
    ``… #3`` in config order.
    """
    urls = list(config.alerts)
    if site:
        try:
            urls += config.site(site).alerts
        except ConfigError:
            pass  # a site dropped from the config keeps only the global targets
    targets: list[AlertTarget] = []
    seen_labels: dict[str, int] = {}
    for url in dict.fromkeys(urls):
        label = redact_url(url)
        seen_labels[label] = seen_labels.get(label, 0) + 1
        if seen_labels[label] > 1:
            label = f"{label} #{seen_labels[label]}"
        targets.append(AlertTarget(url, label))
    return targets


def body_limit(scheme: str) -> int:
    return LONG_BODY_LIMIT if scheme.lower() in LONG_BODY_SCHEMES else CHAT_BODY_LIMIT


# -- sending ---------------------------------------------------------------------------------


class _MaskSecrets(logging.Filter):
    """Rewrites Apprise's log records so no secret value reaches any handler."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        return True


class _Warnings(logging.Handler):
    """Keeps Apprise's warnings of one send: the error text of a failed delivery."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def send_alert(
    target: AlertTarget,
    title: str,
    change_text: ChangeText | BatchText,
    *,
    policy: RetryPolicy = RetryPolicy(),
    environ: Mapping[str, str] | None = None,
) -> tuple[bool, int, str | None]:
    """Send one notification, retrying; return (ok, attempts made, redacted error or None)."""
    try:
        url, values = expand_secrets(target.url, environ)
    except MissingSecret as exc:
        return False, 1, str(exc)
    mask = _MaskSecrets([*values, *_hidden_parts(url)])
    loggers = [logging.getLogger(name) for name in URL_LOGGERS]
    warnings = _Warnings()
    for logger in loggers:
        logger.addFilter(mask)
    loggers[0].addHandler(warnings)
    try:
        service = apprise.Apprise.instantiate(url)
        if service is None:
            return False, 1, "not a valid Apprise URL, or its service is not available here"
        notifier = apprise.Apprise()
        notifier.add(service)
        limit = body_limit(urlsplit(url).scheme)
        maxlen = getattr(service, "body_maxlen", 0) or 0
        if maxlen > 0:
            limit = min(limit, maxlen - len(title) - 2)
        body = change_text.message(limit=max(limit, 200))
        error: str | None = None
        for attempt in range(1, policy.attempts + 1):
            if attempt > 1:
                time.sleep(policy.wait_before(attempt))
            warnings.messages.clear()
            try:
                ok = bool(notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
            except Exception as exc:  # noqa: BLE001 - a plugin bug must not stop the round
                ok, warnings.messages[:] = False, [f"{type(exc).__name__}: {exc}"]
            if ok:
                return True, attempt, None
            error = mask.mask("; ".join(warnings.messages) or "the service did not accept the notification")
        return False, policy.attempts, error
    finally:
        loggers[0].removeHandler(warnings)
        for logger in loggers:
            logger.removeFilter(mask)


# -- the deliveries log ----------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(archive: Archive, outcome: DeliveryOutcome) -> None:
    with archive.transaction():
        archive.conn.execute(
            "INSERT INTO deliveries (change_id, target, attempted_at, attempts, ok, error)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (outcome.change_id, outcome.target, _now(), outcome.attempts, int(outcome.ok), outcome.error),
        )


def _delivered_labels(archive: Archive, change_id: int) -> set[str]:
    rows = archive.conn.execute(
        "SELECT DISTINCT target FROM deliveries WHERE change_id = ? AND ok = 1", (change_id,)
    )
    return {row[0] for row in rows}


def pending_deliveries(archive: Archive) -> list[tuple[int, str]]:
    """(change_id, target label) pairs whose latest delivery failed, oldest change first."""
    rows = archive.conn.execute(
        "SELECT change_id, target FROM deliveries WHERE id IN"
        " (SELECT MAX(id) FROM deliveries GROUP BY change_id, target) AND ok = 0"
        " ORDER BY change_id, id"
    )
    return [(row[0], row[1]) for row in rows]


def _send(
    subject: str,
    text: ChangeText | BatchText,
    targets: list[AlertTarget],
    report: DeliveryReport,
    policy: RetryPolicy,
    environ: Mapping[str, str] | None,
    failing: dict[str, str],
    record: Callable[[AlertTarget, bool, int, str | None], DeliveryOutcome],
) -> None:
    """Send one message (about ``subject``: "change #3", "batch #1") to ``targets`` and
    record each outcome with ``record``.

    ``failing`` maps the label of a target that already failed in this call to the subject it
    failed on: such a target is not tried again now (a dead webhook would otherwise cost
    every change its timeouts and backoff) but recorded as failed, so the next
    :func:`retry_pending` sends it.
    """
    for target in targets:
        if target.label in failing:
            ok, attempts = False, 0
            error = f"not tried: the target failed for {failing[target.label]} earlier in this run"
        else:
            ok, attempts, error = send_alert(target, text.title, text, policy=policy, environ=environ)
            if not ok:
                failing[target.label] = subject
        report.outcomes.append(record(target, ok, attempts, error))
        if ok:
            log.info("alert for %s sent to %s", subject, target.label)
        elif attempts:
            log.warning("alert for %s to %s failed after %s attempt(s): %s; will retry next round",
                        subject, target.label, attempts, error)
        else:
            log.info("alert for %s to %s deferred to the next round: %s", subject, target.label, error)


def _deliver(
    archive: Archive,
    change_id: int,
    targets: list[AlertTarget],
    report: DeliveryReport,
    policy: RetryPolicy,
    environ: Mapping[str, str] | None,
    failing: dict[str, str],
) -> None:
    """Send one change to ``targets`` and record each outcome in ``deliveries``. A change
    that is part of a mass change is told by its batch's alert, never on its own."""
    try:
        change = archive.change(change_id)
    except ArchiveError:
        log.warning("change #%s is not in the archive; nothing to alert", change_id)
        report.skipped += 1
        return
    if change.batch_id is not None:
        report.skipped += 1
        return
    text = describe_change(archive, change)
    if text.reextracted:
        report.skipped += 1
        return
    done = _delivered_labels(archive, change_id)
    targets = [t for t in targets if t.label not in done]
    if not targets:
        report.skipped += 1
        return

    def record(target: AlertTarget, ok: bool, attempts: int, error: str | None) -> DeliveryOutcome:
        outcome = DeliveryOutcome(change_id, target.label, ok, attempts, error)
        _record(archive, outcome)
        return outcome

    _send(f"change #{change_id}", text, targets, report, policy, environ, failing, record)


def _deliver_batch(
    archive: Archive,
    batch_id: int,
    targets: list[AlertTarget],
    report: DeliveryReport,
    policy: RetryPolicy,
    environ: Mapping[str, str] | None,
    failing: dict[str, str],
) -> None:
    """Send one site-level message for a mass change; record outcomes in ``batch_deliveries``."""
    try:
        batch = archive.batch(batch_id)
    except ArchiveError:
        log.warning("batch #%s is not in the archive; nothing to alert", batch_id)
        report.skipped += 1
        return
    done = archive.batch_delivered_targets(batch_id)
    targets = [t for t in targets if t.label not in done]
    if not targets:
        report.skipped += 1
        return
    text = describe_batch(archive, batch)

    def record(target: AlertTarget, ok: bool, attempts: int, error: str | None) -> DeliveryOutcome:
        outcome = DeliveryOutcome(None, target.label, ok, attempts, error, batch_id=batch_id)
        with archive.transaction():
            archive.add_batch_delivery(batch_id, target.label, attempted_at=_now(), attempts=attempts, ok=ok,
                                       error=error)
        return outcome

    _send(f"batch #{batch_id}", text, targets, report, policy, environ, failing, record)


def _alerts_configured(config: Config) -> bool:
    return bool(config.alerts or any(site.alerts for site in config.sites))


def deliver_changes(
    archive: Archive,
    config: Config,
    change_ids: list[int],
    *,
    batch_ids: Sequence[int] = (),
    policy: RetryPolicy = RetryPolicy(),
    environ: Mapping[str, str] | None = None,
) -> DeliveryReport:
    """Alert every configured target about each change, and once about each mass change
    (``batch_ids``; its member changes are not alerted one by one); failures are recorded,
    not raised.

    A target that already received a change or batch is not sent it again, so calling this
    twice for the same change is harmless. Returns at once when no alert target is configured.
    """
    report = DeliveryReport()
    failing: dict[str, str] = {}
    if not (change_ids or batch_ids) or not _alerts_configured(config):
        return report
    for batch_id in batch_ids:
        try:
            site = archive.batch(batch_id).site
        except ArchiveError:
            site = None
        targets = targets_for(config, site)
        if targets:
            _deliver_batch(archive, batch_id, targets, report, policy, environ, failing)
    for change_id in change_ids:
        try:
            site = archive.change(change_id).site
        except ArchiveError:
            site = None
        targets = targets_for(config, site)
        if targets:
            _deliver(archive, change_id, targets, report, policy, environ, failing)
    return report


def retry_pending(
    archive: Archive,
    config: Config,
    *,
    policy: RetryPolicy = RetryPolicy(),
    environ: Mapping[str, str] | None = None,
) -> DeliveryReport:
    """Send again every delivery (of a change or of a batch) whose last attempt failed, if its
    target is still configured."""
    report = DeliveryReport()
    failing: dict[str, str] = {}
    jobs = [("change", subject_id, label) for subject_id, label in pending_deliveries(archive)]
    jobs += [("batch", subject_id, label) for subject_id, label in archive.pending_batch_deliveries()]
    if not jobs:
        return report
    by_subject: dict[tuple[str, int], list[str]] = {}
    for kind, subject_id, label in jobs:
        by_subject.setdefault((kind, subject_id), []).append(label)
    for (kind, subject_id), labels in by_subject.items():
        try:
            site = (archive.batch(subject_id) if kind == "batch" else archive.change(subject_id)).site
        except ArchiveError:
            site = None
        configured = {t.label: t for t in targets_for(config, site)}
        targets = [configured[label] for label in labels if label in configured]
        for label in labels:
            if label not in configured:
                log.info("not retrying %s #%s to %s: the target is no longer configured", kind, subject_id, label)
        if targets:
            deliver = _deliver_batch if kind == "batch" else _deliver
            deliver(archive, subject_id, targets, report, policy, environ, failing)
    return report
