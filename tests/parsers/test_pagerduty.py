from __future__ import annotations

import pytest

from parsers import Ignored, ParseError, ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize(("word", "expected"), [
    ("critical", Severity.HIGH), ("error", Severity.HIGH),
    ("warning", Severity.MEDIUM), ("info", Severity.LOW),
])
def test_severity_table(word: str, expected: Severity) -> None:
    body = load("pagerduty-events-v2", "pd-docs-trigger")
    body["payload"]["severity"] = word
    report = one("pagerduty", body)
    assert report.severity is expected
    assert report.raw_severity == word


def test_severity_map_option_wins() -> None:
    body = load("pagerduty-events-v2", "pd-docs-trigger")
    report = one("pagerduty", body, {"severity_map": {"info": "medium"}})
    assert report.severity is Severity.MEDIUM


def test_acknowledge_and_resolve_update_the_triggered_key() -> None:
    trigger = load("pagerduty-events-v2", "pd-docs-trigger")
    trigger["dedup_key"] = "dedupkeyhere"  # the doc examples use different placeholders
    keys = {one("pagerduty", trigger).dedup_key}
    for name, status in (("pd-docs-acknowledge", ReportStatus.ACKNOWLEDGED),
                         ("pd-docs-resolve", ReportStatus.RESOLVED)):
        report = one("pagerduty", load("pagerduty-events-v2", name))
        assert report.status is status
        keys.add(report.dedup_key)
    assert keys == {"dedupkeyhere"}


def test_resolve_without_dedup_key_is_refused() -> None:
    body = load("pagerduty-events-v2", "pd-docs-resolve")
    del body["dedup_key"]
    with pytest.raises(ParseError, match="dedup_key"):
        one("pagerduty", body)


def test_change_event_is_ignored() -> None:
    with pytest.raises(Ignored, match="change event"):
        one("pagerduty", load("pagerduty-events-v2", "pd-docs-change-event"))


def test_routing_key_is_not_copied() -> None:
    report = one("pagerduty", load("pagerduty-events-v2", "pd-docs-trigger"))
    assert "samplekeyhere" not in str(report.details) + str(report.labels)


def test_events_api_v1() -> None:
    trigger = {"service_key": "secret", "event_type": "trigger", "incident_key": "srv01/HTTP",
               "description": "FAILURE for production/HTTP on machine srv01.example.com",
               "details": {"ping time": "1500ms"}, "client": "Sample Monitoring Service"}
    resolve = {"service_key": "secret", "event_type": "resolve", "incident_key": "srv01/HTTP"}
    fired, resolved = one("pagerduty", trigger), one("pagerduty", resolve)
    assert fired.title.startswith("FAILURE for production/HTTP")
    assert fired.details["ping time"] == "1500ms"
    assert (fired.dedup_key, resolved.dedup_key) == ("srv01/HTTP", "srv01/HTTP")
    assert resolved.status is ReportStatus.RESOLVED
    assert "secret" not in str(fired.details)
