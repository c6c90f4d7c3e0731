"""The neutral shapes every parser speaks: `RawInput` in, `Report` out.

Parsers are pure: they get everything they need in `RawInput` (including the
received time and the integration's options) and return `Report`s, or raise
`ParseError` (input not understood: quarantined) or `Ignored` (understood, but
not an incident: auto-replies, bounces, subscription handshakes, test pings).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """Incident severity as the SOP defines it."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Level(StrEnum):
    """Impact and urgency levels that feed the priority matrix."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ReportStatus(StrEnum):
    """What a report says about the signal it carries."""

    FIRING = "firing"  # a problem exists (alert firing, a person reporting one)
    ACKNOWLEDGED = "acknowledged"  # the source says somebody is on it
    RESOLVED = "resolved"  # the source says the problem is gone


class Channel(StrEnum):
    """How the raw input reached us."""

    SMTP = "smtp"
    WEBHOOK = "webhook"
    API = "api"


class ParseError(Exception):
    """The input cannot be understood; the raw record is quarantined with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Ignored(Exception):  # noqa: N818 - an outcome, not an error
    """The input is understood but must not become an incident.

    `details` carries what an operator needs to see (for example the SNS
    SubscribeURL); it is stored beside the reason.
    """

    def __init__(self, reason: str, details: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details: Mapping[str, str] = dict(details or {})


@dataclass(frozen=True, slots=True, kw_only=True)
class RawInput:
    """One raw report as intake stored it, plus the integration's parser options."""

    channel: Channel
    body: bytes
    received_at: datetime
    route: str | None = None  # integration name for webhooks
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    mail_from: str | None = None  # SMTP envelope sender
    rcpt_to: tuple[str, ...] = ()  # SMTP envelope recipients
    options: Mapping[str, Any] = field(default_factory=dict)  # per-integration settings


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """A file that came with a report (stored, listed, never inlined)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False)
    truncated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailInfo:
    """What only an email carries: identity and threading headers."""

    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_addr: str | None = None
    from_name: str | None = None
    to: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    update_text: str = ""  # the new part of a reply: quotes and signature cut
    attachments: tuple[Attachment, ...] = ()
    cc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    is_reply: bool = False  # In-Reply-To/References present or a reply prefix (Re:, AW:, ...)
    auto_submitted: str | None = None  # the Auto-Submitted value when present ("no" here)
    list_id: str | None = None  # List-Id of an accepted mailing list
    incident_keys: tuple[str, ...] = ()  # every [INC-<n>] tag in the subject, as "INC-<n>"
    commands: tuple[tuple[str, str], ...] = ()  # (name, value) reply commands, in order


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """One parsed signal: an alert from a tool or an incident report from a person."""

    source: str  # parser name ("email", "alertmanager", ...)
    title: str
    occurred_at: datetime  # timezone-aware; the received time when the payload has none
    description: str = ""
    status: ReportStatus = ReportStatus.FIRING
    severity: Severity | None = None  # mapped to our scale; None when the source says nothing
    raw_severity: str | None = None  # the tool's own word, as sent
    dedup_key: str | None = None  # stable id of the signal (fingerprint, dedup_key, alert id)
    group_key: str | None = None  # reports with one group key belong to one incident
    service: str | None = None
    resource: str | None = None
    event: str | None = None
    environment: str | None = None
    url: str | None = None  # link back to the source
    ended_at: datetime | None = None
    impact: Level | None = None
    urgency: Level | None = None
    location: str | None = None
    discovered_at: datetime | None = None
    reporter: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)  # annotations and leftovers
    email: EmailInfo | None = None

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict (attachment bytes left out) for storage and display."""
        result: dict[str, Any] = _jsonable(self)
        return result


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(kind)
                      if not (kind is Attachment and f.name == "data"))
        _FIELD_NAMES[kind] = names
    return names


def _jsonable(value: Any) -> Any:
    # Called for every stored report: plain values first, dataclasses by cached field names.
    if value is None or isinstance(value, str | int | float):
        return str(value) if isinstance(value, StrEnum) else value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _jsonable(getattr(value, name)) for name in _field_names(type(value))}
    return value
