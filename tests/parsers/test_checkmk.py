from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


def test_host_problem_and_recovery_share_the_object_key() -> None:
    recovery = load("checkmk", "keep-notification-script-host-recovery")
    problem = dict(recovery, notification_type="PROBLEM", status="DOWN", event="UP -> DOWN")
    fired, resolved = one("checkmk", problem), one("checkmk", recovery)
    assert fired.dedup_key == resolved.dedup_key == "cmk/server1"
    assert (fired.status, resolved.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert (fired.title, fired.severity) == ("server1 is DOWN", Severity.HIGH)


def test_service_uses_the_service_state() -> None:
    body = load("checkmk", "keep-notification-script-host-recovery")
    body.update(what="SERVICE", service="Filesystem /", notification_type="PROBLEM",
                status="DOWN", severity="WARN")
    report = one("checkmk", body)
    assert report.dedup_key == "cmk/server1/Filesystem /"
    assert (report.raw_severity, report.severity) == ("WARN", Severity.MEDIUM)


def test_downtime_is_ignored() -> None:
    body = load("checkmk", "keep-notification-script-host-recovery")
    body["notification_type"] = "DOWNTIMESTART"
    with pytest.raises(Ignored, match="DOWNTIMESTART"):
        one("checkmk", body)
