"""`Key: value` lines people write into incident mail, and reply commands.

Both read the sender's new text only (quotes and signature already cut).
The accepted forms are documented in `parsers.email`.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final

from parsers._common import map_severity, parse_time
from parsers.report import Level, Severity

_FIELD_KEYS: Final[Mapping[str, str]] = {
    "discovered": "discovered", "time discovered": "discovered", "discovered at": "discovered",
    "when": "discovered", "detected": "discovered", "detected at": "discovered",
    "location": "location",
    "service": "service", "affected service": "service", "system": "service",
    "affected system": "service",
    "impact": "impact", "urgency": "urgency", "severity": "severity",
}
_LINE: Final = re.compile(
    r"^[ \t]*(?:[-*•][ \t]+)?(?P<key>[A-Za-z][A-Za-z _-]{0,30}?)[ \t]*:[ \t]*(?P<value>.*?)\s*$")
_LEVELS: Final[Mapping[str, Level]] = {
    "high": Level.HIGH, "medium": Level.MEDIUM, "med": Level.MEDIUM,
    "moderate": Level.MEDIUM, "low": Level.LOW,
}


@dataclass(slots=True)
class SopFields:
    """What the SOP lines said; `raw` keeps text we could not turn into a value."""

    discovered_at: datetime | None = None
    location: str | None = None
    service: str | None = None
    impact: Level | None = None
    urgency: Level | None = None
    severity: Severity | None = None
    raw_severity: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def _key(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def sop_fields(text: str, options: Mapping[str, Any], anchor: datetime) -> SopFields:
    """Read SOP `Key: value` lines anywhere in `text`; the first line for a key wins.

    `anchor` (the mail's date, in the sender's zone) supplies the zone of
    times written without one, and the day of a bare "14:05".
    """
    found = SopFields()
    seen: set[str] = set()
    for line in text.split("\n"):
        if ":" not in line:
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        name = _FIELD_KEYS.get(_key(match.group("key")))
        value = match.group("value")
        if name is None or name in seen or not value:
            continue
        seen.add(name)
        value = value[:500]
        if name == "discovered":
            found.discovered_at = parse_when(value, anchor, future=False)
            if found.discovered_at is None:
                found.raw["discovered"] = value
        elif name == "location":
            found.location = value
        elif name == "service":
            found.service = value
        elif name in ("impact", "urgency"):
            level = level_of(value)
            setattr(found, name, level)
            if level is None or _key(value) != level.value:
                found.raw[name] = value
        else:
            found.raw_severity = value
            found.severity = severity_of(value, options)
    return found


def level_of(value: str) -> Level | None:
    """The level named by the first word: high, medium (med, moderate) or low."""
    words = _key(value).split(" ", 1)
    return _LEVELS.get(words[0].strip(".,;!")) if words[0] else None


def severity_of(value: str, options: Mapping[str, Any]) -> Severity | None:
    """Map a severity word (or the first word of a phrase) to ours."""
    return map_severity(value, options) or map_severity(
        _key(value).split(" ", 1)[0].strip(".,;!"), options)


# --- times -------------------------------------------------------------------

_ISO: Final = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?", re.IGNORECASE)
_CLOCK: Final = re.compile(
    r"(?:(today|yesterday|tomorrow|heute|gestern|morgen)[ \t,]+(?:at[ \t]+|um[ \t]+)?)?"
    r"(\d{1,2})[:.](\d{2})(?:[ \t]*(am|pm))?(?:[ \t]*(?:uhr|h))?", re.IGNORECASE)
_DAY_SHIFT: Final = {"today": 0, "heute": 0, "yesterday": -1, "gestern": -1,
                     "tomorrow": 1, "morgen": 1}


def parse_when(value: str, anchor: datetime, *, future: bool) -> datetime | None:
    """An absolute time from ISO 8601, epoch seconds, an RFC 2822 date or a clock time.

    Times without a zone take the zone of `anchor`. A bare clock time ("14:05",
    "today 14:05", "yesterday 9:30 pm") is placed on the anchor's day; without
    a day word it is the latest such time not after the anchor (`future=False`)
    or the earliest not before it (`future=True`).
    """
    text = value.strip()
    zone = anchor.tzinfo or UTC
    match = _ISO.fullmatch(text)
    if match is not None:
        return _iso(match, zone)
    parsed = parse_time(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\S+|\d{9,13}", text) else None
    if parsed is not None:
        return parsed
    try:
        dated = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        dated = None
    if dated is not None:
        return dated if dated.tzinfo is not None else dated.replace(tzinfo=zone)
    clock = _CLOCK.fullmatch(text)
    if clock is not None:
        return _clock(clock, anchor.astimezone(zone), future=future)
    return None


def _iso(match: re.Match[str], zone: tzinfo) -> datetime | None:
    day, time_part, offset = match.groups()
    whole, dot, fraction = time_part.partition(".")
    time_part = whole.zfill(5) + dot + fraction[:6]  # datetime takes at most microseconds
    suffix = ""
    if offset:
        upper = offset.upper()
        suffix = "+00:00" if upper in ("Z", "UTC", "GMT") else offset
    try:
        parsed = datetime.fromisoformat(f"{day}T{time_part}{suffix}")
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _clock(match: re.Match[str], anchor: datetime, *, future: bool) -> datetime | None:
    word, hours_text, minutes_text, meridiem = match.groups()
    hours, minutes = int(hours_text), int(minutes_text)
    if meridiem:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
    if hours > 23 or minutes > 59:
        return None
    moment = anchor.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if word:
        return moment + timedelta(days=_DAY_SHIFT[word.lower()])
    if future and moment < anchor:
        return moment + timedelta(days=1)
    if not future and moment > anchor:
        return moment - timedelta(days=1)
    return moment


# --- reply commands ------------------------------------------------------------

_STATUSES: Final[Mapping[str, str]] = {
    "triaged": "triaged", "responding": "responding", "investigating": "responding",
    "identified": "responding", "in progress": "responding", "contained": "contained",
    "mitigated": "contained", "monitoring": "contained", "resolved": "resolved",
    "fixed": "resolved", "closed": "closed", "dismissed": "dismissed",
    "false alarm": "dismissed", "duplicate": "dismissed",
}
_BARE: Final[Mapping[str, str]] = {
    "ack": "ack", "acknowledge": "ack", "acknowledged": "ack",
    "resolve": "resolve", "resolved": "resolve", "reopen": "reopen",
}
_TEXT_COMMANDS: Final[Mapping[str, str]] = {
    "root cause": "root_cause", "rootcause": "root_cause", "rca": "root_cause",
    "resolution": "resolution", "note": "note", "comment": "note",
    "reopen": "reopen", "resolve": "resolve", "resolved": "resolve",
    "ack": "ack", "acknowledge": "ack", "acknowledged": "ack",
}
_PRIORITY: Final = re.compile(r"p?([1-4])", re.IGNORECASE)
_LONGEST_ETA_MINUTES: Final = 366 * 1440
_DURATION_PART: Final = re.compile(
    r"(\d+(?:\.\d+)?)\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)(?![a-z])", re.IGNORECASE)
_ADDRESS: Final = re.compile(r"<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?")
_USER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def commands(text: str, options: Mapping[str, Any], *, sender: str | None,
             anchor: datetime) -> tuple[tuple[str, str], ...]:
    """Read command lines from the top of `text` until the first line that is not one."""
    found: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        command = _command(line.strip(), options, sender=sender, anchor=anchor)
        if command is None:
            break
        found.append(command)
    return tuple(found)


def _command(line: str, options: Mapping[str, Any], *, sender: str | None,
             anchor: datetime) -> tuple[str, str] | None:
    bare = _key(line.rstrip(".!"))
    if bare in _BARE:
        return _BARE[bare], ""
    if _PRIORITY.fullmatch(bare) and bare.startswith("p"):
        return "priority", f"P{bare[1]}"
    name, colon, value = line.partition(":")
    if not colon:
        return None
    key, value = _key(name), value.strip()
    if key == "status":
        status = _STATUSES.get(_key(value.rstrip(".!")))
        return ("status", status) if status else None
    if key in ("priority", "prio"):
        match = _PRIORITY.fullmatch(value.rstrip("."))
        return ("priority", f"P{match.group(1)}") if match else None
    if key in ("severity", "sev"):
        severity = map_severity(value.rstrip(".!"), options)
        return ("severity", severity.value) if severity else None
    if key in ("impact", "urgency"):
        level = _LEVELS.get(_key(value.rstrip(".!")))
        return (key, level.value) if level else None
    if key == "eta":
        eta = eta_value(value, anchor)
        return ("eta", eta) if eta else None
    if key in ("assign", "assignee", "assign to"):
        return _assign(value, sender)
    command = _TEXT_COMMANDS.get(key)
    if command is not None and (value or command in ("reopen", "resolve", "ack")):
        return command, value[:2000]
    return None


def eta_value(value: str, anchor: datetime) -> str | None:
    """An ISO 8601 duration ("2h" → "PT2H") or an absolute time in ISO form."""
    text = value.strip().rstrip(".")
    spoken = re.sub(r"^in\s+", "", text, flags=re.IGNORECASE)
    parts = list(_DURATION_PART.finditer(spoken))
    rest = _DURATION_PART.sub("", spoken)
    if parts and not re.sub(r"\b(and)\b|[\s,]", "", rest, flags=re.IGNORECASE):
        minutes = 0.0
        for part in parts:
            unit = part.group(2).lower()[0]
            minutes += float(part.group(1)) * {"d": 1440, "h": 60, "m": 1}[unit]
        # An estimate beyond a year is no estimate (and "9…9h" would not even be finite).
        return _duration(round(minutes)) if 0 < minutes <= _LONGEST_ETA_MINUTES else None
    moment = parse_when(text, anchor, future=True)
    return moment.isoformat() if moment else None


def _duration(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or mins:
        out += "T" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return out


def _assign(value: str, sender: str | None) -> tuple[str, str] | None:
    if value.lower() == "me":
        return ("assign", sender) if sender else None
    match = _ADDRESS.fullmatch(value)
    if match is not None:
        return "assign", match.group(1).lower()
    if _USER.fullmatch(value):
        return "assign", value.lower()
    return None
