"""Walk a parsed message: the readable body, the attachments, the forwarded messages.

Rules, in the order a part meets them:

- `multipart/alternative`: the first non-empty text/plain child is the body;
  else a nested multipart; else text/html. The other renderings give no text,
  but files inside them (inline images) are still attachments.
- `multipart/related`: the root part (the `start` parameter, else the first)
  is the body; the rest are attachments.
- any other multipart (mixed, signed, digest, report, ...): every child in order.
- `message/rfc822` (or `message/global`): a forwarded message; its headers and
  text are kept, its files are attachments of this report.
- text/plain or text/html without a file name and not marked as attachment: body.
- everything else: an attachment (BinHex and uuencode are decoded when they can be).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Final

from parsers._mail.decode import addresses, guess_text, header_text, one_line, raw_text
from parsers._mail.legacy import decode_binhex, extract_uuencoded
from parsers._mail.parts import (
    content_type,
    disposition,
    filename,
    param,
    part_text,
    payload_bytes,
    raw_header,
)
from parsers.report import Attachment

DEFAULT_MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_ATTACHMENTS: Final = 20
_MAX_DEPTH: Final = 25  # deeper MIME nesting is not walked (and not legitimate mail)

_EXTENSIONS: Final[Mapping[str, str]] = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
    "image/bmp": ".bmp", "image/svg+xml": ".svg", "image/tiff": ".tif",
    "application/pdf": ".pdf", "application/zip": ".zip", "application/json": ".json",
    "application/ms-tnef": ".dat", "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s", "application/x-pkcs7-signature": ".p7s",
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "text/csv": ".csv",
    "message/rfc822": ".eml", "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt", "message/rfc822-headers": ".txt",
}
_TYPES_BY_EXTENSION: Final[Mapping[str, str]] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".bmp": "image/bmp", ".svg": "image/svg+xml", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".pdf": "application/pdf", ".zip": "application/zip",
    ".json": "application/json", ".txt": "text/plain", ".log": "text/plain",
    ".html": "text/html", ".htm": "text/html", ".ics": "text/calendar", ".csv": "text/csv",
    ".eml": "message/rfc822",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Attachment caps, from the integration options."""

    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
    max_attachments: int = DEFAULT_MAX_ATTACHMENTS

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Limits:
        """Read `max_attachment_bytes` and `max_attachments`; bad values keep the defaults."""
        return cls(_count(options.get("max_attachment_bytes"), DEFAULT_MAX_ATTACHMENT_BYTES),
                   _count(options.get("max_attachments"), DEFAULT_MAX_ATTACHMENTS))


def _count(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return default


@dataclass(frozen=True, slots=True)
class Forward:
    """A forwarded message found as a `message/rfc822` part."""

    subject: str
    sender: str
    date: str
    text: str


@dataclass(slots=True)
class Content:
    """What the walk found."""

    text: str = ""
    html: bool = False  # some of the text came from HTML
    truncated: bool = False  # a text part was longer than MAX_TEXT_CHARS
    attachments: list[Attachment] = field(default_factory=list)
    forwards: list[Forward] = field(default_factory=list)
    dropped: int = 0  # attachments beyond `max_attachments`


class _Walker:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.content = Content()
        self._texts: dict[int, str] = {}

    def walk(self, part: Message, segments: list[str], *, readable: bool, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        ctype = content_type(part)
        if ctype.startswith("multipart/"):
            self._multipart(part, ctype, segments, readable=readable, depth=depth)
        elif ctype in ("message/rfc822", "message/global") and part.is_multipart():
            self._forward(part, segments, readable=readable, depth=depth)
        elif ctype in ("text/plain", "text/html") and filename(part) is None \
                and disposition(part) != "attachment":
            if readable:
                segments.append(self._text(part))
                self.content.html |= ctype == "text/html"
        else:
            self._attach(part, ctype)

    def _multipart(self, part: Message, ctype: str, segments: list[str], *,
                   readable: bool, depth: int) -> None:
        children = _children(part)
        if not children:
            if readable:
                segments.append(_broken_multipart_text(part))
            return
        chosen: Message | None = None
        if ctype == "multipart/alternative":
            chosen = self._choose(children)
        elif ctype == "multipart/related":
            chosen = _related_root(part, children)
        for child in children:
            keep = readable and (chosen is None or child is chosen)
            self.walk(child, segments, readable=keep, depth=depth + 1)

    def _choose(self, children: list[Message]) -> Message:
        plain = [c for c in children if content_type(c) == "text/plain" and filename(c) is None]
        for child in plain:
            if self._text(child).strip():
                return child
        for child in children:
            if content_type(child).startswith("multipart/"):
                return child
        for child in children:
            if content_type(child) == "text/html":
                return child
        return plain[0] if plain else children[-1]

    def _text(self, part: Message) -> str:
        key = id(part)
        if key not in self._texts:
            text, cut = part_text(part)
            self.content.truncated |= cut
            if content_type(part) == "text/plain":
                text, blobs = extract_uuencoded(text)
                for blob in blobs:
                    self._add(blob.filename, _type_for(blob.filename), blob.data)
            self._texts[key] = text
        return self._texts[key]

    def _forward(self, part: Message, segments: list[str], *, readable: bool, depth: int) -> None:
        inner = part.get_payload(0)
        if not isinstance(inner, Message):
            return
        slot = len(self.content.forwards)
        self.content.forwards.append(Forward("", "", "", ""))  # keeps document order
        inner_segments: list[str] = []
        self.walk(inner, inner_segments, readable=True, depth=depth + 1)
        senders = addresses([v for k, v in inner.raw_items() if k.lower() == "from"])
        forward = Forward(
            subject=one_line(header_text(raw_header(inner, "subject"))),
            sender=_display(senders[0]) if senders else "",
            date=one_line(raw_text(raw_header(inner, "date") or "")),
            text=join_segments(inner_segments),
        )
        self.content.forwards[slot] = forward
        if readable:
            segments.append(render_forward(forward))

    def _attach(self, part: Message, ctype: str) -> None:
        if len(self.content.attachments) >= self.limits.max_attachments:
            self.content.dropped += 1
            return
        name = filename(part)
        data = payload_bytes(part)
        if ctype == "application/mac-binhex40" or data[:200].lstrip().startswith(b"(This file"):
            blob = decode_binhex(data, self.limits.max_attachment_bytes)
            if blob is not None:
                name = name or blob.filename
                if name.lower().endswith(".hqx"):
                    name = name[:-4]
                self._add(name, _type_for(name), blob.data)
                return
        self._add(name, ctype, data)

    def _add(self, name: str | None, ctype: str, data: bytes) -> None:
        if len(self.content.attachments) >= self.limits.max_attachments:
            self.content.dropped += 1
            return
        if not name:
            name = f"attachment-{len(self.content.attachments) + 1}{_EXTENSIONS.get(ctype, '')}"
        truncated = len(data) > self.limits.max_attachment_bytes
        self.content.attachments.append(Attachment(
            filename=name,
            content_type=ctype,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=b"" if truncated else data,
            truncated=truncated,
        ))


def extract(message: Message, limits: Limits) -> Content:
    """Walk `message` and return its text, attachments and forwarded messages."""
    walker = _Walker(limits)
    segments: list[str] = []
    walker.walk(message, segments, readable=True, depth=0)
    walker.content.text = join_segments(segments)
    return walker.content


def join_segments(segments: list[str]) -> str:
    """Join text blocks with a blank line between them, dropping empty ones."""
    return "\n\n".join(s.strip("\n").rstrip() for s in segments if s.strip())


def render_forward(forward: Forward) -> str:
    """A forwarded message as text, the way mail clients quote one inline."""
    head = ["---------- Forwarded message ----------"]
    if forward.sender:
        head.append(f"From: {forward.sender}")
    if forward.date:
        head.append(f"Date: {forward.date}")
    if forward.subject:
        head.append(f"Subject: {forward.subject}")
    return "\n".join(head) + "\n\n" + forward.text


def _display(pair: tuple[str, str]) -> str:
    name, addr = pair
    if name and addr:
        return f"{name} <{addr}>"
    return name or addr


def _children(part: Message) -> list[Message]:
    if not part.is_multipart():
        return []
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [p for p in payload if isinstance(p, Message)]


def _related_root(part: Message, children: list[Message]) -> Message:
    start = param(part, "start")
    if start:
        for child in children:
            if (raw_header(child, "content-id") or "").strip() == start.strip():
                return child
    return children[0]


_BOUNDARY_LINE = re.compile(r"^--\S*$")


def _broken_multipart_text(part: Message) -> str:
    """Text of a multipart whose first boundary never came.

    That is the raw body, minus the stray boundary lines and the part headers
    that could not be matched.
    """
    data = b"" if part.is_multipart() else payload_bytes(part)
    text = guess_text(data) if data.strip() else raw_text(part.preamble or "")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and _BOUNDARY_LINE.match(lines[0]):
        blank = lines.index("") if "" in lines else 0
        lines = lines[blank:]
    return "\n".join(line for line in lines if not _BOUNDARY_LINE.match(line))


def _type_for(name: str) -> str:
    dot = name.rfind(".")
    return _TYPES_BY_EXTENSION.get(name[dot:].lower(), "application/octet-stream") \
        if dot != -1 else "application/octet-stream"

