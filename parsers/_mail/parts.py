"""One MIME part: its raw headers, parameters, decoded payload and readable text.

Parameters are read the compat32 way and payloads are decoded by us, so raw
8-bit bytes, Windows paths and unknown charsets reach our own decoders
instead of being replaced or refused by the default policy.
"""

from __future__ import annotations

import email.message
import email.utils
import re
from email.message import Message
from typing import Final

import html2text

from parsers._mail.decode import decode_bytes, header_text, one_line, raw_text

MAX_TEXT_CHARS: Final = 1_000_000  # characters read from one text part

# What the standard library may raise on hostile MIME (bad parameters,
# undecodable payloads, header objects it cannot build).
FRAGILE: Final = (ValueError, LookupError, TypeError, IndexError, AttributeError,
                  AssertionError, KeyError)


def header_map(part: Message) -> dict[str, list[str]]:
    """Raw header values by lower-case name, in message order."""
    found: dict[str, list[str]] = {}
    for key, value in part.raw_items():
        found.setdefault(key.lower(), []).append(str(value))
    return found


def raw_header(part: Message, name: str) -> str | None:
    """The first raw (unparsed, possibly 8-bit) value of header `name`, or None."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def content_type(part: Message) -> str:
    """The part's media type, lower case, by the RFC 2045 rules the default policy follows.

    Read from the raw header because building the policy's header object on
    every call costs more than the rest of the walk.
    """
    value = raw_header(part, "content-type")
    if value is None:
        return part.get_default_type()
    ctype = "".join(raw_text(value).split(";", 1)[0].split()).lower()
    return ctype if _MEDIA_TYPE.fullmatch(ctype) else "text/plain"


def param(part: Message, name: str, header: str = "content-type") -> str | None:
    r"""A Content-Type / Content-Disposition parameter, read the compat32 way.

    compat32 keeps raw 8-bit bytes and backslashes (`C:\TEMP\x.png`), which
    the default policy would drop; we decode them ourselves.
    """
    holder = email.message.Message()
    value = raw_header(part, header)
    if value is None:
        return None
    holder[header] = raw_text(value)  # compat32 would turn raw 8-bit bytes into U+FFFD
    try:
        found = holder.get_param(name, header=header)
    except FRAGILE:
        return None
    if found is None:
        return None
    return email.utils.collapse_rfc2231_value(found)


def filename(part: Message) -> str | None:
    """The decoded base name of the part's file, or None."""
    name = param(part, "filename", "content-disposition") or param(part, "name")
    if not name:
        return None
    name = one_line(header_text(name))
    name = re.split(r"[\\/]", name)[-1].strip()
    name = "".join(char for char in name if char.isprintable())
    return name[:255] or None


def disposition(part: Message) -> str | None:
    """`inline`, `attachment` or None."""
    value = raw_header(part, "content-disposition")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def payload_bytes(part: Message) -> bytes:
    """The part's content with its transfer encoding undone (never raises)."""
    try:
        data = part.get_payload(decode=True)
    except FRAGILE:
        data = None
    if isinstance(data, bytes):
        return data
    try:
        raw = part.get_payload()
    except FRAGILE:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    if isinstance(raw, list):
        try:
            return b"".join(p.as_bytes() for p in raw if isinstance(p, Message))
        except FRAGILE:
            return b""
    return b""


_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9_:.\-]+)", re.I)


def part_text(part: Message) -> tuple[str, bool]:
    """The readable text of a text/plain or text/html part, and whether it was cut.

    Only the first `MAX_TEXT_CHARS` characters are read: nobody reads more in
    an incident, and HTML conversion is the slowest step of the parser.
    """
    data = payload_bytes(part)
    charset = param(part, "charset")
    is_html = content_type(part) == "text/html"
    if is_html and not charset:
        match = _META_CHARSET.search(data[:4096])
        charset = match.group(1).decode("ascii") if match else None
    text = decode_bytes(data, charset)
    cut = len(text) > MAX_TEXT_CHARS
    text = text[:MAX_TEXT_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    if is_html:
        return html_to_text(text), cut
    if (param(part, "format") or "").lower() == "flowed":
        text = unflow(text, delsp=(param(part, "delsp") or "").lower() == "yes")
    return text, cut


def unflow(text: str, *, delsp: bool) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    out: list[str] = []
    buffer: list[str] = []
    depth_of_buffer = 0

    def flush() -> None:
        if buffer:
            prefix = ">" * depth_of_buffer + " " if depth_of_buffer else ""
            out.append(prefix + "".join(buffer))
            buffer.clear()

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if buffer and depth != depth_of_buffer:
            flush()
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        buffer.append(content)
        depth_of_buffer = depth
        if not soft:
            flush()
    flush()
    return "\n".join(out)


# html2text escapes Markdown characters; plain-text readers want them back.
_MD_ESCAPES = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SAME_LINK = re.compile(r"\[([^\[\]\n]+)\]\(\1\)")  # "[url](url)" says it twice


def html_to_text(html: str) -> str:
    """Readable text from HTML: no tags, no style or script, links as `[text](url)`."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.unicode_snob = True
    converter.ignore_emphasis = True
    converter.ignore_images = True
    converter.ignore_mailto_links = True
    converter.skip_internal_links = True
    try:
        text = converter.handle(html)
    except FRAGILE:  # html.parser gives up on some broken markup
        text = re.sub(r"<[^>]*>", " ", re.sub(r"(?is)<(style|script)\b.*?</\1\s*>", " ", html))
    text = _SAME_LINK.sub(r"\1", _MD_ESCAPES.sub(r"\1", text))
    lines = [line.rstrip() for line in text.replace("\xa0", " ").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
