from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


def test_recovery_is_reported_even_when_soft() -> None:
    report = one("icinga2", load("icinga2", "stackstorm-statechange-event"))
    assert report.status is ReportStatus.RESOLVED
    assert report.dedup_key == "hostname01!disk"


def test_hard_critical_fires_and_soft_problem_is_ignored() -> None:
    body = load("icinga2", "stackstorm-statechange-event")
    body.update(state=2.0, state_type=1.0)
    report = one("icinga2", body)
    assert (report.status, report.severity, report.title) == (
        ReportStatus.FIRING, Severity.HIGH, "disk on hostname01 is CRITICAL")
    body["state_type"] = 0.0
    with pytest.raises(Ignored, match="SOFT"):
        one("icinga2", body)


def test_host_down_notification() -> None:
    body = {"type": "Notification", "host": "web1", "notification_type": "PROBLEM",
            "users": ["ops"], "check_result": {"state": 1.0, "output": "PING CRITICAL"},
            "timestamp": 1458668870.3}
    report = one("icinga2", body)
    assert (report.dedup_key, report.raw_severity, report.severity) == (
        "web1", "DOWN", Severity.HIGH)


def test_check_results_are_ignored() -> None:
    with pytest.raises(Ignored):
        one("icinga2", {"type": "CheckResult", "host": "web1", "check_result": {}})
