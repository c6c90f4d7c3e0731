"""Split a mail body into the sender's new text, the quoted history and the signature.

Recognised quote structures (any language listed in the patterns below):

- `>` quoted lines, and the attribution line above them ("On … wrote:",
  "Am … schrieb …:", "Le … a écrit :", "X wrote:", also wrapped over 2–3 lines);
  an "On/Am/Le … wrote:" attribution without `>` lines below cuts the rest;
- "-----Original Message-----" (and translations) and Outlook header blocks
  ("From: …" followed within four lines by "Sent: …"/"Date: …", also German,
  French, Spanish, …): the rest is history. When the subject says the mail is
  a forward (Fwd:/Fw:/WG:/TR:), these blocks are the forwarded message instead;
- forward markers ("---------- Forwarded message ----------", "Begin forwarded
  message:", "-------- Weitergeleitete Nachricht --------", …): the forwarded
  text is new information and is kept; its From/Subject lines are read.

Signatures: from a "-- " (or "--") line to the next quote structure or the end,
and single "Sent from my iPhone"-style lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_QUOTED: Final = re.compile(r"^[ \t]*>")
_ATTRIBUTION_OPEN: Final = re.compile(
    r"^[ \t]*(on|am|le|el|il|op|den|på|em|dne|w dniu)\s", re.IGNORECASE)
# The verb may come before the name ("Am … schrieb Max <max@example.org>:").
_ATTRIBUTION_CLOSE: Final = re.compile(
    r"\b(wrote|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|skrev|napisał"
    r"|escreveu|napsal|написал|написала|kirjoitti)\b[^\n]{0,120}:\s*$", re.IGNORECASE)
_ORIGINAL: Final = re.compile(
    r"^[ \t]*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine"
    r"|mensaje original|messaggio originale|oorspronkelijk bericht|originalmeddelande"
    r"|alkuperäinen viesti|исходное сообщение)\s*-{2,}\s*$", re.IGNORECASE)
_FORWARD_MARKER: Final = re.compile(
    r"^[ \t]*(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré"
    r"|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|vidarebefordrat meddelande"
    r"|пересылаемое сообщение)\s*-{2,}|begin forwarded message:|anfang der weitergeleiteten"
    r" nachricht:|début du message réexpédié\s?:)\s*$", re.IGNORECASE)
_FROM_LINE: Final = re.compile(
    r"^[ \t]*\*?(from|von|de|da|van|från|fra|от|od)\s*:\*?\s*\S", re.IGNORECASE)
_SENT_LINE: Final = re.compile(
    r"^[ \t]*\*?(sent|date|gesendet|datum|envoyé|enviado|fecha|inviato|data|verzonden"
    r"|skickat|sendt|отправлено|wysłano)\s*:", re.IGNORECASE)
_HEADER_LINE: Final = re.compile(
    r"^[ \t]*\*?(?P<key>from|von|de|da|van|från|fra|subject|betreff|objet|asunto|oggetto"
    r"|onderwerp|ämne|emne|date|datum|sent|gesendet|envoyé|enviado|to|an|à|a|cc)"
    r"\s*:\*?\s*(?P<value>.*)$", re.IGNORECASE)
_FROM_KEYS: Final = frozenset({"from", "von", "de", "da", "van", "från", "fra"})
_SUBJECT_KEYS: Final = frozenset({"subject", "betreff", "objet", "asunto", "oggetto",
                                  "onderwerp", "ämne", "emne"})
_SIGNATURE: Final = re.compile(r"^--[ \t]?$")
_MOBILE: Final = re.compile(
    r"^[ \t]*(sent from my \S.{0,40}|sent from (outlook|mail for windows|yahoo mail|gmail)\b.{0,40}"
    r"|get outlook for (ios|android)|von meinem \S.{0,30} gesendet|gesendet von meinem \S.{0,30}"
    r"|envoyé de mon \S.{0,30}|enviado desde mi \S.{0,30}|inviato da(l mio)? \S.{0,30}"
    r"|verzonden vanaf mijn \S.{0,30}|skickat från min \S.{0,30})[ \t]*$", re.IGNORECASE)
_UNDERSCORES: Final = re.compile(r"^[ \t]*_{10,}[ \t]*$")
_BLANK_RUNS: Final = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class Split:
    """The parts of a body that the report needs."""

    update_text: str  # the new text: quotes and signature cut
    description: str  # the whole readable body minus signatures
    forwarded_subject: str | None = None
    forwarded_from: str | None = None


def split(body: str, *, forward: bool) -> Split:
    """Split `body`; `forward` says the subject marks the mail as a forward."""
    lines = body.split("\n")
    new: list[str] = []
    forwarded: tuple[str | None, str | None] = (None, None)
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _FORWARD_MARKER.match(line) is not None
        history = _ORIGINAL.match(line) is not None or _outlook_block(lines, index)
        if marker or (history and forward):
            forwarded = _forward_headers(lines, index)
            new.extend(lines[index:])
            break
        if history:
            break
        span = _attribution(lines, index)
        if span:
            after = _next_text(lines, index + span)
            if after < len(lines) and _QUOTED.match(lines[after]):
                index += span
                continue
            if _ATTRIBUTION_OPEN.match(line):
                break
        if not _QUOTED.match(line):
            new.append(line)
        index += 1
    return Split(
        update_text=_tidy(_unsign(new)),
        description=_tidy(_unsign(lines)),
        forwarded_subject=forwarded[1],
        forwarded_from=forwarded[0],
    )


def _attribution(lines: list[str], index: int) -> int:
    """How many lines (1–3) an attribution header at `index` spans; 0 if none."""
    line = lines[index]
    if _ATTRIBUTION_CLOSE.search(line):
        return 1
    if not _ATTRIBUTION_OPEN.match(line) or len(line) > 300:
        return 0
    for span in (2, 3):
        last = index + span - 1
        if last < len(lines) and lines[last].strip() and _ATTRIBUTION_CLOSE.search(lines[last]):
            return span
        if last >= len(lines) or not lines[last].strip():
            return 0
    return 0


def _outlook_block(lines: list[str], index: int) -> bool:
    start = index + 1 if _UNDERSCORES.match(lines[index]) else index
    if start >= len(lines) or not _FROM_LINE.match(lines[start]):
        return False
    return any(_SENT_LINE.match(line) for line in lines[start + 1:start + 5])


def _forward_headers(lines: list[str], index: int) -> tuple[str | None, str | None]:
    """(from, subject) from the header lines under a forward marker."""
    sender = subject = None
    position = index + 1 if not _FROM_LINE.match(lines[index]) else index
    position = _next_text(lines, position)
    for line in lines[position:position + 12]:
        match = _HEADER_LINE.match(line)
        if match is None:
            if _UNDERSCORES.match(line):
                continue
            break
        key = match.group("key").lower()
        value = match.group("value").strip().strip("*").strip()
        if key in _FROM_KEYS and sender is None:
            sender = value or None
        elif key in _SUBJECT_KEYS and subject is None:
            subject = value or None
    return sender, subject


def _next_text(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _starts_structure(lines: list[str], index: int) -> bool:
    line = lines[index]
    return bool(_QUOTED.match(line) or _FORWARD_MARKER.match(line) or _ORIGINAL.match(line)
                or _outlook_block(lines, index) or _attribution(lines, index))


def _unsign(lines: list[str]) -> list[str]:
    """Drop signature blocks and one-line mobile signatures."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if _SIGNATURE.match(lines[index]):
            index += 1
            while index < len(lines) and not _starts_structure(lines, index):
                index += 1
            if index < len(lines) and kept and kept[-1].strip():
                kept.append("")  # keep the quote apart from the text above it
            continue
        if not _MOBILE.match(lines[index]):
            kept.append(lines[index])
        index += 1
    return kept


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUNS.sub("\n\n", text).strip()
