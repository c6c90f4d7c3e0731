"""Text out of mail bytes: charsets, RFC 2047 words, raw 8-bit headers, addresses, dates.

Every function here is total: undecodable bytes become U+FFFD, unknown charset
names fall back to a guess, and nothing raises on bad input.
"""

from __future__ import annotations

import binascii
import codecs
import email.utils
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

# Charset names as mail clients write them → the Python codec that reads them
# best. Mostly supersets: mailers label cp949 text "euc-kr", GBK text "gb2312"
# and cp932 text "shift_jis".
_ALIASES: Final[Mapping[str, str]] = {
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "ksc5601": "cp949", "ksc_5601": "cp949",
    "euc-kr": "cp949", "euckr": "cp949", "x-euc-kr": "cp949", "uhc": "cp949",
    "gb2312": "gb18030", "gb_2312-80": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "cp936": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030", "csgb2312": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "windows-31j": "cp932", "csshiftjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext", "csiso2022jp": "iso2022_jp_ext",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "tis-620": "cp874", "windows-874": "cp874", "iso-8859-11": "cp874",
    "iso-8859-8-i": "iso8859_8", "iso-8859-6-i": "iso8859_6",
    "x-mac-roman": "mac_roman", "x-mac-cyrillic": "mac_cyrillic",
    "unicode-1-1-utf-7": "utf_7", "x-unicode20utf7": "utf_7",
    "utf8": "utf_8", "x-utf8": "utf_8",
}

# Codecs that exist but must never run on mail text: they are not charsets,
# and punycode is quadratic on long input.
_REFUSED: Final = frozenset({
    "idna", "punycode", "undefined", "unicode_escape", "raw_unicode_escape",
    "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be",
})

# Declared charsets that are so often wrong that the bytes decide instead:
# UTF-8 when they are (mostly) UTF-8, else Windows-1252.
_GUESSED: Final = frozenset({"ascii", "latin_1", "iso8859-1", "cp1252", "utf-8", "utf_8"})


def codec_for(charset: str | None) -> str | None:
    """Return the Python codec for a mail charset name, or None when unknown or unsafe."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").strip().lower()
    if not name or len(name) > 40:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _REFUSED:
        return None
    return info.name


def guess_text(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-8 if they (mostly) are, else Windows-1252.

    7-bit text with ISO-2022-JP escapes (Japanese mailers put it raw into
    headers) is read as ISO-2022-JP.
    """
    if data.isascii():
        if b"\x1b" in data:
            try:
                return data.decode("iso2022_jp_ext")
            except UnicodeDecodeError:
                pass
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    wide = sum(1 for char in text if char > "\x7f") - bad
    if wide > 0 and bad * 4 <= wide:
        return text
    return data.decode("cp1252", "replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a body or header with its declared charset, never failing.

    Bytes that are valid UTF-8 (and not plain ASCII) are read as UTF-8 whatever
    the label says: mislabelled UTF-8 is common, while legacy-charset text that
    happens to be valid UTF-8 is vanishingly rare.
    """
    codec = codec_for(charset)
    if codec is None or codec in _GUESSED:
        return guess_text(data)
    if not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode(codec, "replace")
    except LookupError:  # a codec that refuses bytes.decode after all
        return guess_text(data)


def raw_text(value: str) -> str:
    """Turn a header string that may carry raw 8-bit bytes (as surrogates) into text."""
    if value.isascii() and "\x1b" not in value:
        return value
    return guess_text(value.encode("utf-8", "surrogateescape"))


_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINE = re.compile(r"[\r\n]+")
_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*)\?=")


def header_text(value: str | None) -> str:
    """Unfold a raw header value and decode its RFC 2047 words and raw 8-bit bytes.

    Adjacent encoded words in one charset are joined before decoding, so a
    character split across two words (common in ISO-2022-JP and UTF-8) survives.
    """
    if not value:
        return ""
    value = _NEWLINE.sub(" ", _FOLD.sub("", value))
    if "=?" not in value:
        return raw_text(value)
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    after_word = False
    position = 0
    for match in _WORD.finditer(value):
        gap = value[position:match.start()]
        if gap and not (after_word and gap.isspace()):
            if pending_charset is not None:
                out.append(decode_bytes(bytes(pending), pending_charset))
                pending.clear()
                pending_charset = None
            out.append(raw_text(gap))
        charset = match.group(1).split("*", 1)[0]
        data = _word_bytes(match.group(2), match.group(3))
        if pending_charset is not None and charset.lower() != pending_charset.lower():
            out.append(decode_bytes(bytes(pending), pending_charset))
            pending.clear()
        pending_charset = charset
        pending += data
        after_word = True
        position = match.end()
    if pending_charset is not None:
        out.append(decode_bytes(bytes(pending), pending_charset))
    out.append(raw_text(value[position:]))
    return "".join(out)


def _word_bytes(encoding: str, text: str) -> bytes:
    raw = text.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(raw, header=True)
    raw = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    if len(raw) % 4 == 1:  # a dangling sextet carries no whole byte
        raw = raw[:-1]
    try:
        return binascii.a2b_base64(raw + b"=" * (-len(raw) % 4))
    except binascii.Error:
        return b""


def one_line(text: str) -> str:
    """Collapse all whitespace runs (newlines included) to single spaces."""
    return " ".join(text.split())


# --- addresses -------------------------------------------------------------

_MAX_ADDRESS_HEADER = 20_000  # longer address headers are cut, not parsed in full


def addresses(values: Iterable[str]) -> list[tuple[str, str]]:
    """Parse address headers into (display name, address) pairs.

    A quote-aware splitter of our own: the standard `getaddresses` reads
    `alice@example.com <bob@example.com>` as two addresses, handing a forged
    display name the place of the real sender.
    """
    result: list[tuple[str, str]] = []
    for value in values:
        value = _NEWLINE.sub(" ", _FOLD.sub("", value[:_MAX_ADDRESS_HEADER]))
        for item in _split_items(value):
            parsed = _address(item)
            if parsed is not None:
                result.append(parsed)
    return result


def _split_items(value: str) -> list[str]:
    items: list[str] = []
    start = 0
    quoted = escaped = False
    depth = 0  # comment nesting
    angle = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"' and not depth:
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif char == "<":
            angle = True
        elif char == ">":
            angle = False
        elif char in ",;" and not angle:
            items.append(value[start:index])
            start = index + 1
        elif char == ":" and not angle and "@" not in value[start:index]:
            start = index + 1  # "group name:" before a group's members
    items.append(value[start:])
    return [item.strip() for item in items if item.strip()]


_ANGLE = re.compile(r"<([^<>]*)>\s*$")
_COMMENT = re.compile(r"\(([^()]*)\)")


def _address(item: str) -> tuple[str, str] | None:
    match = _ANGLE.search(item)
    if match is None:
        match = re.search(r"<([^<>]*)>", item)
    if match is not None:
        addr = match.group(1).strip()
        name = (item[:match.start()] + " " + item[match.end():]).strip()
    else:
        comments = _COMMENT.findall(item)
        bare = _COMMENT.sub(" ", item).strip()
        addr, name = bare, " ".join(c.strip() for c in comments)
    addr = raw_text(addr.strip().strip('"')).strip()
    if addr.lower().startswith("mailto:"):
        addr = addr[7:]
    if " " in addr or not addr:
        addr = ""
    name = one_line(header_text(_unquote(name)))
    if not addr and not name:
        return None
    return name, addr


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name.replace('"', "")


# --- dates and ids -----------------------------------------------------------

def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 5322 date; naive results (zone -0000 or unknown) count as UTC."""
    if not value or not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(one_line(raw_text(value)))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


_MSGID = re.compile(r"<([^<>\s]+)>")


def msgids(value: str | None) -> list[str]:
    """Every `<id>` in a Message-ID, In-Reply-To or References value, in order, once."""
    if not value:
        return []
    seen: dict[str, None] = {}
    for match in _MSGID.finditer(raw_text(value)):
        seen.setdefault(f"<{match.group(1)}>", None)
    return list(seen)


def message_id(value: str | None) -> str | None:
    """The Message-ID; a bare `id@host` without brackets is accepted too."""
    found = msgids(value)
    if found:
        return found[0]
    bare = one_line(raw_text(value or ""))
    if bare and " " not in bare and "@" in bare:
        return f"<{bare}>"
    return None
