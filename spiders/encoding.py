"""Turn a response body into text the way a browser would, without mojibake.

Chinese portals often declare the wrong charset (an HTTP header saying utf-8 on GBK
bytes, a template's ``<meta charset=gb2312>`` on a page re-saved as UTF-8) or none at
all. We trust a declaration only when the bytes decode cleanly with it, and otherwise
detect. GB labels are decoded with Python's ``gb18030`` codec because browsers treat
gb2312/gbk as GB18030: Python's own ``gb2312`` codec maps A1AA to U+2015 and A1A4 to
U+30FB where every browser (and every reader copying text) shows U+2014 and U+00B7.
"""
from __future__ import annotations

import codecs
import re

# The BOMs a browser honours before anything else (WHATWG "BOM sniff"), longest first.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that browsers decode as GB18030 (WHATWG Encoding Standard, "gbk" and "gb18030").
_GB_LABELS = {
    "gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936",
    "gb18030", "csgb2312", "iso-ir-58", "chinese", "csiso58gb231280", "euc-cn", "euccn",
}
# Labels browsers decode as windows-1252; on a Chinese portal they are almost always a
# template default, so UTF-8 or GB bytes under them are detected rather than trusted.
_WESTERN_LABELS = {
    "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252",
}

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
# Declarations appear in <head>; real pages sometimes put a long script block first.
_SNIFF_BYTES = 16384
# When nothing decodes cleanly, accept the best candidate if its broken sequences are
# this small a share of the non-ASCII bytes (a stray bad byte in a footer, say).
_TOLERATED_ERROR_SHARE = 0.01


def _canonical(label: str | None) -> str | None:
    """Python codec name for a declared label, or None when Python has no such codec."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _GB_LABELS:
        return "gb18030"
    if label in _WESTERN_LABELS:
        return "cp1252"
    if label in ("utf8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if label in ("big5-hkscs", "x-x-big5", "cn-big5", "csbig5", "x-big5"):
        return "big5hkscs" if label == "big5-hkscs" else "big5"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str | None = None) -> list[str]:
    """Codec names the response declares, in browser priority order (header, BOM-less meta)."""
    found: list[str] = []
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m and (name := _canonical(m.group(1))):
            found.append(name)
    head = body[:_SNIFF_BYTES]
    for pattern in (_XML_DECL, _META_CHARSET):
        m = pattern.search(head)
        if m and (name := _canonical(m.group(1).decode("ascii", "ignore"))) and name not in found:
            found.append(name)
    return found


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding_name)`` for an HTML body.

    Order: BOM; then the declared charsets (HTTP header, then ``<meta>``) if the bytes
    decode cleanly with them; then strict UTF-8, then GB18030; then charset-normalizer.
    Never raises; as a last resort decodes with replacement characters.
    """
    if not body:
        return "", "utf-8"
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name

    declared = declared_charsets(body, content_type)
    candidates: list[str] = []
    for name in declared:
        if name == "cp1252":
            # A western label on non-ASCII bytes: prefer a multibyte reading that fits.
            candidates += ["utf-8", "gb18030", "cp1252"]
        else:
            candidates.append(name)
        if name == "big5":
            # Browsers decode big5 with the Hong Kong and Microsoft extensions (WHATWG "Big5").
            candidates += ["cp950", "big5hkscs"]
    candidates += ["utf-8", "gb18030"]
    seen: set[str] = set()
    for name in candidates:
        if name in seen:
            continue
        seen.add(name)
        text = _strict(body, name)
        if text is not None:
            if name == "gb18030" and (as_utf8 := _strict(body, "utf-8")) is not None:
                # Valid UTF-8 with non-ASCII bytes is almost never GB text by chance: the
                # page was re-saved as UTF-8 under an old GB template's <meta>.
                return as_utf8, "utf-8"
            if name in _DOUBLE_BYTE_CHINESE:
                return _likelier_chinese_reading(body, text, name)
            return text, name

    # Nothing decodes cleanly: the bytes are damaged or in an unexpected charset.
    non_ascii = sum(1 for b in body if b > 0x7F) or 1
    best_name, best_text, best_errors = "", "", None
    for name in dict.fromkeys(candidates):
        text = body.decode(name, errors="replace")
        errors = text.count("\ufffd")
        if best_errors is None or errors < best_errors:
            best_name, best_text, best_errors = name, text, errors
    if best_errors is not None and best_errors / non_ascii <= _TOLERATED_ERROR_SHARE:
        return best_text, best_name

    if _mostly_utf8(body):
        return body.decode("utf-8", errors="replace"), "utf-8"
    guessed = _charset_normalizer_guess(body)
    if guessed and _multibyte(guessed):
        return body.decode(guessed, errors="replace"), guessed
    # A single-byte guess (cp1256, ptcp154, koi8-r...) turns every Chinese character into two
    # letters of another script; the likeliest Chinese reading, with a replacement character
    # for each broken sequence, keeps the text. (Only a declared western label keeps cp1252.)
    chinese = [name for name in dict.fromkeys(candidates) if _multibyte(name)]
    if chinese and "cp1252" not in declared:
        name = min(chinese, key=lambda n: body.decode(n, errors="replace").count("\ufffd"))
        return body.decode(name, errors="replace"), name
    return best_text, best_name


def _multibyte(codec: str) -> bool:
    """Is ``codec`` one in which Chinese text can be written (not a single-byte code page)?"""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return False
    return name.startswith(("utf", "gb", "big5", "cp950", "cp936", "hz", "euc", "iso2022", "shift_jis", "cp932"))


# GB and Big5 share their byte ranges: Big5 bytes nearly always "decode" as GB18030 and
# often the other way round, so a clean decode proves little. Real Chinese text is full
# of ，。、的 (A3AC A1A3 A1A2 B5C4 in GB; A141 A143 A142 AABA in Big5), which the wrong
# reading turns into rare characters; a reading with few of them is checked against the other.
_DOUBLE_BYTE_CHINESE = {"gb18030": "big5hkscs", "big5": "gb18030", "cp950": "gb18030", "big5hkscs": "gb18030"}
_COMMON_CHINESE = re.compile("[，。、的]")
# A reading with at least this many common marks per 100 non-ASCII characters is kept as is.
_COMMON_PER_100 = 2


def _likelier_chinese_reading(body: bytes, text: str, name: str) -> tuple[str, str]:
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    common = len(_COMMON_CHINESE.findall(text))
    if non_ascii < 20 or common * 100 >= _COMMON_PER_100 * non_ascii:
        return text, name
    other = _DOUBLE_BYTE_CHINESE[name]
    other_text = _strict(body, other)
    if other_text is not None and len(_COMMON_CHINESE.findall(other_text)) > 2 * common:
        return other_text, "big5" if other == "big5hkscs" else other
    return text, name


# A valid UTF-8 multibyte sequence (lead byte, then the right number of 80-BF bytes).
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(body: bytes) -> bool:
    """Damaged UTF-8: most non-ASCII bytes form valid UTF-8 sequences. GB18030 accepts almost
    any byte pair, so it "decodes" damaged UTF-8 with few errors into mojibake; but GB text
    rarely forms valid UTF-8 sequences by chance, so their share tells the two apart."""
    non_ascii = sum(1 for b in body if b > 0x7F)
    if not non_ascii:
        return False
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(body))
    return in_sequences / non_ascii >= 0.8


def _charset_normalizer_guess(body: bytes) -> str | None:
    """Slow statistical detection; only reached when no strict decode worked."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it is a declared dependency
        return None
    match = from_bytes(body).best()
    if match is None:
        return None
    return _canonical(match.encoding) or match.encoding


_META_CHARSET_TEXT = re.compile(r"""(<meta[^>]*?charset\s*=\s*["']?\s*)([\w.:-]+)""", re.IGNORECASE)
# How far into a page a charset declaration is looked for (browsers look in the first 1,024 bytes;
# templates with long <head> scripts put it later).
META_SCAN_CHARS = 4096


def relabel_utf8(text: str) -> str:
    """Decoded page text whose ``<meta … charset=…>`` declarations say utf-8, so the text,
    written out as UTF-8, is read back as it was decoded (not as the gb2312 it once was)."""
    head, rest = text[:META_SCAN_CHARS], text[META_SCAN_CHARS:]
    return _META_CHARSET_TEXT.sub(lambda m: m.group(1) + "utf-8", head) + rest
