"""The archive as a read-only website: Datasette plus a diff page per change.

``portalwatch serve`` hands :func:`build_datasette`'s app to uvicorn. Datasette gives the
tables, facets, SQL and JSON; this module adds what a reader of notices needs:

* metadata naming and describing every table and column, and canned queries (recent
  changes, removed notices, edits by site, notices by issuer, full-text search);
* ``/-/change/{id}``: the change's notice, kind, fields and a side-by-side diff of its two
  versions rendered by :mod:`monitor.diff`, linked from the ``changes`` table and queries;
* safety: the archive is opened read-only (``mode=ro`` and ``query_only`` on every
  connection, including the one Datasette would write with), captured text is always
  escaped, and every response carries a Content-Security-Policy that runs no script but
  files served by Datasette itself and Datasette's own inline scripts (allowed by hash).

The hooks are registered once, in-process, on Datasette's plugin manager; they act only on
an :class:`ArchiveDatasette`, so other Datasette instances in the same process are left alone.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import markupsafe
from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm
from datasette.utils.asgi import NotFound, Response

from monitor.diff import diff_fields, diff_texts
from monitor.diff_render import render_html, side_by_side_html
from monitor.vocabulary import FIELD_NAMES
from storage.archive import Archive, ArchiveError
from storage.records import StoredChange, StoredVersion
from storage.schema import SCHEMA_VERSION
from storage.search import HIGHLIGHT_END, HIGHLIGHT_START, manual_snippet, to_simplified

# The archive's name in URLs: /archive/changes, /archive/recent_changes.
DATABASE_NAME = "archive"
CHANGE_ROUTE = r"^/-/change/(?P<change_id>[0-9]{1,18})$"
PLUGIN_NAME = "portalwatch"

PACKAGE_DATA = Path(__file__).parent / "datasette"
TEMPLATES_DIR = PACKAGE_DATA / "templates"
STATIC_DIR = PACKAGE_DATA / "static"
STATIC_MOUNT = "-/portalwatch"
STYLESHEET = "portalwatch.css"

# Scripts run only from this server's files; Datasette's own inline scripts are added by hash
# (see inline_script_hashes). Inline styles stay allowed: Datasette's templates use them and
# they cannot run code.
CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# What a reader sees for each metadata field of a version: the Chinese name portals print
# (monitor.vocabulary) and the English one.
FIELD_ENGLISH = {
    "title": "title", "published": "published", "source": "source", "editor": "editor", "author": "author",
    "doc_number": "document number", "index_number": "index number", "issuer": "issuer",
    "attachments": "attachments",
}
FIELD_LABELS = {name: f"{FIELD_NAMES[name]} {english}" for name, english in FIELD_ENGLISH.items()}

CHANGE_KIND_DESCRIPTIONS = {
    "new": "first version of a notice",
    "edited": "the text or a metadata field changed",
    "removed": "the portal took the notice down (404, redirect home, or a 'deleted' page)",
    "restored": "a removed notice came back",
    "unreachable": "fetches kept failing",
    "delisted": "the notice dropped off every listing page but still answers",
}


# -- metadata ------------------------------------------------------------------------------

TABLES: dict[str, dict] = {
    "sites": {
        "title": "Sites",
        "description": "Each portal named in sites.toml, with when it was crawled.",
        "label_column": "name",
        "columns": {
            "id": "Site id.",
            "name": "The site's name in sites.toml.",
            "first_crawled": "When the first crawl round of this site finished.",
            "last_crawled": "When the latest crawl round of this site finished.",
            "rounds": "How many crawl rounds have finished.",
        },
    },
    "pages": {
        "title": "Notices",
        "description": "Every notice URL found on a site's listings, with its current state.",
        "label_column": "title",
        "facets": ["status"],
        "columns": {
            "id": "Notice id.",
            "site_id": "The site it belongs to.",
            "url": "The notice's URL.",
            "first_seen": "When portalwatch first saw the URL.",
            "last_checked": "When it was last fetched.",
            "last_http_status": "HTTP status of the last fetch (0: no response).",
            "status": "live, removed, unreachable or pending (found but not fetched yet).",
            "listed": "1 while the notice still appears on a listing page.",
            "listed_in": "The listing page it was found on.",
            "last_listed_at": "When it last appeared on a listing page.",
            "failures": "Failed fetches in a row.",
            "etag": "ETag of the last response, sent back for a conditional GET.",
            "last_modified": "Last-Modified of the last response, sent back for a conditional GET.",
            "last_body_sha256": "SHA-256 of the last body fetched.",
            "current_version_id": "The latest version of the notice.",
            "title": "Title of the latest version.",
            "published": "Publication date of the latest version.",
        },
    },
    "captures": {
        "title": "Captures",
        "description": "One row per fetch of a notice: status, outcome and the stored raw body.",
        "facets": ["outcome"],
        "columns": {
            "id": "Capture id.",
            "page_id": "The notice fetched.",
            "fetched_at": "When it was fetched.",
            "status": "HTTP status (0: no response).",
            "outcome": "new, changed, unchanged, not_modified, same_content, removed or error.",
            "body_sha256": "SHA-256 of the raw body, a key into blobs.",
            "header_set_id": "The response headers, a key into header_sets.",
            "final_url": "The URL after redirects.",
            "version_id": "The version this capture produced, if any.",
            "error": "Why the fetch failed.",
            "warc_record_id": "Record id when the capture was also written to a WARC file.",
            "warc_file": "The WARC file holding the record (in the folder next to the archive).",
            "warc_offset": "Byte offset of the record in its WARC file.",
            "warc_length": "Length of the (gzipped) record in bytes.",
            "warc_payload_digest": "The record's WARC-Payload-Digest (sha1, base32).",
            "warc_refers_to": "For a revisit record: the record id of the response it stands for.",
            "address": "The address fetched when it is not the notice's own URL (a mirror).",
        },
    },
    "versions": {
        "title": "Versions",
        "description": (
            "Each distinct content of a notice: clean text and metadata. A new version is "
            "stored only when the normalised text or a field changed. Search uses versions_fts "
            "(any 3+ characters)."
        ),
        "label_column": "title",
        "fts_table": "versions_fts",
        "fts_pk": "id",
        "facets": ["issuer"],
        "columns": {
            "id": "Version id.",
            "page_id": "The notice.",
            "number": "1 for the first version of the notice, then 2, 3, …",
            "created_at": "When this version was first captured.",
            "capture_id": "The capture it was extracted from.",
            "fingerprint": "Hash of the normalised text and fields; equal means the same version.",
            "title": "标题: the notice's title.",
            "published": "发布时间: publication date printed on the notice.",
            "source": "来源 / 信息来源: the source printed on the notice.",
            "editor": "责任编辑: the responsible editor.",
            "author": "作者: the author.",
            "doc_number": "文号: the document number, e.g. 湘政办发〔2024〕3号.",
            "index_number": "索引号: the index number of the open-government catalogue.",
            "issuer": "发布机关: the issuing body.",
            "attachments": "附件: JSON list of {url, text}.",
            "text": "The notice's body text (escaped when shown; never rendered as HTML).",
            "extractor": "Which extractor produced the text.",
            "reextracted": "1 when made by re-running extraction on a stored capture.",
        },
    },
    "changes": {
        "title": "Changes",
        "description": (
            "What portalwatch noticed between captures. Click a change's kind to see its diff."
        ),
        "facets": ["kind"],
        "sort_desc": "detected_at",
        "columns": {
            "id": "Change id; /-/change/{id} shows its diff.",
            "page_id": "The notice.",
            "kind": "; ".join(f"{kind}: {text}" for kind, text in CHANGE_KIND_DESCRIPTIONS.items()),
            "fields": "JSON list of what changed: text and/or metadata fields.",
            "detected_at": "When the change was detected.",
            "from_version_id": "The version before the change.",
            "to_version_id": "The version after the change.",
            "capture_id": "The capture that revealed it.",
            "note": "Why, for removals and failures (e.g. HTTP 404, the portal's removal text).",
            "batch_id": "The mass change (change_batches) this edit is part of; empty for most changes.",
        },
    },
    "change_batches": {
        "title": "Mass changes",
        "description": (
            "Many notices of one site edited in one round (usually a template redesign): the changes are "
            "stored one by one and alerted once for the site."
        ),
        "facets": ["kind"],
        "sort_desc": "detected_at",
        "columns": {
            "id": "Batch id; `portalwatch changes --batch ID --expand` lists its changes.",
            "site_id": "The site.",
            "kind": "The kind of its changes (edited).",
            "detected_at": "When the round that found them ended.",
            "changes": "How many changes it groups.",
            "rechecked": "How many of the site's known notices that round re-checked.",
            "fields": "JSON object: how many of the changes touched each field.",
            "note": "Why it is one batch.",
        },
    },
    "batch_deliveries": {
        "title": "Mass-change alert deliveries",
        "description": "Each attempt to send the one alert of a mass change, so failed targets are retried.",
        "facets": ["target", "ok"],
        "columns": {
            "id": "Delivery id.",
            "batch_id": "The mass change alerted about.",
            "target": "The alert target (its name, never its secret URL).",
            "attempted_at": "When the attempt was made.",
            "attempts": "How many attempts it took.",
            "ok": "1 once delivered.",
            "error": "Why the attempt failed.",
        },
    },
    "not_found_pages": {
        "title": "Not-found pages",
        "description": (
            "What each site answered last to a URL that cannot exist; a notice that answers with the same "
            "page is removed."
        ),
        "columns": {
            "site_id": "The site.",
            "url": "The probe URL asked for.",
            "checked_at": "When.",
            "status": "HTTP status of the answer (404/410: a real not-found; 200: a not-found page).",
            "fingerprint": "JSON list of the page's normalised visible text lines; empty for a real 404.",
        },
    },
    "deliveries": {
        "title": "Alert deliveries",
        "description": "Each attempt to send an alert for a change, so failed targets are retried.",
        "facets": ["target", "ok"],
        "columns": {
            "id": "Delivery id.",
            "change_id": "The change alerted about.",
            "target": "The alert target (its name, never its secret URL).",
            "attempted_at": "When the latest attempt was made.",
            "attempts": "How many attempts so far.",
            "ok": "1 once delivered.",
            "error": "Why the latest attempt failed.",
        },
    },
    "header_sets": {
        "title": "Response header sets",
        "description": "Distinct sets of HTTP response headers, stored once and shared by captures.",
        "columns": {
            "id": "Header set id.",
            "sha256": "SHA-256 of the JSON.",
            "headers": "The headers as a JSON object.",
        },
    },
    "blobs": {
        "title": "Raw bodies",
        "description": (
            "Raw bodies as fetched, zlib-compressed, once per SHA-256. Hidden: they are "
            "downloads, never rendered. Use `portalwatch show --raw URL` to read one."
        ),
        "hidden": True,
        "columns": {
            "sha256": "SHA-256 of the uncompressed body.",
            "size": "Uncompressed size in bytes.",
            "compression": "How content is compressed (zlib).",
            "content": "The compressed body.",
        },
    },
    "versions_fts": {
        "title": "Search index",
        "description": "Trigram full-text index of versions (rowid = versions.id).",
        "hidden": True,
    },
    "attachment_files": {
        "title": "Attachment files",
        "description": "Each distinct file attached to a notice (pdf, doc, xls, ofd…), once per SHA-256, with its text.",
        "facets": ["file_type", "readable"],
        "columns": {
            "id": "File id.",
            "sha256": "SHA-256 of the file, a key into blobs.",
            "size": "Size in bytes.",
            "content_type": "Content-Type the server sent.",
            "file_type": "The type read from the bytes (pdf, docx, xlsx, ofd…).",
            "readable": "text, no text, unreadable or unsupported.",
            "note": "Why no text could be read.",
            "text": "The text read from the file.",
        },
    },
    "attachment_fetches": {
        "title": "Attachment fetches",
        "description": "One row per fetch of an attachment: status, outcome, content hash and validators.",
        "facets": ["outcome"],
        "columns": {
            "id": "Fetch id.",
            "page_id": "The notice the file is attached to.",
            "url": "The attachment's address.",
            "fetched_at": "When it was fetched.",
            "status": "HTTP status (0: no response).",
            "outcome": "What the fetch gave (new, unchanged, not_modified, too_large, error…).",
            "sha256": "SHA-256 of the file received (a key into attachment_files).",
            "etag": "ETag sent by the server, for conditional re-checks.",
            "last_modified": "Last-Modified sent by the server.",
            "error": "Why the fetch failed.",
            "warc_record_id": "Record id in the WARC files.",
            "warc_file": "The WARC file holding the record.",
            "warc_offset": "Byte offset of the record.",
            "warc_length": "Length of the record in bytes.",
            "warc_payload_digest": "The record's WARC-Payload-Digest.",
            "warc_refers_to": "For a revisit: the record it stands for.",
        },
    },
    "attachments_fts": {
        "title": "Attachment search index",
        "description": "Trigram full-text index of attachment text (rowid = attachment_files.id).",
        "hidden": True,
    },
    "announcements": {
        "title": "Announcements",
        "description": "Each change (or mass change) and each target it is told to: an alert target, the change log"
                       " or the feed, and whether it has been (see `portalwatch deliveries`).",
        "facets": ["target", "state"],
        "columns": {
            "id": "Announcement id.",
            "change_id": "The change told (null for a mass change).",
            "batch_id": "The mass change told (null for a change).",
            "target": "An alert target (its name, never its secret URL), changelog or feed.",
            "state": "pending, sending, sent, failed or skipped.",
            "attempts": "Sends tried so far.",
            "next_attempt_at": "When a failed one is tried again (empty: the next run).",
            "claimed_by": "The process and thread sending it now.",
            "claimed_at": "When it was claimed.",
            "done_at": "When it was sent or skipped.",
            "error": "Why the latest attempt failed, or why it was skipped.",
            "marker": "Change log size before its line was appended (for recovery after a crash).",
        },
    },
    "announce_targets": {
        "title": "Announcement targets",
        "description": "Every target changes are told to, and how far its announcements were queued.",
        "hidden": True,
        "columns": {
            "target": "An alert target's name, changelog or feed.",
            "through_change_id": "Changes up to this id are queued for it.",
            "through_batch_id": "Mass changes up to this id are queued for it.",
            "registered_at": "When the target was first seen.",
        },
    },
    "site_locks": {
        "title": "Running rounds",
        "description": "One row per site whose round is running: the one process allowed to write it.",
        "hidden": True,
        "columns": {
            "site": "Site name.",
            "holder": "The holder's token (process and thread).",
            "pid": "Process id of the holder.",
            "pid_started": "When that process started (to tell a reused PID).",
            "command": "The command holding it.",
            "before_change_id": "The last change id before the round began.",
            "acquired_at": "When the round began.",
        },
    },
}

_CHANGE_JOINS = """
  from changes
  join pages on pages.id = changes.page_id
  join sites on sites.id = pages.site_id
  left join versions fv on fv.id = changes.from_version_id
  left join versions tv on tv.id = changes.to_version_id"""

# Canned queries; a column named change_id links to the change's diff page.
QUERIES: dict[str, dict] = {
    "recent_changes": {
        "title": "Recent changes",
        "description": "The latest 500 changes, newest first. Click a change id to see its diff.",
        "sql": f"""select changes.id as change_id, changes.detected_at, sites.name as site, changes.kind,
  changes.fields, coalesce(tv.title, fv.title, pages.title) as title, pages.url, changes.note
{_CHANGE_JOINS}
order by changes.detected_at desc, changes.id desc
limit 500""",
    },
    "removed_notices": {
        "title": "Removed notices",
        "description": "Notices a portal took down, with when and why, newest first.",
        "sql": f"""select changes.id as change_id, changes.detected_at as removed_at, sites.name as site,
  coalesce(fv.title, pages.title) as title, pages.url, pages.published, changes.note,
  pages.status as status_now
{_CHANGE_JOINS}
where changes.kind = 'removed'
order by changes.detected_at desc, changes.id desc""",
    },
    "edits_by_site": {
        "title": "Edits by site",
        "description": "How many edits each site made to published notices, and when the last one was.",
        "sql": """select sites.name as site, count(changes.id) as edits,
  count(distinct changes.page_id) as notices_edited,
  (select count(*) from pages p where p.site_id = sites.id) as notices,
  max(changes.detected_at) as last_edit
from sites
left join pages on pages.site_id = sites.id
left join changes on changes.page_id = pages.id and changes.kind = 'edited'
group by sites.id
order by edits desc, site""",
    },
    "notices_by_issuer": {
        "title": "Notices by issuer (发布机关)",
        "description": "Notices counted by the issuing body printed on their latest version.",
        "sql": """select coalesce(nullif(trim(versions.issuer), ''), '(not stated)') as issuer,
  count(*) as notices,
  sum(pages.status = 'removed') as removed,
  (select count(*) from changes where changes.kind = 'edited' and changes.page_id in
     (select p.id from pages p join versions v on v.id = p.current_version_id
      where coalesce(nullif(trim(v.issuer), ''), '(not stated)')
          = coalesce(nullif(trim(versions.issuer), ''), '(not stated)'))) as edits,
  min(versions.published) as earliest, max(versions.published) as latest
from pages
join versions on versions.id = pages.current_version_id
group by 1
order by notices desc, issuer""",
    },
    "search": {
        "title": "Search notices",
        "description": (
            "Full-text search of every version's title and text, in Simplified or Traditional "
            "characters. Three or more characters use the trigram index; one or two characters "
            "fall back to a scan. The query is one phrase; 【】 marks it in the excerpt."
        ),
        "sql": """select versions.id as version_id, pages.url, versions.title, versions.number as version,
  versions.created_at,
  coalesce(nullif(pw_snippet(versions.text, :q), ''), pw_snippet(versions.title, :q)) as excerpt,
  versions_fts.rank as rank
from versions_fts
join versions on versions.id = versions_fts.rowid
join pages on pages.id = versions.page_id
where length(trim(:q)) >= 3
  and versions_fts match '"' || replace(pw_simplified(trim(:q)), '"', '""') || '"'
union all
select versions.id, pages.url, versions.title, versions.number, versions.created_at,
  coalesce(nullif(pw_snippet(versions.text, :q), ''), pw_snippet(versions.title, :q)), null
from versions_fts
join versions on versions.id = versions_fts.rowid
join pages on pages.id = versions.page_id
where length(trim(:q)) between 1 and 2
  and (instr(versions_fts.title, pw_simplified(trim(:q))) > 0
       or instr(versions_fts.text, pw_simplified(trim(:q))) > 0)
order by rank, version_id desc
limit 200""",
    },
}


def metadata() -> dict:
    """Datasette metadata: titles, descriptions and canned queries of the archive."""
    return {
        "title": "portalwatch archive",
        "description": (
            "Every capture, version and change of the watched notices. Read-only. "
            "Captured text is shown escaped; nothing captured is ever run."
        ),
        "databases": {
            DATABASE_NAME: {
                "description": "The portalwatch archive.",
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }


# -- the app -------------------------------------------------------------------------------


class ReadOnlyDatabase(Database):
    """A Database whose every connection, even the write one, is ``mode=ro`` and query-only.

    Not ``immutable=1``: a crawl may be writing the archive while it is served, and an
    immutable database would read stale or torn pages.
    """

    def connect(self, write: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        self._all_file_connections.append(conn)
        return conn


class ArchiveDatasette(Datasette):
    """Datasette serving one portalwatch archive; the portalwatch hooks act only on these.

    A subclass rather than an attribute set afterwards: Datasette builds its ASGI app (and
    so calls ``asgi_wrapper``) inside ``__init__``.
    """

    def __init__(self, archive_path: Path, **kwargs: object) -> None:
        self.archive_path = archive_path
        super().__init__(**kwargs)


def build_datasette(archive_path: str | Path, **settings: object) -> ArchiveDatasette:
    """A Datasette serving the archive at ``archive_path`` read-only, with the portalwatch pages.

    ``settings`` are Datasette settings (e.g. ``sql_time_limit_ms=2000``).
    """
    path = Path(archive_path).resolve()
    if not path.is_file():
        raise ArchiveError(f"no archive at {path} (run `portalwatch crawl` first)")
    with Archive(path, readonly=True) as archive:  # fails early on a file that is not an archive
        archive.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    register_plugin()
    datasette = ArchiveDatasette(
        path,
        metadata=metadata(),
        template_dir=str(TEMPLATES_DIR),
        static_mounts=[(STATIC_MOUNT, str(STATIC_DIR))],
        settings={"allow_download": False, **settings},
    )
    datasette.add_database(ReadOnlyDatabase(datasette, path=str(path)), name=DATABASE_NAME)
    # Datasette adds an empty in-memory database when built without files; the archive is
    # the only database a reader should see on the home page.
    if "_memory" in datasette.databases:
        datasette.remove_database("_memory")
    return datasette


def schema_version(archive_path: str | Path) -> int:
    """The archive's schema version, to warn when it predates search."""
    conn = sqlite3.connect(f"file:{Path(archive_path).resolve()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def archive_is_current(archive_path: str | Path) -> bool:
    return schema_version(archive_path) >= SCHEMA_VERSION


def register_plugin() -> None:
    """Register this module's hooks with Datasette once per process."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)


def _ours(datasette: Datasette) -> bool:
    return isinstance(datasette, ArchiveDatasette)


# -- SQL functions for the search query -------------------------------------------------------

# How pw_snippet marks the matched phrase (Datasette escapes it like any other text).
SNIPPET_MARKS = ("【", "】")


def snippet_of(text: str | None, query: str | None) -> str:
    """Text around the first match of ``query`` (folded like the index), marked with 【】."""
    if not text or not query or not query.strip():
        return ""
    marked = manual_snippet(text, [to_simplified(query.strip())])
    return marked.replace(HIGHLIGHT_START, SNIPPET_MARKS[0]).replace(HIGHLIGHT_END, SNIPPET_MARKS[1])


@hookimpl
def prepare_connection(conn, database, datasette):
    """``pw_simplified`` folds a query the way storage.search folds the index;
    ``pw_snippet`` cuts an excerpt from the original text."""
    if not _ours(datasette) or database != DATABASE_NAME:
        return
    conn.create_function("pw_simplified", 1, lambda text: to_simplified(text or ""), deterministic=True)
    conn.create_function("pw_snippet", 2, snippet_of, deterministic=True)


# -- content security policy ---------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
# Datasette's table.html sets DATASETTE_ALLOW_FACET to one of these two values.
_ALLOW_FACET_VALUES = ("true", "false")


def inline_script_hashes(datasette: Datasette) -> list[str]:
    """CSP hashes of every inline script in the installed Datasette's templates.

    Hashing what is installed keeps Datasette's menus and SQL editor working without
    allowing any other inline script, and follows Datasette upgrades by itself.
    """
    env = datasette.jinja_env
    # Datasette's environment renders asynchronously; a plain one renders the script
    # bodies the same way (autoescaped) and works inside a running event loop too.
    renderer = jinja2.Environment(autoescape=True)
    hashes: set[str] = set()
    for name in env.list_templates():
        if not name.endswith(".html"):
            continue
        source = env.loader.get_source(env, name)[0]
        for match in _INLINE_SCRIPT.finditer(source):
            if "src=" in match.group("attrs") or "{{ body_script" in match.group("body"):
                continue
            for value in _ALLOW_FACET_VALUES:
                # The sentinel keeps Jinja from dropping the body's trailing newline.
                body = renderer.from_string(match.group("body") + "\x00").render(datasette_allow_facet=value)
                body = body.removesuffix("\x00")
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def content_security_policy(datasette: Datasette) -> str:
    hashes = inline_script_hashes(datasette)
    return CSP_TEMPLATE.format(hashes="".join(f" {h}" for h in hashes))


@hookimpl
def asgi_wrapper(datasette):
    if not _ours(datasette):
        return None
    policy = content_security_policy(datasette).encode()
    added = [
        (b"content-security-policy", policy),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
    names = {name for name, _ in added}

    def wrap(app):
        async def with_policy(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)

            async def send_with_policy(message):
                if message["type"] == "http.response.start":
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                    message = dict(message, headers=headers + added)
                await send(message)

            await app(scope, receive, send_with_policy)

        return with_policy

    return wrap


# -- links to the change page --------------------------------------------------------------


def change_url(datasette: Datasette, change_id: int) -> str:
    return datasette.urls.path(f"/-/change/{int(change_id)}")


# Columns holding a versions.id without a declared foreign key: linked to the version's row.
VERSION_ID_COLUMNS = {
    ("changes", "from_version_id"),
    ("changes", "to_version_id"),
    ("pages", "current_version_id"),
    ("captures", "version_id"),
    (None, "version_id"),
}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link changes to their diff page (``kind`` in the changes table, ``change_id`` in
    queries) and version ids to the version's row."""
    if not _ours(datasette) or database != DATABASE_NAME:
        return None
    if table == "changes" and column == "kind":
        href = change_url(datasette, row["id"])
    elif table is None and column == "change_id" and isinstance(value, int):
        href = change_url(datasette, value)
    elif (table, column) in VERSION_ID_COLUMNS and isinstance(value, int):
        href = datasette.urls.row(DATABASE_NAME, "versions", str(value))
    else:
        return None
    return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)


@hookimpl
def extra_css_urls(datasette):
    if not _ours(datasette):
        return []
    return [datasette.urls.path(f"/{STATIC_MOUNT}/{STYLESHEET}")]


@hookimpl
def menu_links(datasette):
    if not _ours(datasette):
        return None
    return [
        {"href": datasette.urls.path(f"/{DATABASE_NAME}/{name}"), "label": query["title"]}
        for name, query in QUERIES.items()
    ]


# -- the change page -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeView:
    """A change with the two versions it sits between (either may be absent)."""

    change: StoredChange
    before: StoredVersion | None
    after: StoredVersion | None


def load_change(archive_path: Path, change_id: int) -> ChangeView | None:
    with Archive(archive_path, readonly=True) as archive:
        try:
            change = archive.change(change_id)
        except ArchiveError:
            return None
        before = archive.version_by_id(change.from_version_id) if change.from_version_id else None
        after = archive.version_by_id(change.to_version_id) if change.to_version_id else None
    return ChangeView(change, before, after)


def safe_link(url: str | None) -> markupsafe.Markup:
    """An escaped link for http(s) URLs; anything else (javascript:, data:) as plain text."""
    if not url:
        return markupsafe.Markup("")
    if urlsplit(url).scheme.lower() in ("http", "https"):
        return markupsafe.Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(url, url)
    return markupsafe.escape(url)


def _version_label(version: StoredVersion | None, fallback: str) -> str:
    if version is None:
        return f"{fallback}: none"
    return f"{fallback}: version {version.number} ({version.created_at})"


def field_changes(view: ChangeView) -> list[dict]:
    """Metadata fields that differ between the two versions, each with an escaped inline diff."""
    if view.before is None or view.after is None:
        return []
    rows = []
    for change in diff_fields(view.before.fields(), view.after.fields()):
        rows.append({
            "name": change.name,
            "label": FIELD_LABELS.get(change.name, change.name),
            "old": change.old,
            "new": change.new,
            "diff": markupsafe.Markup(render_html(diff_texts(change.old or "", change.new or ""))),
        })
    return rows


def change_context(datasette: Datasette, view: ChangeView) -> dict:
    change = view.change
    before, after = view.before, view.after
    text_diff = side_by_side_html(
        before.text if before else "",
        after.text if after else "",
        old_label=_version_label(before, "Before"),
        new_label=_version_label(after, "After"),
    )
    latest = after or before
    return {
        "database_name": DATABASE_NAME,
        "change": change,
        "kind_description": CHANGE_KIND_DESCRIPTIONS.get(change.kind, ""),
        "fields": change.fields,
        "url_link": safe_link(change.url),
        "before": before,
        "after": after,
        "latest": latest,
        "field_changes": field_changes(view),
        "text_changed": bool(before and after and before.text != after.text),
        "side_by_side": markupsafe.Markup(text_diff),
        "changes_url": datasette.urls.table(DATABASE_NAME, "changes"),
        "page_url": datasette.urls.row(DATABASE_NAME, "pages", str(latest.page_id)) if latest else None,
        "version_url": lambda v: datasette.urls.row(DATABASE_NAME, "versions", str(v.id)),
    }


async def change_page(datasette, request):
    if not _ours(datasette):
        raise NotFound("not a portalwatch archive")
    change_id = int(request.url_vars["change_id"])
    view = await asyncio.to_thread(load_change, datasette.archive_path, change_id)
    if view is None:
        raise NotFound(f"no change with id {change_id}")
    if request.args.get("_format") == "json":
        return Response.json(change_json(view))
    return Response.html(
        await datasette.render_template(
            "portalwatch_change.html", change_context(datasette, view), request=request
        )
    )


def change_json(view: ChangeView) -> dict:
    """The change page as data: the change, both versions' fields, and the text diff ops."""
    out = view.change.as_json()
    out["before"] = view.before.fields() if view.before else None
    out["after"] = view.after.fields() if view.after else None
    diff = diff_texts(view.before.text if view.before else "", view.after.text if view.after else "")
    out["text_diff"] = [{"op": op, "text": text} for op, text in diff.ops if op != "equal"]
    return out


@hookimpl
def register_routes(datasette):
    if not _ours(datasette):
        return []
    return [(CHANGE_ROUTE, change_page)]
