from __future__ import annotations

from parsers import ReportStatus, Severity
from tests.parsers.support import one


def test_level_critical_then_ok() -> None:
    body = {"id": "cpu:host=db1", "message": "db1 CPU is CRITICAL", "level": "CRITICAL",
            "time": "2024-05-01T10:00:00Z",
            "data": {"series": [{"name": "cpu", "tags": {"host": "db1"}}]}}
    fired = one("kapacitor", body)
    resolved = one("kapacitor", dict(body, level="OK", message="db1 CPU is OK"))
    assert fired.dedup_key == resolved.dedup_key == "cpu:host=db1"
    assert (fired.severity, fired.resource) == (Severity.HIGH, "db1")
    assert resolved.status is ReportStatus.RESOLVED
