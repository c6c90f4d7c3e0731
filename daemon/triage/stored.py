"""A stored report (`report.data`, written by `Report.to_json`) as a `Report` again.

Re-triage and backtests need the report as the rules saw it, and the raw
intake bytes may be gone (retention empties them), so the parsed form that
is kept with every report row is turned back into the dataclass here.
Attachment bytes are not stored; they come back empty (triage never reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from parsers import Attachment, EmailInfo, Level, Report, ReportStatus, Severity

_TIMES = ("occurred_at", "ended_at", "discovered_at")
_ENUMS: dict[str, Any] = {"status": ReportStatus, "severity": Severity, "impact": Level,
                          "urgency": Level}
_TEXT_MAPS = ("labels", "details")


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _email(data: Mapping[str, Any]) -> EmailInfo:
    values: dict[str, Any] = {}
    for name in EmailInfo.__dataclass_fields__:
        if name not in data:
            continue
        value = data[name]
        if name == "date":
            value = _time(value)
        elif name == "attachments":
            value = tuple(Attachment(data=b"", **{k: v for k, v in item.items()
                                                   if k in Attachment.__dataclass_fields__})
                          for item in value or ())
        elif name == "commands":
            value = tuple(tuple(pair) for pair in value or ())
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return EmailInfo(**values)


def report_from_json(data: Mapping[str, Any]) -> Report:
    """The `Report` that `Report.to_json` turned into `data`."""
    values: dict[str, Any] = {}
    for name in Report.__dataclass_fields__:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if name in _TIMES:
            value = _time(value)
        elif name in _ENUMS:
            value = _ENUMS[name](value)
        elif name in _TEXT_MAPS:
            value = {str(k): str(v) for k, v in dict(value).items()}
        elif name == "email":
            value = _email(value)
        values[name] = value
    return Report(**values)
