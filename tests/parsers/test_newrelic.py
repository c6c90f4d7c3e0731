from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


def test_workflow_issue_created_then_closed() -> None:
    body = load("newrelic", "zulip-workflow-default-created")
    created = one("newrelic", body)
    body.update(state="CLOSED", trigger="INCIDENT_CLOSED", updatedAt=1713767889495)
    closed = one("newrelic", body)
    assert created.dedup_key == closed.dedup_key == body["id"]
    assert (created.status, closed.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert created.severity is Severity.HIGH


def test_legacy_channel_test_is_ignored() -> None:
    with pytest.raises(Ignored, match="test"):
        one("newrelic", load("newrelic", "alerta-legacy-incident-v1"))


def test_legacy_channel_incident() -> None:
    body = load("newrelic", "alerta-legacy-incident-v1")
    body.update(incident_id=42, severity="WARNING", current_state="acknowledged")
    report = one("newrelic", body)
    assert report.dedup_key == "incident:42"
    assert (report.status, report.severity) == (ReportStatus.ACKNOWLEDGED, Severity.MEDIUM)
