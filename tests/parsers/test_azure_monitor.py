from __future__ import annotations

import pytest

from parsers import ParseError, ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize(("word", "expected"), [
    ("Sev0", Severity.HIGH), ("Sev1", Severity.HIGH), ("Sev2", Severity.MEDIUM),
    ("Sev3", Severity.LOW), ("Sev4", Severity.LOW),
])
def test_severity_table(word: str, expected: Severity) -> None:
    body = load("azure-monitor", "common-schema-log-alerts-v2-fired")
    body["data"]["essentials"]["severity"] = word
    assert one("azure_monitor", body).severity is expected


def test_numeric_severity_of_the_older_schema() -> None:
    report = one("azure_monitor", load("azure-monitor", "alerta-metric-alert-v2-deactivated"))
    assert (report.raw_severity, report.severity) == ("3", Severity.LOW)


def test_severity_map_option() -> None:
    body = load("azure-monitor", "common-schema-log-alerts-v2-fired")
    report = one("azure_monitor", body, {"severity_map": {"Sev3": "high"}})
    assert report.severity is Severity.HIGH


def test_fired_and_resolved_share_the_alert_id() -> None:
    body = load("azure-monitor", "common-schema-log-alerts-v2-fired")
    fired = one("azure_monitor", body)
    body["data"]["essentials"]["monitorCondition"] = "Resolved"
    body["data"]["essentials"]["resolvedDateTime"] = "2021-11-16T12:00:00Z"
    resolved = one("azure_monitor", body)
    assert fired.dedup_key == resolved.dedup_key
    assert resolved.status is ReportStatus.RESOLVED
    assert resolved.ended_at is not None
    assert resolved.ended_at.hour == 12


def test_activated_and_deactivated_share_a_key_whatever_the_case() -> None:
    body = load("azure-monitor", "alerta-classic-metric-alert-2")
    activated = one("azure_monitor", body)
    body["status"] = "Deactivated"
    body["context"]["resourceId"] = body["context"]["resourceId"].lower()
    deactivated = one("azure_monitor", body)
    assert activated.dedup_key == deactivated.dedup_key
    assert deactivated.status is ReportStatus.RESOLVED


def test_metric_alert_v2_activated_and_deactivated() -> None:
    body = load("azure-monitor", "alerta-metric-alert-v2-activated")
    activated = one("azure_monitor", body)
    body["data"]["status"] = "Deactivated"
    assert one("azure_monitor", body).dedup_key == activated.dedup_key


def test_service_health_is_keyed_by_tracking_id_and_resolves_by_stage() -> None:
    body = load("azure-monitor", "common-schema-service-health")
    resolved = one("azure_monitor", body)
    body["data"]["essentials"]["alertId"] = "/subscriptions/x/alerts/another-event"
    body["data"]["alertContext"]["properties"]["stage"] = "Active"
    active = one("azure_monitor", body)
    assert active.dedup_key == resolved.dedup_key == "service-health:ABC1-DEF"
    assert (active.status, resolved.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert "<p>" not in resolved.description


def test_unknown_schema_is_quarantined_with_a_hint() -> None:
    with pytest.raises(ParseError, match="common alert schema"):
        one("azure_monitor", {"schemaId": "Microsoft.Insights/LogAlert", "data": {}})
