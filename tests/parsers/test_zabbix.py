from __future__ import annotations

import pytest

from parsers import ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize(("word", "expected"), [
    ("Disaster", Severity.HIGH), ("High", Severity.HIGH), ("Average", Severity.MEDIUM),
    ("Warning", Severity.MEDIUM), ("Information", Severity.LOW),
    ("Not classified", Severity.LOW), ("5", Severity.HIGH), ("0", Severity.LOW),
])
def test_severity_table(word: str, expected: Severity) -> None:
    body = load("zabbix", "zulip-problem")
    body["severity"] = word
    assert one("zabbix", body).severity is expected


def test_problem_and_ok_share_the_trigger_key() -> None:
    problem = one("zabbix", load("zabbix", "zulip-problem"))
    ok = one("zabbix", load("zabbix", "zulip-ok"))
    assert problem.dedup_key == ok.dedup_key == "trigger:14032"
    assert (problem.status, ok.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)


def test_event_value_and_explicit_ids() -> None:
    body = {"event_name": "High CPU on db1", "event_value": "0", "event_nseverity": "4",
            "host": "db1", "event_id": "991"}
    report = one("zabbix", body)
    assert report.status is ReportStatus.RESOLVED
    assert report.severity is Severity.HIGH
    assert report.dedup_key == "event:991"


def test_oncall_media_type_uses_alert_uid() -> None:
    report = one("zabbix", load("zabbix", "oncall-media-type-demo"))
    assert report.dedup_key == "08d6891a-835c-e661-39fa-96b6a9e26552"
    assert report.status is ReportStatus.FIRING
