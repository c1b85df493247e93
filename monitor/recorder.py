"""Joins a capture to the archive and decides what it means.

For each :class:`~spiders.capture.Capture` the recorder logs the fetch, extracts the notice
when the raw bytes are new, stores a version when the normalised text or metadata differ,
and records the change this makes: ``new``, ``edited`` (with the fields that changed),
``removed`` (404/410, redirect away, soft 404), ``restored``, ``unreachable`` (after several
failed fetches in a row). A 304 or byte-identical body is logged as unchanged without
extraction. Everything for one capture is written in one transaction.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from monitor.article import Article
from monitor.attachments import (
    AttachmentFetch,
    AttachmentFetcher,
    fills_hashes,
    hashes_form,
    names_form,
    replaced_files,
    store_fetches,
    with_hashes,
)
from monitor.config import Config, SiteConfig
from monitor.extraction_pool import ExtractionPool
from monitor.normalize import content_fingerprint, normalize_field, normalize_text
from monitor.not_found import fingerprint as not_found_fingerprint
from monitor.not_found import is_not_found_page
from monitor.removal import (
    REMOVED_STATUSES,
    SHRUNK_BODY_CHARS,
    redirected_away,
    shrunk_to_message,
    soft_404_marker,
)
from monitor.warc_capture import WarcCaptures
from spiders.capture import Capture
from storage import attachments as stored_attachments
from storage.archive import Archive
from storage.records import PageState, StoredVersion, VersionContent

log = logging.getLogger(__name__)

# Metadata that makes an edit when it changes (editor/author credits are kept, not compared:
# templates show or hide them independently of the notice).
# Note on the "new" changes of a site's first round: the archive's starting point, not alerted.
BASELINE_NOTE = "first crawl of the site"


def is_baseline(change) -> bool:
    """A ``new`` change of a site's first round: the archive's starting point, not news."""
    return change.kind == "new" and change.note == BASELINE_NOTE
# Note on a notice removed because it now answers with what the site answers to a URL that
# cannot exist (see monitor.not_found).
NOT_FOUND_PAGE_NOTE = "answers with the site's not-found page"

# A page back to an earlier version: reported once (outcome "reverted", an edit with this
# note); returning again within FLAP_WINDOW captures is flapping (outcome "flapping", no change).
REVERTED = "reverted"
FLAPPING = "flapping"
FLAP_WINDOW = 10
REVERTED_NOTE = ("back to version {number}; if the page keeps alternating between versions it is "
                 "recorded as flapping and not alerted again")

COMPARED_FIELDS = ("title", "published", "source", "doc_number", "index_number", "issuer", "attachments")


def compared_fields(title, published, source, doc_number, index_number, issuer, attachments) -> dict:
    """Metadata in comparison form. ``published`` compares by day (templates differ in
    whether they show the time); attachments by file name and link text (their bytes by
    SHA-256: see monitor.attachments)."""
    return {
        "title": title,
        "published": (published or "")[:10] or None,
        "source": source,
        "doc_number": doc_number,
        "index_number": index_number,
        "issuer": issuer,
        "attachments": names_form(attachments),
    }


def fingerprint_of(text: str, fields: dict, attachments: list[dict] | None) -> str:
    """The version fingerprint: text, compared metadata and the attachments' content hashes."""
    return content_fingerprint(text, {**fields, "attachment_files": hashes_form(attachments)})


def version_content(article: Article, hashes: dict[str, str | None] | None = None) -> VersionContent:
    """The version ``article`` makes; ``hashes``: its attachments' SHA-256 by URL, where known."""
    return _content_of(article, with_hashes([{"url": a.url, "text": a.text} for a in article.attachments],
                                            hashes or {}))


def _content_of(notice: Article | StoredVersion, attachments: list[dict]) -> VersionContent:
    """The version a notice (as extracted, or as stored) makes with ``attachments``."""
    fields = compared_fields(notice.title, notice.published, notice.source, notice.doc_number,
                             notice.index_number, notice.issuer, attachments)
    return VersionContent(
        fingerprint=fingerprint_of(notice.text, fields, attachments), text=notice.text, title=notice.title,
        published=notice.published, source=notice.source, editor=notice.editor, author=notice.author,
        doc_number=notice.doc_number, index_number=notice.index_number, issuer=notice.issuer,
        attachments=attachments, extractor=notice.extractor,
    )


def changed_fields(old: StoredVersion, new: VersionContent) -> list[str]:
    """Which of body and compared metadata differ between a stored version and new content."""
    out = []
    if normalize_text(old.text) != normalize_text(new.text):
        out.append("text")
    before = compared_fields(old.title, old.published, old.source, old.doc_number, old.index_number,
                             old.issuer, old.attachments)
    after = compared_fields(new.title, new.published, new.source, new.doc_number, new.index_number,
                            new.issuer, new.attachments)
    out.extend(name for name in COMPARED_FIELDS if normalize_field(before[name]) != normalize_field(after[name]))
    if "attachments" not in out and replaced_files(old.attachments, new.attachments):
        out.append("attachments")
    return out


def with_attachments(version: StoredVersion, attachments: list[dict]) -> VersionContent:
    """A stored version's content with another attachment list (a file replaced behind an
    unchanged page, or hashes first learnt)."""
    return _content_of(version, attachments)


@dataclass
class ColumnWalk:
    """How far one column's listing was read this round."""

    pages_ok: int = 0
    failed: int = 0
    stopped: bool = False  # the spider left linked list pages unread (incremental walk or cap)
    listed: set[str] = field(default_factory=set)  # notice URLs seen on its pages
    first_page: set[str] = field(default_factory=set)  # those seen on its first page (the start URL)

    @property
    def complete(self) -> bool:
        """Every list page of the column was read: a notice missing from it is off the listing."""
        return self.pages_ok > 0 and not self.failed and not self.stopped


@dataclass
class RoundTally:
    """What one round did, for the progress line, the summary and end-of-round decisions."""

    fetched: int = 0
    listings: int = 0
    unchanged: int = 0
    extracted: int = 0
    failed: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    change_ids: list[int] = field(default_factory=list)
    walks: dict[str, dict[str, ColumnWalk]] = field(default_factory=dict)  # site -> column -> walk
    rechecked: dict[str, int] = field(default_factory=dict)  # site -> known notices fetched again
    site_changes: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # site -> kind -> ids
    batch_ids: list[int] = field(default_factory=list)

    def count_change(self, kind: str, change_id: int, site: str | None = None) -> None:
        self.changes[kind] = self.changes.get(kind, 0) + 1
        self.change_ids.append(change_id)
        if site is not None:
            self.site_changes.setdefault(site, {}).setdefault(kind, []).append(change_id)

    def walk(self, site: str, column: str) -> ColumnWalk:
        return self.walks.setdefault(site, {}).setdefault(column, ColumnWalk())


class Recorder:
    """Stores captures for the sites of one config."""

    def __init__(self, archive: Archive, config: Config, pool: ExtractionPool,
                 tally: RoundTally | None = None) -> None:
        self.archive = archive
        self.config = config
        self.pool = pool
        self.tally = tally or RoundTally()
        self._sites = {site.name: site for site in config.sites}
        self.warc = WarcCaptures(archive, config)  # every fetch also goes to the WARC files
        # Per site, what fetches attachments through the site's running crawl (set by
        # monitor.pipeline); none when recording without a crawl (import-warc, distributed).
        self.attachment_fetchers: dict[str, AttachmentFetcher] = {}
        # A site's first round is its baseline: its notices are "new" to the archive, not news.
        self._first_round = {site.name for site in config.sites if archive.rounds_done(site.name) == 0}
        # Each site's not-found page as last learnt (replaced when this round's probe answers).
        self._not_found: dict[str, list[str] | None] = {}
        for site in config.sites:
            page = archive.not_found_page(site.name)
            self._not_found[site.name] = page.fingerprint if page and site.not_found_probe else None

    def site(self, name: str) -> SiteConfig | None:
        return self._sites.get(name)

    async def record(self, capture: Capture) -> None:
        """Store one capture; never raises for a bad page (it is logged and kept as an error)."""
        try:
            self.warc.write(capture, self.site(capture.site))
            if capture.kind == "listing":
                self._record_listing(capture)
            elif capture.kind == "probe":
                self._record_probe(capture)
            else:
                await self._record_notice(capture)
        except Exception:
            log.exception("could not store capture of %s", capture.url)
            self.tally.failed += 1
        finally:
            self.warc.forget(capture)

    # -- listings --------------------------------------------------------------------------

    def _record_listing(self, capture: Capture) -> None:
        self.tally.listings += 1
        walk = self.tally.walk(capture.site, capture.column or capture.url)
        if capture.error or capture.status >= 400:
            self.tally.failed += 1
            walk.failed += 1
            log.debug("listing %s failed: %s", capture.url, capture.error or f"HTTP {capture.status}")
            return
        walk.pages_ok += 1
        walk.stopped = walk.stopped or capture.pagination_stopped is not None
        walk.listed.update(capture.listed_urls)
        if capture.column in (capture.url, *capture.redirect_urls):
            walk.first_page.update(capture.listed_urls)
        with self.archive.transaction():
            self.archive.mark_listed(capture.site, capture.listed_urls, capture.final_url, capture.fetched_at)

    # -- the not-found probe ----------------------------------------------------------------

    def _record_probe(self, capture: Capture) -> None:
        """Keep the site's answer to a URL that cannot exist: a fingerprint when it is a page
        (HTTP 200), none when it is a real 404/410. A failed probe keeps the last one. Never a
        page, a capture or a change."""
        if capture.error or capture.status not in (200, *REMOVED_STATUSES):
            log.debug("not-found probe %s: %s", capture.url, capture.error or f"HTTP {capture.status}")
            return
        fingerprint = not_found_fingerprint(capture.body, capture.content_type) if capture.status == 200 else None
        self._not_found[capture.site] = fingerprint
        with self.archive.transaction():
            self.archive.set_not_found_page(capture.site, url=capture.url, checked_at=capture.fetched_at,
                                            status=capture.status, fingerprint=fingerprint)

    # -- notices ---------------------------------------------------------------------------

    async def _record_notice(self, capture: Capture) -> None:
        self.tally.fetched += 1
        # A notice fetched at a mirror address is the page at its primary address.
        state = self.archive.page_state(capture.mirror_of or capture.url)
        if state is not None and state.current_version_id is not None and capture.mirror_of is None:
            self.tally.rechecked[capture.site] = self.tally.rechecked.get(capture.site, 0) + 1
        body_sha = hashlib.sha256(capture.body).hexdigest() if capture.body else None
        # The last body seen at this address: pages.last_body_sha256 is the primary address's.
        if state is None:
            last_sha = None
        elif capture.mirror_of is not None:
            last_sha = self.archive.last_body_at(state.id, capture.url)
        else:
            last_sha = state.last_body_sha256
        article: Article | None = None
        not_found = False
        good_answer = (not capture.error and capture.status == 200 and not capture.not_modified
                       and not capture.not_html)
        if (good_answer and body_sha != last_sha
                and not (capture.redirect_urls and redirected_away(capture.url, capture.final_url))):
            reference = self._not_found.get(capture.site)
            not_found = reference is not None and is_not_found_page(capture.body, capture.content_type, reference)
            if not not_found:
                site = self.site(capture.site)
                article = await self.pool.extract(capture.body, capture.final_url, capture.content_type,
                                                  site.content_selector if site else None)
                self.tally.extracted += 1
        unchanged = capture.not_modified or (good_answer and body_sha == last_sha)
        fetches = await self._fetch_attachments(capture, state, article, unchanged)
        if fetches:
            # The files took a while: another address of this notice (a mirror) may have been
            # recorded meanwhile, so the decision reads the page as it is now.
            state = self.archive.page_state(capture.mirror_of or capture.url)
        with self.archive.transaction():
            self._store_notice(capture, body_sha, article, state, not_found=not_found, last_sha=last_sha,
                               attachments=fetches)

    async def _fetch_attachments(self, capture: Capture, state: PageState | None, article: Article | None,
                                 unchanged: bool) -> dict[str, AttachmentFetch]:
        """This round's fetch of the notice's attachments, before its version is decided: those
        of the extracted page, or of the current version when the page is unchanged."""
        site = self.site(capture.site)
        fetcher = self.attachment_fetchers.get(capture.site)
        if fetcher is None or site is None or not site.attachments or capture.mirror_of is not None:
            return {}
        if article is not None:
            urls = [a.url for a in article.attachments]
        elif unchanged and state is not None and state.current_version_id is not None:
            current = self.archive.version_by_id(state.current_version_id)
            urls = [a["url"] for a in current.attachments] if current else []
        else:
            return {}
        if not urls:
            return {}
        fetches = await fetcher.fetch(self.archive, site, urls)
        for fetch in fetches.values():
            self.warc.write(fetch.capture, site)
        return fetches

    def _add_change(self, state: PageState, kind: str, capture: Capture, capture_id: int, **kwargs) -> None:
        change_id = self.archive.add_change(state.id, kind, detected_at=capture.fetched_at,
                                            capture_id=capture_id, **kwargs)
        self.tally.count_change(kind, change_id, state.site)

    def _store_notice(self, capture: Capture, body_sha: str | None, article: Article | None,
                      state: PageState | None, *, not_found: bool = False, last_sha: str | None = None,
                      attachments: dict[str, AttachmentFetch] | None = None) -> None:
        # ``state`` was read before extraction; a URL is fetched once per round, so nothing
        # else has written this page in between (a mirror address is another URL: its capture
        # never changes a page that has a version, see _store_mirror_capture).
        archive = self.archive
        if state is None:
            state = archive.ensure_page(capture.site, capture.mirror_of or capture.url, capture.fetched_at,
                                        listed_in=capture.listed_in)
        site = self.site(capture.site)
        unreachable_after = site.recheck.unreachable_after if site else 3
        hashes = {url: fetch.sha256 for url, fetch in (attachments or {}).items()}
        if attachments:
            store_fetches(archive, state.id, attachments, self.warc.pointer)
        page: dict[str, object] = {"last_checked": capture.fetched_at, "last_http_status": capture.status}

        def log_fetch(outcome: str, *, body: bytes | None = None, sha: str | None = None) -> int:
            # A 304 repeats the validators we sent, and a final URL equal to the requested one
            # says nothing: leaving both out keeps an unchanged re-fetch to one small row.
            return archive.add_capture(
                state.id, fetched_at=capture.fetched_at, status=capture.status, outcome=outcome,
                body=body, body_sha256=sha, headers={} if capture.not_modified else capture.headers,
                final_url=capture.final_url if capture.final_url != state.url else None,
                error=capture.error, address=capture.url if capture.url != state.url else None,
                warc=self.warc.pointer(capture),
            )

        if capture.mirror_of is not None and state.current_version_id is not None:
            self._store_mirror_capture(capture, state, body_sha, article, log_fetch, not_found=not_found,
                                       last_sha=last_sha)
            return

        # 1. No usable answer: count failures, call it unreachable after several in a row. A
        # 403/429/5xx, or a page where no notice text can be found any more (an anti-bot
        # challenge, an error template) is a failed fetch, never an edit to an empty notice.
        blocked = (capture.status >= 400 and capture.status not in REMOVED_STATUSES)
        textless = (article is not None and not article.text.strip() and state.current_version_id is not None
                    and not (article.gone_message or soft_404_marker(article.title, article.text)))
        if capture.error or capture.status == 0 or blocked or textless or capture.not_html:
            outcome, kept_body = self._failed_fetch(capture, textless)
            capture_id = log_fetch(outcome, body=kept_body)
            failures = state.failures + 1
            page["failures"] = failures
            if failures >= unreachable_after and state.status in ("live", "pending"):
                if state.current_version_id is not None:
                    self._add_change(state, "unreachable", capture, capture_id,
                                     from_version_id=state.current_version_id,
                                     note=f"{failures} failed fetches in a row; last: "
                                          f"{capture.error or f'HTTP {capture.status}'}")
                page["status"] = "unreachable"
            archive.update_page(state.id, **page)
            return

        page["failures"] = 0
        recovered = state.status == "unreachable"
        if recovered:
            self._clear_unreachable(state, capture)

        # 2. Gone: 404/410, redirected away, the site's own not-found page, or a soft-404 stub.
        # The note says which signal decided.
        removal_note = self._removal_note(capture, state, article, not_found)
        if removal_note is not None:
            capture_id = log_fetch("removed", body=capture.body or None)
            if state.status != "removed" and state.current_version_id is not None:
                self._add_change(state, "removed", capture, capture_id,
                                 from_version_id=state.current_version_id, note=removal_note)
            page["status"] = "removed"
            archive.update_page(state.id, **page)
            return

        # 3. Same as last time: a 304 or byte-identical body. No extraction, a small row.
        if capture.not_modified or (body_sha is not None and body_sha == last_sha and article is None):
            if hashes and state.status != "removed" and self._attachments_replaced(capture, state, hashes,
                                                                                   log_fetch, page, last_sha):
                return
            self.tally.unchanged += 1
            log_fetch("not_modified" if capture.not_modified else "unchanged",
                      sha=None if capture.not_modified else body_sha)
            if state.status == "removed":  # same bytes as before the removal: it is back
                self._restore(state, capture, None)
            page["status"] = "live"
            archive.update_page(state.id, **page)
            return

        # 4. New bytes: compare the extracted notice with the current version.
        assert article is not None and capture.body
        page["status"] = "live"
        if capture.mirror_of is None:  # the page's validators and last body are its primary address's
            page.update(etag=capture.headers.get("etag"), last_modified=capture.headers.get("last-modified"),
                        last_body_sha256=body_sha)
        content = version_content(article, hashes)
        previous = None
        if state.current_fingerprint != content.fingerprint and state.current_version_id:
            previous = archive.version_by_id(state.current_version_id)
        # A version stored by an older comparison form has another fingerprint for the same
        # content: no field differing is no edit.
        if state.current_fingerprint == content.fingerprint or (previous is not None
                                                                and not changed_fields(previous, content)):
            capture_id = log_fetch("same_content", body=capture.body)
            archive.conn.execute("UPDATE captures SET version_id = ? WHERE id = ?",
                                 (state.current_version_id, capture_id))
            if previous is not None and fills_hashes(previous.attachments, content.attachments):
                stored_attachments.fill_version_hashes(archive, previous.id, content.attachments,
                                                       with_attachments(previous, content.attachments).fingerprint)
            if state.status == "removed":
                self._restore(state, capture, capture_id)
            archive.update_page(state.id, **page)
            return
        if previous is not None and state.status != "removed":
            earlier = next((v for v in archive.versions(state.url)
                            if v.fingerprint == content.fingerprint and v.id != previous.id), None)
            if earlier is not None:
                self._store_return(capture, state, previous, earlier, content, log_fetch, page)
                return
        capture_id = log_fetch("new" if previous is None else "changed", body=capture.body)
        version = archive.add_version(state.id, content, created_at=capture.fetched_at, capture_id=capture_id)
        if previous is None:
            self._add_change(state, "new", capture, capture_id, to_version_id=version.id,
                             note=BASELINE_NOTE if capture.site in self._first_round else None)
        else:
            fields = changed_fields(previous, content)
            if state.status == "removed":
                self._restore(state, capture, capture_id, from_version_id=previous.id, to_version_id=version.id,
                              fields=fields)
            else:
                self._add_change(state, "edited", capture, capture_id, fields=fields,
                                 from_version_id=previous.id, to_version_id=version.id)
        archive.update_page(state.id, **page)

    def _attachments_replaced(self, capture: Capture, state: PageState, hashes: dict[str, str | None],
                              log_fetch, page: dict[str, object], last_sha: str | None) -> bool:
        """An unchanged page whose attachments were fetched: a file replaced behind its link is
        a new version (``edited``, field ``attachments``); hashes learnt for the first time are
        written into the current version (no change). True when a version was stored."""
        archive = self.archive
        current = archive.version_by_id(state.current_version_id) if state.current_version_id else None
        if current is None:
            return False
        attachments = with_hashes(current.attachments, hashes)
        if not replaced_files(current.attachments, attachments):
            if fills_hashes(current.attachments, attachments):
                stored_attachments.fill_version_hashes(archive, current.id, attachments,
                                                       with_attachments(current, attachments).fingerprint)
            return False
        content = with_attachments(current, attachments)
        capture_id = log_fetch("changed", sha=last_sha)  # the page bytes are the last ones
        version = archive.add_version(state.id, content, created_at=capture.fetched_at, capture_id=capture_id)
        self._add_change(state, "edited", capture, capture_id, fields=["attachments"],
                         from_version_id=current.id, to_version_id=version.id)
        page["status"] = "live"
        archive.update_page(state.id, **page)
        return True

    def _failed_fetch(self, capture: Capture, textless: bool) -> tuple[str, bytes | None]:
        """The outcome and the body kept for a fetch that gives no version: ``refused`` (out
        of the crawl scope: nothing fetched there), ``not_html`` (binary bytes, kept as
        received), else ``error`` (with a page where no notice text was found, the error says
        so: a failed extraction; the previous version stays current)."""
        self.tally.failed += 1
        if capture.refused:
            return "refused", None
        if capture.not_html:
            capture.error = capture.error or f"not an HTML page: {capture.not_html}"
            return "not_html", capture.body or None
        if textless and not capture.error:
            capture.error = "no notice text found on the page"
        return "error", capture.body or None

    def _store_return(self, capture: Capture, state: PageState, previous: StoredVersion, earlier: StoredVersion,
                      content: VersionContent, log_fetch, page: dict[str, object]) -> None:
        """The page shows again what an earlier version held: the earlier version becomes
        current (no new version). The first such return is an edit, alerted like any other
        (outcome ``reverted``); a page that has returned to an earlier version within its last
        :data:`FLAP_WINDOW` captures is flapping (two versions served in turn, a cache or
        load balancer out of step): the capture is kept with outcome ``flapping``, and no
        change is raised, so it is not alerted again each round. New content still is."""
        archive = self.archive
        recent = archive.captures(state.url)[-FLAP_WINDOW:]
        flapping = any(c.outcome in (REVERTED, FLAPPING) for c in recent)
        capture_id = log_fetch(FLAPPING if flapping else REVERTED, body=capture.body)
        archive.conn.execute("UPDATE captures SET version_id = ? WHERE id = ?", (earlier.id, capture_id))
        archive.set_current_version(state.id, earlier)
        if not flapping:
            self._add_change(state, "edited", capture, capture_id, fields=changed_fields(previous, content),
                             from_version_id=previous.id, to_version_id=earlier.id,
                             note=REVERTED_NOTE.format(number=earlier.number))
        archive.update_page(state.id, **page)

    def _removal_note(self, capture: Capture, state: PageState, article: Article | None,
                      not_found: bool) -> str | None:
        """Why this answer says the notice is gone, or None when it does not."""
        if capture.status in REMOVED_STATUSES:
            return f"HTTP {capture.status}"
        if capture.redirect_urls and redirected_away(capture.url, capture.final_url):
            return f"redirected to {capture.final_url}"
        if not_found:
            return NOT_FOUND_PAGE_NOTE
        if article is not None and (marker := article.gone_message or soft_404_marker(article.title, article.text)):
            return f"page says {marker!r}"
        if article is not None and (message := self._shrunk_to_message(state, article)):
            return f"the notice's text and headline are gone from the page, which now shows {message!r}"
        return None

    def _store_mirror_capture(self, capture: Capture, state: PageState, body_sha: str | None,
                              article: Article | None, log_fetch, *, not_found: bool,
                              last_sha: str | None) -> None:
        """A notice the archive has, fetched at a mirror address: the capture is kept and
        compared with the current version, but only the primary address changes the notice.

        A mirror is the site's copy: it may lag behind an edit, fail, or drop a page before the
        primary does; letting it decide would raise edits and removals (and their reversal at
        the next primary fetch) that are the mirror's, not the notice's. A mirror answer whose
        notice differs from the current version is kept with outcome ``mirror_differs``.
        """
        blocked = capture.status >= 400 and capture.status not in REMOVED_STATUSES
        if capture.error or capture.status == 0 or blocked or capture.not_html:
            outcome, kept_body = self._failed_fetch(capture, False)
            log_fetch(outcome, body=kept_body)
            return
        if self._removal_note(capture, state, article, not_found) is not None:
            log_fetch("removed", body=capture.body or None)
            return
        if capture.not_modified or article is None:
            self.tally.unchanged += 1
            log_fetch("not_modified" if capture.not_modified else "unchanged",
                      sha=None if capture.not_modified else body_sha or last_sha)
            return
        content = version_content(article)
        same = state.current_fingerprint == content.fingerprint
        if not same:
            current = self.archive.version_by_id(state.current_version_id)
            same = current is not None and not changed_fields(current, content)
        capture_id = log_fetch("same_content" if same else "mirror_differs", body=capture.body)
        if same:
            self.archive.conn.execute("UPDATE captures SET version_id = ? WHERE id = ?",
                                      (state.current_version_id, capture_id))
        else:
            log.info("mirror %s differs from the current version of %s; the primary address decides",
                     capture.url, state.url)

    def _shrunk_to_message(self, state: PageState, article: Article) -> str | None:
        """A body cut to one short line under another headline (see removal.shrunk_to_message);
        the stored version is read only when the new body is that short."""
        if state.current_version_id is None or len(article.text) > SHRUNK_BODY_CHARS:
            return None
        before = self.archive.version_by_id(state.current_version_id)
        return shrunk_to_message(before.title, before.text, article.title, article.text) if before else None

    def _restore(self, state: PageState, capture: Capture, capture_id: int | None, *,
                 from_version_id: int | None = None, to_version_id: int | None = None,
                 fields: list[str] | None = None) -> None:
        version_id = state.current_version_id
        self._add_change(state, "restored", capture, capture_id, fields=fields or [],
                         from_version_id=from_version_id or version_id, to_version_id=to_version_id or version_id,
                         note="back after removal" + (" with edits" if fields else ""))

    def _clear_unreachable(self, state: PageState, capture: Capture) -> None:
        """An unreachable notice answers again: note the recovery on its open change."""
        self.archive.conn.execute(
            "UPDATE changes SET note = COALESCE(note, '') || ? WHERE id = ("
            "SELECT MAX(id) FROM changes WHERE page_id = ? AND kind = 'unreachable')",
            (f"; recovered {capture.fetched_at} (HTTP {capture.status})", state.id),
        )
