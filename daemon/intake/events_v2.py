"""PagerDuty Events API v2 alert events: the checks PagerDuty makes before it answers 202.

From PagerDuty's Events API v2 documentation: `routing_key` and `event_action`
(trigger, acknowledge, resolve) are required; a trigger needs `payload.summary`
(at most 1024 characters), `payload.source` and `payload.severity` (critical,
error, warning, info); acknowledge and resolve need the `dedup_key` of the
trigger; a `dedup_key` is at most 255 characters. A trigger without one gets a
generated key, returned in the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from daemon.intake.json_body import NotJson, decode_json

ACTIONS: Final = ("trigger", "acknowledge", "resolve")
SEVERITIES: Final = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY: Final = 255
MAX_SUMMARY: Final = 1024


@dataclass(frozen=True, slots=True)
class EventV2:
    """The parts of a valid event intake needs: where it goes and its key."""

    action: str
    dedup_key: str | None  # None: a trigger PagerDuty would give a fresh key


class InvalidEvent(Exception):
    """The event would be refused by PagerDuty; `errors` lists why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def load_event(body: bytes) -> Mapping[str, Any]:
    """The JSON object of the body, or `InvalidEvent`."""
    if not body.strip():
        raise InvalidEvent(["the body is empty; send a JSON event object"])
    try:
        data = decode_json(body)
    except NotJson as exc:
        raise InvalidEvent([f"the body is {exc.reason}"]) from None
    if not isinstance(data, Mapping):
        raise InvalidEvent(["the event must be a JSON object"])
    return data


def routing_key(event: Mapping[str, Any]) -> str:
    """The event's routing key, or `InvalidEvent` when it is missing or blank."""
    value = event.get("routing_key")
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(["'routing_key' is missing or blank"])
    return value


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_event(event: Mapping[str, Any]) -> EventV2:
    """Check everything but the routing key; return the event or raise `InvalidEvent`."""
    errors: list[str] = []
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
        dedup_key = None
    elif isinstance(dedup_key, str):
        dedup_key = dedup_key if dedup_key.strip() else None
        if dedup_key is not None and len(dedup_key) > MAX_DEDUP_KEY:
            errors.append(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
    if action in ("acknowledge", "resolve") and dedup_key is None:
        errors.append(f"'dedup_key' is required to {action} an alert")
    if action == "trigger":
        errors.extend(_payload_errors(event.get("payload")))
    for name in ("images", "links"):
        if name in event and not isinstance(event[name], list):
            errors.append(f"'{name}' must be an array")
    if errors:
        raise InvalidEvent(errors)
    return EventV2(action=str(action), dedup_key=dedup_key)


def _payload_errors(payload: Any) -> list[str]:
    if not isinstance(payload, Mapping):
        return ["'payload' is required for a trigger event and must be an object"]
    errors = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    if not _text(payload.get("source")):
        errors.append("'payload.source' is missing or blank")
    if payload.get("severity") not in SEVERITIES:
        errors.append("'payload.severity' must be one of critical, error, warning, info")
    timestamp = payload.get("timestamp")
    if timestamp is not None and not isinstance(timestamp, str):
        errors.append("'payload.timestamp' must be an ISO 8601 string")
    return errors


def new_dedup_key() -> str:
    """A fresh key, shaped like PagerDuty's own (32 hexadecimal digits)."""
    return uuid.uuid4().hex
