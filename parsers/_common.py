"""Small pure helpers shared by the parsers: JSON loading, times, severities, paths."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from parsers.report import ParseError, RawInput, Severity

# The shared vocabulary of severity words. A parser may put its own table in
# front of this one; an integration's `severity_map` option overrides both.
COMMON_SEVERITIES: Mapping[str, Severity] = {
    # high
    "critical": Severity.HIGH, "crit": Severity.HIGH, "fatal": Severity.HIGH,
    "emergency": Severity.HIGH, "emerg": Severity.HIGH, "alert": Severity.HIGH,
    "page": Severity.HIGH, "disaster": Severity.HIGH, "high": Severity.HIGH,
    "major": Severity.HIGH, "p1": Severity.HIGH, "p2": Severity.HIGH,
    "sev1": Severity.HIGH, "sev2": Severity.HIGH, "sev0": Severity.HIGH,
    # medium
    "error": Severity.MEDIUM, "err": Severity.MEDIUM, "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM, "medium": Severity.MEDIUM, "moderate": Severity.MEDIUM,
    "average": Severity.MEDIUM, "p3": Severity.MEDIUM, "sev3": Severity.MEDIUM,
    # low
    "minor": Severity.LOW, "low": Severity.LOW, "info": Severity.LOW,
    "informational": Severity.LOW, "information": Severity.LOW, "notice": Severity.LOW,
    "debug": Severity.LOW, "none": Severity.LOW, "p4": Severity.LOW, "p5": Severity.LOW,
    "sev4": Severity.LOW, "sev5": Severity.LOW, "not classified": Severity.LOW,
}


def load_json(raw: RawInput) -> Any:
    """Decode the body as JSON or raise `ParseError` saying where it broke."""
    try:
        return json.loads(raw.body.decode("utf-8-sig"))  # JSON on the wire is UTF-8
    except UnicodeDecodeError as exc:
        raise ParseError(f"body is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")\
            from None


def require_object(value: Any, what: str) -> Mapping[str, Any]:
    """Return `value` if it is a JSON object, else raise `ParseError` naming `what`."""
    if not isinstance(value, Mapping):
        raise ParseError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def text(value: Any) -> str | None:
    """Return a stripped string for scalars, None for null/empty/containers."""
    if value is None or isinstance(value, Mapping | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    result = str(value).strip()
    return result or None


def dig(data: Any, path: str) -> Any:
    """Follow a dotted path (`a.b.0.c`) through objects and arrays; None when absent."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdecimal():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


def parse_time(value: Any) -> datetime | None:
    """Parse ISO 8601 text or epoch seconds (or ms, µs, ns) into an aware UTC datetime.

    Returns None for absent or unparseable values, and for Go's zero time
    (`0001-01-01T00:00:00Z`), which Alertmanager sends for "not ended".
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        number = float(value)
        if not math.isfinite(number) or number <= 0:  # "inf" would never scale down
            return None
        while number > 1e11:  # milliseconds, microseconds or nanoseconds
            number /= 1000.0
        try:
            return datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    candidate = value.strip()
    if not candidate:
        return None
    candidate = _trim_fraction(candidate.replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _trim_fraction(value: str) -> str:
    """Cut fractional seconds to 6 digits: Go and .NET send 7 or 9."""
    dot = value.find(".", 17)
    if dot == -1:
        return value
    end = dot + 1
    while end < len(value) and value[end].isdecimal():
        end += 1
    return value[: dot + 1] + value[dot + 1 : end][:6] + value[end:]


def map_severity(
    word: Any,
    options: Mapping[str, Any],
    table: Mapping[str, Severity] | None = None,
) -> Severity | None:
    """Map a tool's severity word to ours.

    Order: the integration's `severity_map` option, the parser's own `table`,
    then `COMMON_SEVERITIES`. Matching ignores case and surrounding space.
    """
    key = text(word)
    if key is None:
        return None
    key = key.lower()
    override = options.get("severity_map") or {}
    for candidate, mapped in override.items():
        if str(candidate).lower() == key:
            return Severity(str(mapped).lower())
    if table and key in table:
        return table[key]
    return COMMON_SEVERITIES.get(key)


def string_map(value: Any) -> dict[str, str]:
    """Return a flat str→str dict from a JSON object, dropping nulls and nesting."""
    if not isinstance(value, Mapping):
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        as_text = text(item)
        if as_text is not None:
            result[str(key)] = as_text
    return result


# --- helpers shared by the monitoring webhook parsers --------------------------------------

TITLE_LIMIT: Final = 200


def one_line(value: Any, limit: int = TITLE_LIMIT) -> str | None:
    """Return the first non-blank line of `value`, cut to `limit` characters (for titles)."""
    as_text = text(value)
    if as_text is None:
        return None
    line = next((part.strip() for part in as_text.splitlines() if part.strip()), "")
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line or None


def first_text(*values: Any) -> str | None:
    """Return the first value that `text()` turns into a non-empty string."""
    for value in values:
        as_text = text(value)
        if as_text is not None:
            return as_text
    return None


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Flatten nested objects and arrays into dotted str→str pairs (`a.b`, `list.0`).

    Nulls and empty strings are dropped; scalars are kept as `text()` renders them.
    """
    result: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            result.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            result.update(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        as_text = text(value)
        if as_text is not None and prefix:
            result[prefix] = as_text
    return result


def pairs_map(items: Any, key: str = "name", value: str = "value") -> dict[str, str]:
    """Turn `[{"name": k, "value": v}, …]` or `[[k, v], …]` into a str→str dict."""
    result: dict[str, str] = {}
    if not isinstance(items, list):
        return result
    for item in items:
        if isinstance(item, Mapping):
            name, content = text(item.get(key)), text(item.get(value))
        elif isinstance(item, list) and len(item) == 2:
            name, content = text(item[0]), text(item[1])
        else:
            continue
        if name is not None and content is not None:
            result[name] = content
    return result


def short_hash(*parts: Any) -> str:
    """A stable 16-hex-digit key from `parts`, for payloads that carry no id of their own."""
    canonical = "\x00".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def load_object(raw: RawInput, what: str) -> Mapping[str, Any]:
    """Decode the body as JSON and require a JSON object, naming `what` in the error."""
    return require_object(load_json(raw), what)


def split_tags(value: Any, separator: str = ",") -> tuple[dict[str, str], list[str]]:
    """`"env:prod, service:api, vip"` (or a list) → ({env: prod, service: api}, [vip]).

    Tags of the form `key:value` become labels; bare tags are returned apart.
    """
    items: list[Any]
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.split(separator)
    else:
        return {}, []
    labels: dict[str, str] = {}
    bare: list[str] = []
    for item in items:
        tag = text(item)
        if tag is None:
            continue
        key, sep, content = tag.partition(":")
        if sep and key.strip() and content.strip():
            labels[key.strip()] = content.strip()
        else:
            bare.append(tag)
    return labels, bare


def join_texts(value: Any, separator: str = ", ") -> str | None:
    """Join the scalar items of a JSON array (`["a", 1]` → `"a, 1"`); None if none."""
    if not isinstance(value, list):
        return None
    return separator.join(item for element in value if (item := text(element))) or None


def as_object(value: Any) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one (for optional sub-objects)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
