"""Chinese full-text search over stored versions (FTS5, trigram tokenizer).

Chinese has no spaces between words, so ``versions_fts`` uses the trigram tokenizer: any
substring of three or more characters is found through the index. Shorter queries (most
two-character words: 通知, 安全) cannot use trigrams and fall back to ``LIKE`` over the same
table, scanning newest versions first and stopping once enough notices are found.

Both the indexed text and the query are folded to Simplified Chinese, so 安全生產 finds
安全生产 and the other way round. OpenCC's phrase-level converter costs about 5 ms per 1,000
characters in pure Python (hours for a large archive), so folding uses a one-to-one
character table built once from OpenCC's own ``TSCharacters`` dictionary and applied with
:meth:`str.translate` (about 40 times faster, and it keeps every character at its offset).
Index and query go through the same table, so they always agree.

Snippets are cut in Python from the original text around the first match (folding keeps
every character at its offset, so the match found in the folded text is at the same place
in the original). FTS5's own ``snippet()`` re-reads the phrase's doclists for every row it
is asked about, 0.5-3 ms per hit on a common phrase; this costs microseconds and shows the
notice in the script it was written in.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.records import StoredVersion
from storage.textfold import strip_pinyin_annotations
from storage.textfold import to_simplified as fold_script

if TYPE_CHECKING:
    from storage.archive import Archive

# Marks around matched text in a snippet. Control characters never occur in notice text
# (folding strips them), so renderers can swap them for ANSI bold, 【】 or <mark>.
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
ELLIPSIS = "…"

# The trigram tokenizer indexes runs of three characters; shorter terms must use LIKE.
TRIGRAM = 3
# Title matches weigh more than body matches in bm25 (columns: title, text).
TITLE_WEIGHT, TEXT_WEIGHT = 3.0, 1.0
# Characters of context before the first match in a snippet (twice that after it).
SNIPPET_CONTEXT = 30
REINDEX_BATCH = 2000


# -- Traditional → Simplified ----------------------------------------------------------------

_NO_HIGHLIGHT = str.maketrans("", "", HIGHLIGHT_START + HIGHLIGHT_END)


def to_simplified(text: str) -> str:
    """The Simplified-Chinese form used for indexing and querying (character by character).

    Highlight marks are deleted so stored text can never forge one."""
    return fold_script(text).translate(_NO_HIGHLIGHT)


def search_form(text: str) -> str:
    """What the index holds for a text: Simplified, without the pinyin that mirror sites
    insert after characters (``國務(wù)院`` is found by ``国务院``)."""
    return to_simplified(strip_pinyin_annotations(text))


# -- keeping the index in step ------------------------------------------------------------------

def index_version(conn: sqlite3.Connection, version: StoredVersion) -> None:
    """Add one new version to ``versions_fts`` (called by ``Archive.add_version``)."""
    conn.execute(
        "INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)",
        (version.id, search_form(version.title or ""), search_form(version.text)),
    )


def rebuild_index(archive: Archive, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-index every version (for archives written before the index, or by an older folding).

    Works in batches of :data:`REINDEX_BATCH` versions, each in its own transaction, so a
    crawl writing to the same archive waits seconds, not minutes; every version stays
    findable throughout. Returns the number of versions indexed.
    """
    conn = archive.conn
    total = conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
    with archive.transaction():  # rows left by versions that no longer exist
        conn.execute("DELETE FROM versions_fts WHERE rowid NOT IN (SELECT id FROM versions)")
    done, last_id = 0, 0
    while True:
        rows = conn.execute(
            "SELECT id, title, text FROM versions WHERE id > ? ORDER BY id LIMIT ?",
            (last_id, REINDEX_BATCH),
        ).fetchall()
        if not rows:
            break
        with archive.transaction():
            conn.execute("DELETE FROM versions_fts WHERE rowid BETWEEN ? AND ?", (rows[0][0], rows[-1][0]))
            conn.executemany(
                "INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)",
                ((vid, search_form(title or ""), search_form(text)) for vid, title, text in rows),
            )
        done += len(rows)
        last_id = rows[-1][0]
        if progress:
            progress(done, total)
    return done


# -- searching ---------------------------------------------------------------------------------

@dataclass(slots=True)
class SearchHit:
    """One notice that matches, shown through its latest matching version.

    ``snippet`` is the notice's text around the first match, in its own script, with
    matches between :data:`HIGHLIGHT_START` and :data:`HIGHLIGHT_END`.
    """

    url: str
    site: str
    title: str | None
    published: str | None
    version: int
    captured_at: str
    snippet: str
    score: float | None  # bm25 (lower is better); None for LIKE-only queries
    # The attachment (its URL) whose text matched, when the match is inside a linked file
    # (storage.attachments.search_attachments); None for a match in the notice itself.
    attachment: str | None = None

    def as_json(self, snippet: str | None = None) -> dict:
        return {
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published": self.published,
            "version": self.version,
            "captured_at": self.captured_at,
            "snippet": self.snippet if snippet is None else snippet,
            "score": self.score,
            "attachment": self.attachment,
        }


def query_terms(query: str) -> list[str]:
    """Whitespace-separated terms of the query, folded to Simplified; all must match."""
    return to_simplified(query).split()


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_LIKE_SQL = "(f.title LIKE ? ESCAPE '\\' OR f.text LIKE ? ESCAPE '\\')"


def search(
    archive: Archive,
    query: str,
    *,
    site: str | None = None,
    since: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Notices whose text or title contains every term of ``query``.

    Terms of three or more characters go through the trigram index, ranked by bm25 (title
    weighted :data:`TITLE_WEIGHT`), newest version first on ties. When every term is
    shorter, matching is a ``LIKE`` scan and results come newest first. ``since`` keeps
    versions captured at or after it (an ISO string compared with ``versions.created_at``).
    """
    terms = query_terms(query)
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    short_terms = [t for t in terms if len(t) < TRIGRAM]
    if long_terms:
        return _search_indexed(archive.conn, long_terms, short_terms, site, since, limit)
    return _search_like(archive.conn, short_terms, site, since, limit)


def _filters(site: str | None, since: str | None) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if site:
        where.append("s.name = ?")
        params.append(site)
    if since:
        where.append("v.created_at >= ?")
        params.append(since)
    return where, params


def _search_indexed(conn, long_terms, short_terms, site, since, limit) -> list[SearchHit]:
    """Versions in bm25 order straight from FTS5; stop once ``limit`` notices are placed.

    FTS5 ranks every match in C (``ORDER BY rank``); only the versions read until ``limit``
    notices are found (plus any tied with the last) are looked up in ``versions``. A notice
    takes the rank of its best version and is shown through its latest matching version.
    """
    terms = long_terms + short_terms
    match = " AND ".join(_phrase(t) for t in long_terms)
    like_sql = "".join(f" AND {_LIKE_SQL}" for _ in short_terms)
    like_params = [p for t in short_terms for p in (_like(t), _like(t))]
    ranked = conn.execute(
        f"SELECT f.rowid, f.rank FROM versions_fts f WHERE versions_fts MATCH ?"
        f" AND rank MATCH 'bm25({TITLE_WEIGHT}, {TEXT_WEIGHT})'{like_sql} ORDER BY rank",
        [match, *like_params],
    )
    placed: dict[int, tuple[float, int]] = {}  # page id → (score, best version id)
    last_score = None
    for version_id, score in _rows(ranked, 50):
        if len(placed) >= limit and score != last_score:
            break
        page_id, created_at, site_name = conn.execute(_VERSION_PLACE_SQL, (version_id,)).fetchone()
        if page_id in placed or (site and site_name != site) or (since and created_at < since):
            continue
        placed[page_id] = (score, version_id)
        last_score = score
    hits = [_latest_matching(conn, page_id, version_id, score, terms, since)
            for page_id, (score, version_id) in placed.items()]
    hits.sort(key=lambda h: h.captured_at, reverse=True)  # newest first among equal scores
    hits.sort(key=lambda h: h.score)
    return hits[:limit]


_VERSION_PLACE_SQL = (
    "SELECT v.page_id, v.created_at, s.name FROM versions v JOIN pages p ON p.id = v.page_id"
    " JOIN sites s ON s.id = p.site_id WHERE v.id = ?"
)


def _latest_matching(conn, page_id, best_id, score, terms, since) -> SearchHit:
    """The notice's newest version that still contains every term (the best one at worst).

    A trigram phrase matches exactly where the folded, lower-cased text contains it, so later
    versions are checked in Python without another index lookup.
    """
    rows = conn.execute(
        "SELECT v.id, p.url, s.name, v.title, v.published, v.number, v.created_at, v.text FROM versions v"
        " JOIN pages p ON p.id = v.page_id JOIN sites s ON s.id = p.site_id"
        " WHERE v.page_id = ? AND v.id >= ? ORDER BY v.number DESC",
        (page_id, best_id),
    )
    for vid, url, site_name, title, published, number, created_at, text in rows:
        if vid != best_id and (since and created_at < since or not _contains_all(title, text, terms)):
            continue
        snippet = manual_snippet(text, terms) or manual_snippet(title or "", terms)
        return SearchHit(url, site_name, title, published, number, created_at, snippet, score)
    raise AssertionError(f"version {best_id} vanished during the search")


def _contains_all(title: str | None, text: str, terms: list[str]) -> bool:
    folded_title, folded_text = search_form(title or "").lower(), search_form(text).lower()
    return all(t.lower() in folded_title or t.lower() in folded_text for t in terms)


def _search_like(conn, terms, site, since, limit) -> list[SearchHit]:
    """Newest versions first; the first match of a notice is its latest matching version
    (version ids grow with version numbers), so the scan can stop after ``limit`` notices."""
    where, params = _filters(site, since)
    sql = (
        "SELECT v.id, v.page_id, p.url, s.name, v.title, v.published, v.number, v.created_at, v.text"
        " FROM versions_fts f JOIN versions v ON v.id = f.rowid"
        " JOIN pages p ON p.id = v.page_id JOIN sites s ON s.id = p.site_id WHERE "
        + " AND ".join([_LIKE_SQL] * len(terms) + where)
        + " ORDER BY f.rowid DESC"
    )
    like_params = [p for t in terms for p in (_like(t), _like(t))]
    hits: list[SearchHit] = []
    seen: set[int] = set()
    for row in _rows(conn.execute(sql, [*like_params, *params])):
        _vid, page_id, url, site_name, title, published, number, created_at, text = row
        if page_id in seen:
            continue
        seen.add(page_id)
        snippet = manual_snippet(text, terms) or manual_snippet(title or "", terms)
        hits.append(SearchHit(url, site_name, title, published, number, created_at, snippet, None))
        if len(hits) >= limit:
            break
    hits.sort(key=lambda h: h.captured_at, reverse=True)
    return hits


def _rows(cursor: sqlite3.Cursor, size: int = 200) -> Iterator[tuple]:
    while batch := cursor.fetchmany(size):
        yield from batch


def manual_snippet(text: str, terms: list[str], context: int = SNIPPET_CONTEXT) -> str:
    """Text around the first occurrence of any (Simplified) term, every occurrence marked.

    Matching is on the folded text and ignores ASCII case, like ``LIKE`` does; the snippet
    keeps the original script (without pinyin annotations, when a term spans one). Returns
    "" when no term occurs.
    """
    snippet = _snippet(text, terms, context)
    if not snippet and (plain := strip_pinyin_annotations(text)) != text:
        snippet = _snippet(plain, terms, context)
    return snippet


def _snippet(text: str, terms: list[str], context: int) -> str:
    lowered = to_simplified(text).lower()
    if len(lowered) != len(text):  # a rare character whose lower case is longer
        text = lowered
    needles = [t.lower() for t in terms if t]
    found = [i for i in (lowered.find(n) for n in needles) if i >= 0]
    if not found:
        return ""
    first = min(found)
    start = max(0, first - context)
    end = min(len(text), first + context * 2)
    window, window_lower = text[start:end], lowered[start:end]
    marks = [False] * len(window)
    for needle in needles:
        at = window_lower.find(needle)
        while at >= 0:
            for i in range(at, min(at + len(needle), len(window))):
                marks[i] = True
            at = window_lower.find(needle, at + 1)
    out, inside = [], False
    for char, marked in zip(window, marks):
        if marked != inside:
            out.append(HIGHLIGHT_START if marked else HIGHLIGHT_END)
            inside = marked
        out.append(char)
    if inside:
        out.append(HIGHLIGHT_END)
    return (ELLIPSIS if start > 0 else "") + "".join(out) + (ELLIPSIS if end < len(text) else "")
