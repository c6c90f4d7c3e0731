"""Pre-MIME attachment encodings: uuencode blocks in text and BinHex 4.0 parts.

Both are decoded best effort; a block that does not decode stays what it was
(text, or an opaque attachment).
"""

from __future__ import annotations

import binascii
import re
from typing import Final, NamedTuple


class Blob(NamedTuple):
    """A file recovered from a legacy encoding."""

    filename: str
    data: bytes


_UU_BEGIN = re.compile(r"begin [0-7]{3,4} (\S[^\n]*)")


def extract_uuencoded(text: str) -> tuple[str, list[Blob]]:
    """Cut `begin 644 name` … `end` blocks out of a text body; return the rest and the files."""
    if "begin " not in text:
        return text, []
    lines = text.split("\n")
    kept: list[str] = []
    blobs: list[Blob] = []
    index = 0
    while index < len(lines):
        match = _UU_BEGIN.fullmatch(lines[index].rstrip())
        if match is None:
            kept.append(lines[index])
            index += 1
            continue
        try:
            end = lines.index("end", index + 1)
        except ValueError:  # no end line: the rest is text
            kept.extend(lines[index:])
            break
        data = _uudecode(lines[index + 1:end])
        if data is None:
            kept.extend(lines[index:end + 1])
        else:
            blobs.append(Blob(match.group(1).strip(), data))
        index = end + 1
    return "\n".join(kept), blobs


def _uudecode(block: list[str]) -> bytes | None:
    out = bytearray()
    for line in block:
        if not line or line in ("`", " "):
            continue
        raw = line.encode("latin-1", "replace")
        try:
            out += binascii.a2b_uu(raw)
        except binascii.Error:
            # Some encoders pad lines with junk; keep only the bytes the length byte names.
            length = (((raw[0] - 32) & 63) * 4 + 5) // 3
            try:
                out += binascii.a2b_uu(raw[:length])
            except binascii.Error:
                return None
    return bytes(out)


# BinHex 4.0 (RFC 1741): 6-bit characters between colons, run-length coded
# with 0x90, then a header, the data fork and the resource fork.
_HQX_ALPHABET: Final = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
_HQX_VALUE: Final = {char: index for index, char in enumerate(_HQX_ALPHABET)}
_HQX_MARK: Final = "(This file must be converted with BinHex"


def decode_binhex(data: bytes, limit: int) -> Blob | None:
    """Return the data fork and file name of a BinHex 4.0 text, or None if it is not one.

    Run-length coding can inflate the input a hundredfold, so expansion stops
    past `limit` bytes; a fork that does not fit is left encoded (None).
    """
    text = data.decode("latin-1")
    mark = text.find(_HQX_MARK)
    if mark == -1:
        return None
    start = text.find(":", mark)
    end = text.find(":", start + 1)
    if start == -1 or end == -1:
        return None
    sextets = [_HQX_VALUE.get(char, -1) for char in text[start + 1:end] if not char.isspace()]
    if any(value < 0 for value in sextets):
        return None
    packed = bytearray()
    bits = count = 0
    for value in sextets:
        bits = (bits << 6) | value
        count += 6
        if count >= 8:
            count -= 8
            packed.append((bits >> count) & 0xFF)
    raw = _unrun(packed, limit + 512)
    if not raw:
        return None
    name_length = raw[0]
    header_end = 1 + name_length + 1 + 4 + 4 + 2 + 4 + 4 + 2
    if len(raw) < header_end:
        return None
    name = raw[1:1 + name_length].decode("mac_roman", "replace")
    data_length = int.from_bytes(raw[header_end - 10:header_end - 6], "big")
    fork = bytes(raw[header_end:header_end + data_length])
    if len(fork) != data_length:
        return None
    return Blob(name, fork)


def _unrun(packed: bytes | bytearray, limit: int) -> bytes:
    out = bytearray()
    index = 0
    while index < len(packed) and len(out) <= limit:
        byte = packed[index]
        if byte == 0x90 and index + 1 < len(packed):
            repeat = packed[index + 1]
            index += 2
            if repeat == 0:
                out.append(0x90)
            elif out:
                out += bytes([out[-1]]) * (repeat - 1)
            continue
        out.append(byte)
        index += 1
    return bytes(out)
