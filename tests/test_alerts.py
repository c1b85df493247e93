"""Alerts through Apprise to a real local HTTP receiver: content, retries, secrets."""
from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.alerts import (
    CHAT_BODY_LIMIT,
    LONG_BODY_LIMIT,
    RetryPolicy,
    body_limit,
    deliver_changes,
    redact_url,
    retry_pending,
    targets_for,
)
from monitor.change_text import describe_change
from monitor.config import parse_config
from monitor.feed import render_feed
from storage.archive import Archive
from storage.records import VersionContent

FAST = RetryPolicy(attempts=3, backoff_seconds=0.01)
URL = "http://www.demo.gov.cn/art/2024/5/1/art_1_100.html"
TITLE = "关于发放2024年春耕补贴的通知"
OLD_TEXT = "关于发放2024年春耕补贴的通知\n各乡镇：经研究，每亩补贴120元，5月31日前发放到户。\n特此通知。\n"
NEW_TEXT = "关于发放2024年春耕补贴的通知\n各乡镇：经研究，每亩补贴185元，5月31日前发放到户。\n特此通知。\n"


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records each request and answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append((self.path, self.rfile.read(length)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def messages(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def config_with(tmp_path: Path, alerts: list[str], site_alerts: list[str] = ()):
    raw = {"alerts": alerts,
           "site": [{"name": "demo", "start_urls": ["http://www.demo.gov.cn/"], "alerts": list(site_alerts)}]}
    return parse_config(raw, archive=tmp_path / "watch.db")


def edited_archive(tmp_path: Path, *, old_text: str = OLD_TEXT, new_text: str = NEW_TEXT,
                   reextracted: bool = False) -> tuple[Archive, int]:
    """An archive with one notice edited once (120 → 185 元, source changed)."""
    archive = Archive(tmp_path / "watch.db")
    with archive.transaction():
        page = archive.ensure_page("demo", URL, "2024-05-01T09:00:00+08:00")
        first = archive.add_capture(page.id, fetched_at="2024-05-01T09:00:00+08:00", status=200,
                                    outcome="new", body=b"<html>v1</html>")
        v1 = archive.add_version(page.id, VersionContent(fingerprint="v1", text=old_text, title=TITLE,
                                                         source="县农业农村局"),
                                 created_at="2024-05-01T09:00:00+08:00", capture_id=first)
        second = archive.add_capture(page.id, fetched_at="2024-05-02T09:00:00+08:00", status=200,
                                     outcome="changed", body=b"<html>v2</html>")
        v2 = archive.add_version(page.id, VersionContent(fingerprint="v2", text=new_text, title=TITLE,
                                                         source="县财政局"),
                                 created_at="2024-05-02T09:00:00+08:00", capture_id=second,
                                 reextracted=reextracted)
        change_id = archive.add_change(page.id, "edited", detected_at="2024-05-02T09:00:00+08:00",
                                       fields=["text", "source"], from_version_id=v1.id, to_version_id=v2.id)
    return archive, change_id


def deliveries(archive: Archive) -> list[tuple]:
    return archive.conn.execute(
        "SELECT change_id, target, attempts, ok, error FROM deliveries ORDER BY id").fetchall()


def test_edit_alert_reaches_webhook_with_title_url_kind_and_diff(tmp_path, receiver):
    archive, change_id = edited_archive(tmp_path)
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])

    report = deliver_changes(archive, config, [change_id], policy=FAST)

    assert (report.delivered, report.failed) == (1, 0)
    [(path, _)] = receiver.requests
    assert path == "/hook"
    [message] = receiver.messages()
    assert message["title"] == f"【修改】{TITLE}"
    body = message["message"]
    assert URL in body
    assert "修改" in body and "edited" in body
    assert "补贴1[-20-][+85+]元" in body  # the changed number, marked character by character
    assert "来源: 县农业农村局 → 县财政局" in body
    assert "2024-05-02T09:00:00+08:00" in body
    assert deliveries(archive) == [(change_id, f"json://127.0.0.1:{receiver.port}/***", 1, 1, None)]


def test_change_goes_to_global_and_site_targets(tmp_path, receiver):
    archive, change_id = edited_archive(tmp_path)
    base = f"json://127.0.0.1:{receiver.port}"
    config = config_with(tmp_path, [f"{base}/global"], site_alerts=[f"{base}/site", f"{base}/global"])

    report = deliver_changes(archive, config, [change_id], policy=FAST)

    assert report.delivered == 2  # the URL listed twice is sent once
    assert sorted(path for path, _ in receiver.requests) == ["/global", "/site"]
    labels = [row[1] for row in deliveries(archive)]
    assert labels == [f"{base}/***", f"{base}/*** #2"]


def test_failing_target_is_retried_recorded_and_delivered_by_retry_pending(tmp_path, receiver):
    archive, change_id = edited_archive(tmp_path)
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])
    receiver.status = 500

    report = deliver_changes(archive, config, [change_id], policy=FAST)

    assert (report.delivered, report.failed) == (0, 1)
    assert len(receiver.requests) == 3
    [(cid, _, attempts, ok, error)] = deliveries(archive)
    assert (cid, attempts, ok) == (change_id, 3, 0)
    assert "500" in error
    assert archive.change(change_id).kind == "edited"
    assert f"urn:portalwatch:change:{change_id}" in render_feed(archive)

    still_failing = retry_pending(archive, config, policy=FAST)
    assert still_failing.failed == 1 and len(receiver.requests) == 6

    receiver.status = 200
    retried = retry_pending(archive, config, policy=FAST)

    assert (retried.delivered, retried.failed) == (1, 0)
    assert len(receiver.requests) == 7
    assert TITLE in receiver.messages()[-1]["title"]
    assert [row[3] for row in deliveries(archive)] == [0, 0, 1]
    assert retry_pending(archive, config, policy=FAST).outcomes == []
    assert len(receiver.requests) == 7


def test_a_dead_target_costs_one_round_of_retries_not_one_per_change(tmp_path, receiver):
    archive, first = edited_archive(tmp_path)
    page = archive.page_state(URL)
    with archive.transaction():
        second = archive.add_change(page.id, "removed", detected_at="2024-05-03T09:00:00+08:00",
                                    from_version_id=page.current_version_id, note="HTTP 410")
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])
    receiver.status = 503

    report = deliver_changes(archive, config, [first, second], policy=FAST)

    assert report.failed == 2 and len(receiver.requests) == 3
    assert [(row[0], row[2], row[3]) for row in deliveries(archive)] == [(first, 3, 0), (second, 0, 0)]
    receiver.status = 200
    assert retry_pending(archive, config, policy=FAST).delivered == 2
    assert [m["title"][:4] for m in receiver.messages()[3:]] == ["【修改】", "【删除】"]


def test_delivering_a_change_twice_sends_it_once(tmp_path, receiver):
    archive, change_id = edited_archive(tmp_path)
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])

    deliver_changes(archive, config, [change_id], policy=FAST)
    again = deliver_changes(archive, config, [change_id], policy=FAST)

    assert len(receiver.requests) == 1
    assert again.outcomes == [] and again.skipped == 1


def test_secret_in_url_is_expanded_at_send_time_and_never_stored_or_logged(
        tmp_path, receiver, monkeypatch, caplog):
    secret = "tok-7f3a9c1e55d2"
    archive, change_id = edited_archive(tmp_path)
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/${{HOOK_PATH}}"])
    caplog.set_level(logging.DEBUG)
    receiver.status = 500

    deliver_changes(archive, config, [change_id], policy=FAST)  # HOOK_PATH unset: a recorded failure
    monkeypatch.setenv("HOOK_PATH", secret)
    deliver_changes(archive, config, [change_id], policy=FAST)  # set, but the receiver fails
    receiver.status = 200
    report = retry_pending(archive, config, policy=FAST)

    assert report.delivered == 1
    assert receiver.requests[-1][0] == f"/{secret}"
    rows = deliveries(archive)
    assert rows[0][4] == "environment variable HOOK_PATH is not set"
    assert {row[1] for row in rows} == {f"json://127.0.0.1:{receiver.port}/***"}
    dump = "\n".join(archive.conn.iterdump())
    assert secret not in dump
    assert "JSON POST URL" in caplog.text  # Apprise's own debug lines were captured...
    assert secret not in caplog.text  # ...with the secret masked
    assert "/***" in caplog.text


def test_redacted_target_keeps_scheme_and_host_only():
    assert redact_url("json://127.0.0.1:8080/${HOOK}") == "json://127.0.0.1:8080/***"
    assert redact_url("dingtalk://0123456789abcdef/") == "dingtalk://***/"
    assert redact_url("feishu://${HOOK_TOKEN}/${SECRET}") == "feishu://***/***"
    assert redact_url("dingtalk://${DING_TOKEN}") == "dingtalk://***"
    assert redact_url("mailtos://robot:pa55@smtp.qq.com?to=a@b.cn") == "mailtos://***@smtp.qq.com?***"
    assert redact_url("wecombot://${KEY}") == "wecombot://***"


def test_reextracted_change_never_alerts(tmp_path, receiver):
    archive, change_id = edited_archive(tmp_path, reextracted=True)
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])

    report = deliver_changes(archive, config, [change_id], policy=FAST)

    assert report.outcomes == [] and report.skipped == 1
    assert receiver.requests == [] and deliveries(archive) == []


def test_without_targets_nothing_is_sent_or_recorded(tmp_path):
    archive, change_id = edited_archive(tmp_path)
    config = config_with(tmp_path, [])

    started = time.perf_counter()
    report = deliver_changes(archive, config, [change_id] * 1000)

    assert time.perf_counter() - started < 0.05
    assert report.outcomes == [] and deliveries(archive) == []


def test_removed_notice_alert_names_the_removal(tmp_path, receiver):
    archive, _ = edited_archive(tmp_path)
    page = archive.page_state(URL)
    with archive.transaction():
        removed = archive.add_change(page.id, "removed", detected_at="2024-05-03T09:00:00+08:00",
                                     from_version_id=page.current_version_id, note="HTTP 404")
    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])

    deliver_changes(archive, config, [removed], policy=FAST)

    [message] = receiver.messages()
    assert message["title"] == f"【删除】{TITLE}"
    assert "HTTP 404" in message["message"] and URL in message["message"]


def long_edit() -> tuple[str, str]:
    sentences = [f"第{n}条：本项补助标准为每人每月{n * 10}元，由县财政统一拨付。\n" for n in range(1, 301)]
    edited = [s.replace("元", "元整") if n % 3 == 0 else s for n, s in enumerate(sentences)]
    return "".join(sentences), "".join(edited)


def test_chat_services_get_short_bodies_and_webhooks_long_ones(tmp_path, receiver):
    old, new = long_edit()
    archive, change_id = edited_archive(tmp_path, old_text=old, new_text=new)
    text = describe_change(archive, archive.change(change_id))

    for scheme in ("dingtalk", "wecombot", "feishu", "lark"):
        assert body_limit(scheme) == CHAT_BODY_LIMIT
    chat = text.message(limit=CHAT_BODY_LIMIT)
    assert len(chat) <= CHAT_BODY_LIMIT and URL in chat and "[+整+]" in chat

    config = config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/hook"])
    deliver_changes(archive, config, [change_id], policy=FAST)
    [message] = receiver.messages()
    assert CHAT_BODY_LIMIT < len(message["message"]) <= LONG_BODY_LIMIT


def test_target_labels_are_stable_for_retry(tmp_path):
    config = config_with(tmp_path, ["json://10.0.0.1/${A}", "json://10.0.0.1/${B}"])
    labels = [t.label for t in targets_for(config, "demo")]
    assert labels == ["json://10.0.0.1/***", "json://10.0.0.1/*** #2"]
    assert [t.label for t in targets_for(config, "gone-site")] == labels
