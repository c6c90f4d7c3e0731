from __future__ import annotations

import pytest

from parsers import ReportStatus, Severity
from tests.parsers.support import load, one


def test_triggered_and_recovered_share_the_monitor_group_key() -> None:
    fired = one("datadog", load("datadog", "keep-log-alert-triggered"))
    recovered = one("datadog", load("datadog", "keep-log-alert-recovered"))
    assert fired.dedup_key == recovered.dedup_key == "monitor:160076582/service:keep-api"
    assert (fired.status, recovered.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert fired.title == recovered.title == "Error monitor (service:keep-api)"


@pytest.mark.parametrize(("priority", "expected"), [
    ("P1", Severity.HIGH), ("P2", Severity.HIGH), ("P3", Severity.MEDIUM),
    ("P4", Severity.LOW), ("P5", Severity.LOW),
])
def test_priorities(priority: str, expected: Severity) -> None:
    body = load("datadog", "keep-log-alert-warn-priority")
    body["severity"] = priority
    assert one("datadog", body).severity is expected


def test_alert_type_without_priority() -> None:
    body = load("datadog", "keep-log-alert-warn-priority")
    body["severity"] = ""
    body["title"] = "[Warn on {service:keep-api}] Unauthorized access"
    report = one("datadog", body)
    assert (report.raw_severity, report.severity) == ("warning", Severity.MEDIUM)
    assert report.title == "Unauthorized access (service:keep-api)"


def test_priority_from_the_title_when_no_field() -> None:
    body = load("datadog", "keep-log-alert-warn-priority")
    del body["severity"]
    report = one("datadog", body)
    assert (report.raw_severity, report.severity) == ("P2", Severity.HIGH)
    assert report.title.startswith("Unauthorized access to API keep-api")


def test_transition_from_the_title_when_no_field() -> None:
    body = load("datadog", "keep-log-alert-recovered")
    del body["alert_transition"], body["alert_type"]
    assert one("datadog", body).status is ReportStatus.RESOLVED


def test_body_markers_and_mentions_are_dropped() -> None:
    report = one("datadog", load("datadog", "keep-log-alert-triggered-db"))
    assert "%%%" not in report.description
    assert "@webhook" not in report.description
    assert report.labels == {"database_id": "keephq-sandbox:keep"}
