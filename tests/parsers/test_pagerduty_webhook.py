from __future__ import annotations

import pytest

from parsers import Ignored, Level, ReportStatus, Severity
from tests.parsers.support import load, one, run


def test_v2_trigger_and_resolve_share_the_incident_id() -> None:
    trigger = one("pagerduty_webhook", load("pagerduty-webhook", "pd-docs-v2-incident-trigger"))
    resolve = one("pagerduty_webhook", load("pagerduty-webhook", "pd-docs-v2-incident-resolve"))
    assert trigger.dedup_key == resolve.dedup_key == "PRORDTY"
    assert (trigger.status, resolve.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert resolve.ended_at is not None


def test_v1_messages_become_one_report_each() -> None:
    reports = run("pagerduty_webhook", load("pagerduty-webhook", "alerta-webhook-v1-ack-resolve"))
    assert [r.status for r in reports] == [ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED]
    assert {r.dedup_key for r in reports} == {"PIJ90N7"}


def test_priority_before_urgency() -> None:
    report = one("pagerduty_webhook",
                 load("pagerduty-webhook", "pd-docs-v3-incident-priority-updated"))
    assert (report.raw_severity, report.severity) == ("P1", Severity.HIGH)
    assert report.urgency is Level.HIGH


def test_urgency_low_without_priority() -> None:
    body = load("pagerduty-webhook", "zulip-v3-incident-triggered")
    body["event"]["data"]["urgency"] = "low"
    report = one("pagerduty_webhook", body)
    assert (report.severity, report.urgency) == (Severity.LOW, Level.LOW)


def test_ping_and_other_resources_are_ignored() -> None:
    ping = {"event": {"id": "01", "event_type": "pagey.ping", "resource_type": "pagey",
                      "occurred_at": "2021-01-01T00:00:00Z", "data": {"message": "Hello"}}}
    with pytest.raises(Ignored, match="pagey.ping"):
        one("pagerduty_webhook", ping)
    with pytest.raises(Ignored, match="not about an incident"):
        one("pagerduty_webhook", load("pagerduty-webhook", "pd-docs-v3-service-updated"))


def test_annotation_is_ignored() -> None:
    body = load("pagerduty-webhook", "zulip-v3-incident-triggered")
    body["event"]["event_type"] = "incident.annotated"
    body["event"]["data"] = {"incident": {"id": "PFQZPSY"}, "content": "note", "type":
                             "incident_note"}
    with pytest.raises(Ignored, match="no incident state"):
        one("pagerduty_webhook", body)
