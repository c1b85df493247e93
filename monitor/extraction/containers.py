"""Names that Chinese portal and news templates give the element holding the article.

They are a *hint*: a container with one of these names has its prose score raised a
little when the density scorer (:mod:`monitor.extraction.density`) compares elements,
so it wins a near tie against a wrapper or a sibling. A named container with no prose
still loses, and a page without any of them is scored on prose alone.
"""
from __future__ import annotations

# Distinctive CMS names: TRS (TRS_Editor, TRS_UEDITOR), Hanweb/大汉 and gov.cn templates
# (zoom, fontzoom, UCAP-CONTENT, <ucapcontent>, pages_content), WeChat articles
# (js_content), Sina (artibody), NetEase 163 (post_text, endText).
STRONG_CLASSES = frozenset(["trs_editor", "trs_ueditor", "pages_content", "article-content", "post_text",
                            "rich_media_content", "article_content", "articlecontent"])
STRONG_IDS = frozenset(["zoom", "fontzoom", "ucap-content", "js_content", "artibody", "endtext",
                        "article_content", "articlecontent"])
STRONG_TAGS = frozenset(["ucapcontent"])
# Generic names: common on article pages but also given to page-wide wrappers.
WEAK_CLASSES = frozenset(["content", "article", "text", "view", "main-content", "con"])
WEAK_IDS = frozenset(["content", "article", "text", "main-content"])
# Multipliers on a container's positive prose score.
STRONG_HINT = 1.5
WEAK_HINT = 1.1


def container_hint(el) -> float:
    """How much a known article-container name raises ``el``'s score (1.0: no hint)."""
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in STRONG_TAGS:
        return STRONG_HINT
    ident = (el.get("id") or "").strip().lower()
    classes = (el.get("class") or "").lower().split()
    if ident in STRONG_IDS or any(c in STRONG_CLASSES for c in classes):
        return STRONG_HINT
    if ident in WEAK_IDS or any(c in WEAK_CLASSES for c in classes):
        return WEAK_HINT
    return 1.0
