"""Building rule sets and reports for the triage tests."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

from daemon.triage import ReportContext
from daemon.triage.schema import TriageConfig
from parsers import Report

NOON = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Berlin

WEBHOOK = ReportContext(channel="webhook", integration="alertmanager")
EMAIL = ReportContext(channel="email", sender="alice@example.org")


def rules(text: str) -> TriageConfig:
    """`[triage]` from TOML text (without the table header)."""
    return TriageConfig.model_validate(tomllib.loads(text))


def report(title: str = "Something happened", **fields: Any) -> Report:
    fields.setdefault("source", "generic")
    return Report(title=title, occurred_at=NOON, **fields)
