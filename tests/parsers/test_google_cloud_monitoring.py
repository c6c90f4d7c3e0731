from __future__ import annotations

import pytest

from parsers import ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize("pair", [
    ("agilicus-v1.2-uptime-open", "agilicus-v1.2-uptime-closed"),
    ("alerta-stackdriver-open", "alerta-stackdriver-closed"),
])
def test_open_and_closed_share_the_incident_id(pair: tuple[str, str]) -> None:
    opened, closed = (one("google_cloud_monitoring", load("google-cloud-monitoring", name))
                      for name in pair)
    assert opened.dedup_key == closed.dedup_key
    assert opened.group_key == closed.group_key
    assert (opened.status, closed.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert closed.ended_at is not None


@pytest.mark.parametrize(("word", "expected"), [
    ("CRITICAL", Severity.HIGH), ("ERROR", Severity.HIGH), ("WARNING", Severity.MEDIUM),
    ("No severity", None),
])
def test_policy_severity(word: str, expected: Severity | None) -> None:
    body = load("google-cloud-monitoring", "cloudforet-v1.2-open")
    body["incident"]["severity"] = word
    assert one("google_cloud_monitoring", body).severity is expected


def test_title_names_policy_and_condition() -> None:
    body = load("google-cloud-monitoring", "alerta-stackdriver-open")
    report = one("google_cloud_monitoring", body)
    assert report.title == "Webserver Health: CPU usage"
