"""Tell watchers about changes through Apprise, without ever losing one or leaking a secret.

Every change goes to the global ``alerts`` targets plus its site's ``alerts`` targets, one
Apprise notification per target. What each target has been told is the outbox's business
(:mod:`monitor.publish`): this module sends the announcements a run has claimed. A failing
target is retried a few times with backoff within the run, logged, and its announcement
marked failed: tried again at the next run, then after 1, 2, 4 ... minutes (at most hourly).
Every attempt is also logged in the archive's ``deliveries`` table. Nothing here raises on a
delivery failure: the change is already safe in the archive and the feed.

A mass change (many notices of one site edited in one round, see :mod:`monitor.rounds`) is
one message for the site, logged in ``batch_deliveries``; its member changes are never
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
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import apprise

from monitor.batches import BatchText, describe_batch
from monitor.change_text import ChangeText, describe_change
from monitor.config import Config, ConfigError
from storage.archive import Archive, ArchiveError
from storage.holders import Holder
from storage.records import Announcement, StoredChange

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
    """Keeps Apprise's warnings of one send: the error text of a failed delivery. Records
    kept only while this send holds :data:`_SENDING`: the ``apprise`` logger is shared by
    every thread of a ``watch`` (and Apprise may log from its own worker threads), and one
    site's failure text must never end up in another's delivery row."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.listening = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.listening:
            self.messages.append(record.getMessage())


# One notification attempt at a time per process (the waits between attempts are outside it).
_SENDING = threading.Lock()


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
            with _SENDING:
                warnings.messages.clear()
                warnings.listening = True
                try:
                    ok = bool(notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
                except Exception as exc:  # noqa: BLE001 - a plugin bug must not stop the round
                    ok, warnings.messages[:] = False, [f"{type(exc).__name__}: {exc}"]
                finally:
                    warnings.listening = False
            if ok:
                return True, attempt, None
            error = mask.mask("; ".join(warnings.messages) or "the service did not accept the notification")
        return False, policy.attempts, error
    finally:
        loggers[0].removeHandler(warnings)
        for logger in loggers:
            logger.removeFilter(mask)


# -- the outbox: claimed announcements, sent and recorded --------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Across rounds, a target that keeps failing is tried again at the next round once, then after
# 1, 2, 4 ... minutes, at most hourly: a webhook down for a day costs one try an hour, not one
# per round and site.
RETRY_FIRST_DELAY_SECONDS = 60.0
RETRY_MAX_DELAY_SECONDS = 3600.0


def next_attempt_at(failed_runs: int, now: datetime | None = None) -> str | None:
    """When a delivery that failed in ``failed_runs`` runs so far is tried again (None: next run)."""
    if failed_runs <= 1:
        return None
    delay = min(RETRY_FIRST_DELAY_SECONDS * 2 ** (failed_runs - 2), RETRY_MAX_DELAY_SECONDS)
    return ((now or datetime.now(UTC)) + timedelta(seconds=delay)).isoformat(timespec="seconds")


def alert_labels(config: Config) -> list[str]:
    """Every alert target's label, over the global targets and every site's."""
    labels: dict[str, None] = {}
    for site in [None, *(s.name for s in config.sites)]:
        labels.update((t.label, None) for t in targets_for(config, site))
    return list(labels)


def _alerts_configured(config: Config) -> bool:
    return bool(config.alerts or any(site.alerts for site in config.sites))


def _not_alerted(archive: Archive, change: StoredChange) -> str | None:
    """Why a change gets no message of its own, or None: a member of a mass change (the
    batch's alert tells it), a re-extraction, a "new" notice of a site's first crawl."""
    from monitor.recorder import is_baseline

    if change.batch_id is not None:
        return f"told by the alert of mass change B{change.batch_id}"
    if is_baseline(change):
        return "the first crawl of a site is its baseline"
    if describe_change(archive, change).reextracted:
        return "a re-extraction of stored captures"
    return None


def send_claimed(
    archive: Archive,
    config: Config,
    holder: Holder,
    claimed: Sequence[Announcement],
    *,
    report: DeliveryReport,
    policy: RetryPolicy = RetryPolicy(),
    environ: Mapping[str, str] | None = None,
) -> None:
    """Send the alert announcements ``holder`` claimed, and record each outcome on its row
    (and in the ``deliveries`` history).

    A target that failed once in this call is not tried again now (a dead webhook would
    otherwise cost every change its timeouts and backoff): its other announcements stay due
    for the next run, marked "not tried".
    """
    failing: dict[str, str] = {}
    for announcement in claimed:
        now = _now()
        is_batch = announcement.batch_id is not None
        subject = f"batch #{announcement.batch_id}" if is_batch else f"change #{announcement.change_id}"
        try:
            item = archive.batch(announcement.batch_id) if is_batch else archive.change(announcement.change_id)
        except ArchiveError:
            archive.mark_announcement(announcement.id, holder, "skipped", at=now, error=f"{subject} is gone")
            continue
        configured = {t.label: t for t in targets_for(config, item.site)}
        target = configured.get(announcement.target)
        reason = None if target is not None else "not a target of this site"
        if reason is None and not is_batch:
            reason = _not_alerted(archive, item)
        if reason is not None:
            archive.mark_announcement(announcement.id, holder, "skipped", at=now, error=reason)
            continue
        if target.label in failing:
            ok, attempts = False, 0
            error = f"not tried: the target failed for {failing[target.label]} earlier in this run"
        else:
            text = describe_batch(archive, item) if is_batch else describe_change(archive, item)
            ok, attempts, error = send_alert(target, text.title, text, policy=policy, environ=environ)
            if not ok:
                failing[target.label] = subject
        if ok:
            archive.mark_announcement(announcement.id, holder, "sent", at=now, attempts=attempts)
            log.info("alert for %s sent to %s", subject, target.label)
        else:
            runs = (announcement.attempts + attempts) // max(policy.attempts, 1)
            archive.mark_announcement(announcement.id, holder, "failed", at=now, attempts=attempts, error=error,
                                      next_attempt_at=next_attempt_at(runs) if attempts else None)
            if attempts:
                log.warning("alert for %s to %s failed after %s attempt(s): %s; will retry", subject,
                            target.label, attempts, error)
            else:
                log.info("alert for %s to %s deferred: %s", subject, target.label, error)
        outcome = DeliveryOutcome(None if is_batch else item.id, target.label, ok, attempts, error,
                                  batch_id=item.id if is_batch else None)
        if is_batch:
            with archive.transaction():
                archive.add_batch_delivery(item.id, target.label, attempted_at=now, attempts=attempts, ok=ok,
                                           error=error)
        else:
            archive.add_delivery(item.id, target.label, attempted_at=now, attempts=attempts, ok=ok, error=error)
        report.outcomes.append(outcome)


def _claim_and_send(archive: Archive, config: Config, *, report: DeliveryReport, policy: RetryPolicy,
                    environ: Mapping[str, str] | None, due_only: bool, change_ids: Sequence[int] | None = None,
                    batch_ids: Sequence[int] | None = None) -> list[Announcement]:
    holder = Holder.current()
    archive.recover_claims()
    try:
        claimed = archive.claim_announcements(holder, alert_labels(config), now=_now(), due_only=due_only,
                                              change_ids=change_ids, batch_ids=batch_ids)
        send_claimed(archive, config, holder, claimed, report=report, policy=policy, environ=environ)
    finally:
        archive.release_claims(holder)
    return claimed


def deliver_changes(
    archive: Archive,
    config: Config,
    change_ids: list[int],
    *,
    batch_ids: Sequence[int] = (),
    policy: RetryPolicy = RetryPolicy(),
    environ: Mapping[str, str] | None = None,
) -> DeliveryReport:
    """Alert every configured target about these changes, and once about each mass change
    (``batch_ids``; its member changes are not alerted one by one), now: each becomes an
    announcement per target (see :func:`monitor.publish.publish`), claimed and sent.
    Failures are recorded, not raised.

    A target that already received a change or batch is not sent it again, so calling this
    twice for the same change is harmless. Returns at once when no alert target is configured.
    """
    report = DeliveryReport()
    if not (change_ids or batch_ids) or not _alerts_configured(config):
        return report
    archive.enqueue_subjects(alert_labels(config), change_ids=change_ids, batch_ids=batch_ids)
    _claim_and_send(archive, config, report=report, policy=policy, environ=environ, due_only=False,
                    change_ids=change_ids, batch_ids=batch_ids)
    told = {o.change_id for o in report.outcomes} | {o.batch_id for o in report.outcomes}
    report.skipped += sum(1 for c in dict.fromkeys(change_ids) if c not in told)
    report.skipped += sum(1 for b in dict.fromkeys(batch_ids) if b not in told)
    return report


def retry_pending(
    archive: Archive,
    config: Config,
    *,
    policy: RetryPolicy = RetryPolicy(),
    environ: Mapping[str, str] | None = None,
    due_only: bool = False,
) -> DeliveryReport:
    """Send every alert announcement still pending or failed (when ``due_only``, only failed
    ones whose backoff has passed) to targets still configured."""
    report = DeliveryReport()
    if _alerts_configured(config):
        _claim_and_send(archive, config, report=report, policy=policy, environ=environ, due_only=due_only)
    return report
