"""What the sample portal currently publishes, and everything tests have done to it.

One ``PortalState`` is shared by the three site servers. Generated notices are not stored;
only notices a test edited or added are kept (as copies), alongside the removal, delisting and
failure marks and the request log. Every method is safe to call from the server threads and
from the test thread at once.
"""
from __future__ import annotations

import hashlib
import math
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sampleportal import wording
from sampleportal.exemplars import BY_SITE as EXEMPLARS
from sampleportal.families import FAMILIES
from sampleportal.notices import BEIJING, Notice, generate, generated_kind, locate, person
from sampleportal.profiles import PROFILES, SITES
from sampleportal.variants import DEFAULT as DEFAULT_VARIANT
from sampleportal.variants import NAMED as NAMED_VARIANTS
from sampleportal.variants import SCRIPTS, Variant, parse_variant, rotating

# soft404: 200 + a bare stub; soft404_full: 200 + the full site template with a short message
# in the main area; notfound_page: 200 + the site's own "not found" page (as for a random URL)
REMOVAL_MODES = ("404", "410", "redirect_home", "soft404", "soft404_full", "notfound_page")
FAILURE_MODES = ("500", "timeout")
LIST_PAGE_SIZE = 20
NUMBER_RE = re.compile(r"(?<![\d.])\d{2,}(?![\d.年月日号])")  # a figure, not a date or decimal


@dataclass(frozen=True, slots=True)
class Edit:
    """What one mutation changed in a notice, so a test can expect exactly that change."""

    site: str
    index: int
    what: str  # "body" or "title"
    changes: tuple[tuple[str, str], ...]  # (before, after) fragments
    at: datetime  # UTC


@dataclass(frozen=True, slots=True)
class Failure:
    mode: str  # "500" or "timeout"
    seconds: float  # how long a "timeout" answer sleeps


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """How a site currently prints its notices: family, variant and script."""

    family: str | None = None  # None: the site's own template (and its redesign switch)
    # None: rotate through all named variants, per notice and churn generation; a tuple of
    # NAMED keys: rotate through those
    variant: Variant | tuple[str, ...] | None = DEFAULT_VARIANT
    script: str = "simplified"  # "simplified", "traditional" (OpenCC s2t) or "pinyin" (traditional + pinyin)

    @property
    def is_default(self) -> bool:
        return self.family is None and self.variant == DEFAULT_VARIANT and self.script == "simplified"

    @property
    def rotates(self) -> bool:
        return not isinstance(self.variant, Variant)

    def variant_for(self, docid: int, generation: int) -> Variant:
        if isinstance(self.variant, Variant):
            return self.variant
        return rotating(docid, generation, self.variant or ())

    def tag(self, generation: int) -> str:
        """What the template choice adds to an article's ETag (empty for the default)."""
        if self.is_default:
            return ""
        variant = f"rotate-{generation}" if self.rotates else hashlib.sha1(repr(self.variant).encode()).hexdigest()[:8]
        return f"-{self.family or 'own'}-{self.script}-{variant}"


@dataclass(slots=True)
class SiteState:
    generated: int
    added: list[int] = field(default_factory=list)  # indexes of add_notice(), oldest first
    changed: dict[int, Notice] = field(default_factory=dict)
    removed: dict[int, str] = field(default_factory=dict)  # index -> removal mode
    delisted: set[int] = field(default_factory=set)
    failures: dict[int, Failure] = field(default_factory=dict)
    redesigned: bool = False
    template: TemplateChoice = field(default_factory=TemplateChoice)
    template_changed: datetime | None = None  # UTC; Last-Modified floor after a template switch
    soft_not_found: bool = False  # unknown URLs under a column path answer 200 + the not-found page
    attachment_bodies: dict[str, bytes] = field(default_factory=dict)  # attachment path -> bytes served
    listing: dict[str, list[int]] | None = None  # column -> indexes, newest first (cache)

    @property
    def total(self) -> int:
        return self.generated + len(self.added)


class PortalState:
    def __init__(self, articles_per_site: int, seed: int, anchor: date | None = None) -> None:
        self.seed = seed
        self.anchor = anchor or (datetime.now(BEIJING).date() - timedelta(days=1))
        self.sites = {key: SiteState(generated=articles_per_site) for key in SITES}
        self.generation = 0
        self.edits: list[Edit] = []
        self.requests: Counter[tuple[str, str]] = Counter()
        self.lock = threading.RLock()
        self._generate = lru_cache(maxsize=8192)(self._generate_uncached)

    # --- reading ----------------------------------------------------------------------------
    def _generate_uncached(self, site: str, index: int) -> Notice:
        return generate(self.seed, site, index, self.sites[site].generated, self.anchor)

    def notice(self, site: str, index: int) -> Notice | None:
        """The notice as currently published (edits applied), or None when no such index."""
        state = self.sites[site]
        if index < 0 or index >= state.total:
            return None
        changed = state.changed.get(index)
        return changed if changed is not None else self._generate(site, index)

    def kind_of(self, site: str, index: int) -> str:
        """The column kind without generating the notice (listings of 20,000 stay cheap)."""
        state = self.sites[site]
        if index >= state.generated or index < len(EXEMPLARS.get(site, ())):
            return self.notice(site, index).kind  # type: ignore[union-attr]
        return generated_kind(site, index)

    def locate(self, site: str, index: int) -> Notice | None:
        """The notice, or for an untouched generated one just its URL-making fields (cheap)."""
        state = self.sites[site]
        if index in state.changed or index >= state.generated or index < len(EXEMPLARS.get(site, ())):
            return self.notice(site, index)
        if index < 0:
            return None
        return locate(self.seed, site, index, state.generated, self.anchor)

    def listing(self, site: str, column: str) -> list[int]:
        """Indexes listed in ``column``, newest first (added notices on top)."""
        with self.lock:
            state = self.sites[site]
            if state.listing is None:
                state.listing = self._build_listings(site)
            return state.listing.get(column, [])

    def _build_listings(self, site: str) -> dict[str, list[int]]:
        state = self.sites[site]
        profile = PROFILES[site]
        hidden = state.delisted | set(state.removed)
        kinds = {c.kind: c.key for c in profile.columns}
        out: dict[str, list[int]] = {c.key: [] for c in profile.columns}
        for index in [*reversed(state.added), *range(state.generated)]:
            if index in hidden:
                continue
            key = kinds.get(self.kind_of(site, index), profile.columns[0].key)
            out[key].append(index)
        return out

    def list_pages(self, site: str, column: str) -> int:
        return max(1, math.ceil(len(self.listing(site, column)) / LIST_PAGE_SIZE))

    def list_page(self, site: str, column: str, page: int) -> list[Notice]:
        indexes = self.listing(site, column)[page * LIST_PAGE_SIZE : (page + 1) * LIST_PAGE_SIZE]
        return [n for n in (self.notice(site, i) for i in indexes) if n is not None]

    def log_request(self, site: str, path: str) -> int:
        """Count a request; the count doubles as the page's visit counter."""
        with self.lock:
            self.requests[(site, path)] += 1
            return self.requests[(site, path)]

    # --- changing ---------------------------------------------------------------------------
    def _editable(self, site: str, index: int) -> Notice:
        state = self.sites[site]
        notice = state.changed.get(index)
        if notice is None:
            current = self.notice(site, index)
            if current is None:
                raise IndexError(f"{site} has no notice {index}")
            notice = state.changed[index] = current.copy()
        return notice

    def _touch(self, notice: Notice) -> datetime:
        """Move Last-Modified forward to a whole second strictly after the previous one."""
        now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        notice.modified = max(now, notice.last_modified + timedelta(seconds=1))
        return notice.modified

    def edit_body(self, site: str, index: int, old: str | None, new: str | None) -> Edit:
        with self.lock:
            notice = self._editable(site, index)
            if old is not None:
                changes = [self._replace(notice, old, new or "")]
            else:
                changes = [self._bump_number(notice), self._swap_sentence(notice)]
            edit = Edit(site, index, "body", tuple(c for c in changes if c), self._touch(notice))
            self.edits.append(edit)
            self.sites[site].listing = None
            return edit

    def edit_title(self, site: str, index: int, title: str | None) -> Edit:
        with self.lock:
            notice = self._editable(site, index)
            before = notice.title
            notice.title = title or f"{before}（修订）"
            edit = Edit(site, index, "title", ((before, notice.title),), self._touch(notice))
            self.edits.append(edit)
            return edit

    @staticmethod
    def _replace(notice: Notice, old: str, new: str) -> tuple[str, str]:
        for k, paragraph in enumerate(notice.paragraphs):
            if old in paragraph:
                notice.paragraphs[k] = paragraph.replace(old, new, 1)
                return (old, new)
        raise ValueError(f"{old!r} is not in the body of notice {notice.index}")

    @staticmethod
    def _bump_number(notice: Notice) -> tuple[str, str]:
        """Change the first figure of two or more digits in the longest paragraph that has one."""
        candidates = [(len(p), k) for k, p in enumerate(notice.paragraphs) if NUMBER_RE.search(p)]
        if not candidates:
            notice.paragraphs.append("本通知自印发之日起施行。")
            return ("", "本通知自印发之日起施行。")
        _, k = max(candidates)
        paragraph = notice.paragraphs[k]
        m = NUMBER_RE.search(paragraph)
        assert m is not None
        old = m.group(0)
        new = str(int(old) + 7 + len(old))
        # keep enough context that the fragment is unique in the paragraph
        start = max(0, m.start() - 6)
        before = paragraph[start : m.end() + 2]
        notice.paragraphs[k] = paragraph[: m.start()] + new + paragraph[m.end() :]
        after = notice.paragraphs[k][start : m.end() + 2 + len(new) - len(old)]
        return (before, after)

    def _swap_sentence(self, notice: Notice) -> tuple[str, str]:
        """Replace the last sentence of the last multi-sentence paragraph with a correction."""
        revision = sum(1 for e in self.edits if e.site == notice.site and e.index == notice.index)
        rng_phone = f"{PROFILES[notice.site].phone_prefix}{(notice.docid * 7919 + revision) % 9000000 + 1000000}"
        month = notice.published.month % 12 + 1
        template = wording.REVISED_SENTENCES[(notice.index + revision) % len(wording.REVISED_SENTENCES)]
        sentence = template.format(m=month, d=10 + revision % 18, phone=rng_phone)
        for k in range(len(notice.paragraphs) - 1, -1, -1):
            parts = [s for s in notice.paragraphs[k].split("。") if s]
            if len(parts) >= 2:
                old = parts[-1] + "。"
                if old == sentence:
                    continue
                notice.paragraphs[k] = notice.paragraphs[k][: -len(old)] + sentence
                return (old, sentence)
        notice.paragraphs.append(sentence)
        return ("", sentence)

    def add(self, site: str, title: str | None, kind: str) -> int:
        """Publish a new notice now; its text is borrowed from an unpublished seed so it reads fresh."""
        with self.lock:
            state = self.sites[site]
            index = state.total
            profile = PROFILES[site]
            column = profile.column_for(kind)
            k = 3 * (len(state.added) + 1) + (0 if column.kind == "notice" else 1)
            template = generate(self.seed + 7919, site, k, 1000, self.anchor)
            notice = template.copy()
            now = datetime.now(BEIJING).replace(second=0, microsecond=0, tzinfo=None)
            notice.index = index
            notice.docid = profile.docid_base + index
            notice.published = now
            notice.column = column.key
            notice.kind = column.kind
            notice.editor = person(random.Random(f"added:{site}:{index}"))
            notice.title = title or template.title
            notice.modified = None
            notice.shtml = False
            old_id, new_id = f"{template.docid % 1000000:06d}", f"{notice.docid % 1000000:06d}"
            stamp_old, stamp_new = template.published.strftime("%Y%m%d"), now.strftime("%Y%m%d")
            notice.attachments = [
                (f.replace(stamp_old + old_id, stamp_new + new_id), t) for f, t in template.attachments
            ]
            state.changed[index] = notice
            state.added.append(index)
            state.listing = None
            return index

    def remove(self, site: str, index: int, how: str) -> None:
        if how not in REMOVAL_MODES:
            raise ValueError(f"how must be one of {', '.join(REMOVAL_MODES)}, not {how!r}")
        with self.lock:
            self.sites[site].removed[index] = how
            self.sites[site].listing = None

    def set_attachment(self, site: str, index: int, filename: str, label: str | None) -> None:
        """Link ``filename`` from the notice (labelled ``label``) unless it is linked already; a
        new link edits the page (its Last-Modified moves), the same link leaves it as it is."""
        with self.lock:
            notice = self._editable(site, index)
            if any(name == filename for name, _ in notice.attachments):
                if label is not None:
                    notice.attachments = [(n, label if n == filename else t) for n, t in notice.attachments]
                    self._touch(notice)
                return
            notice.attachments.append((filename, label or filename))
            self._touch(notice)

    def delist(self, site: str, index: int) -> None:
        with self.lock:
            self.sites[site].delisted.add(index)
            self.sites[site].listing = None

    def restore(self, site: str, index: int) -> None:
        with self.lock:
            self.sites[site].removed.pop(index, None)
            self.sites[site].delisted.discard(index)
            self.sites[site].listing = None

    def set_failure(self, site: str, index: int, mode: str | None, seconds: float) -> None:
        if mode is not None and mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAILURE_MODES)} or None, not {mode!r}")
        with self.lock:
            if mode is None:
                self.sites[site].failures.pop(index, None)
            else:
                self.sites[site].failures[index] = Failure(mode, seconds)

    def churn(self) -> int:
        with self.lock:
            self.generation += 1
            return self.generation

    def redesign(self, site: str, on: bool = True) -> None:
        with self.lock:
            self.sites[site].redesigned = on

    def set_template(self, site: str, family: str | None | object = ..., variant: Variant | str | None | object = ...,
                     script: str | object = ...) -> TemplateChoice:
        """Change any of family / variant / script (``...`` keeps it); articles get new validators."""
        with self.lock:
            state = self.sites[site]
            current = state.template
            if family is ...:
                family = current.family
            if family is not None and family not in FAMILIES:
                raise ValueError(f"family must be one of {', '.join(FAMILIES)} or None, not {family!r}")
            if variant is ...:
                variant = current.variant
            elif variant == "rotate":
                variant = None
            elif isinstance(variant, str) and variant.startswith("rotate:"):
                variant = tuple(variant.removeprefix("rotate:").split(","))
                unknown = [v for v in variant if v not in NAMED_VARIANTS]
                if unknown:
                    raise ValueError(f"unknown named variants {unknown}; named: {', '.join(NAMED_VARIANTS)}")
            elif isinstance(variant, str):
                variant = NAMED_VARIANTS.get(variant) or parse_variant(variant)
            if script is ...:
                script = current.script
            if script not in SCRIPTS:
                raise ValueError(f"script must be one of {', '.join(SCRIPTS)}, not {script!r}")
            choice = TemplateChoice(family, variant, script)  # type: ignore[arg-type]
            if choice != current:
                state.template = choice
                state.template_changed = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
            return choice

    def set_soft_not_found(self, site: str, on: bool = True) -> None:
        with self.lock:
            self.sites[site].soft_not_found = on

    def validators(self, site: str, notice: Notice) -> tuple[str, datetime]:
        """(ETag, Last-Modified) of the article page as the site's current template serves it."""
        state = self.sites[site]
        tag = state.template.tag(self.generation)
        last = notice.last_modified
        if state.template_changed is not None and state.template_changed > last:
            last = state.template_changed
        if state.template.rotates:  # rotating variants re-wrap the page every generation
            last = max(last, state.template_changed or last) + timedelta(seconds=self.generation)
        return (notice.etag[:-1] + tag + '"' if tag else notice.etag), last
