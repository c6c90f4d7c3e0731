from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize(("level", "expected"), [
    ("fatal", Severity.HIGH), ("error", Severity.MEDIUM), ("warning", Severity.LOW),
    ("info", Severity.LOW), ("debug", Severity.LOW),
])
def test_level_table(level: str, expected: Severity) -> None:
    body = load("sentry", "sentry-docs-event-alert-triggered")
    body["data"]["event"]["level"] = level
    assert one("sentry", body).severity is expected


def test_event_alert_is_keyed_by_its_issue() -> None:
    report = one("sentry", load("sentry", "sentry-docs-event-alert-triggered"))
    assert report.dedup_key == "issue:1117540176"
    assert report.service == "front-end"
    assert report.event == "Very Important Alert Rule!"


def test_metric_alert_critical_then_resolved() -> None:
    body = load("sentry", "sentry-docs-metric-alert-resolved")
    resolved = one("sentry", body)
    body["action"] = "critical"
    critical = one("sentry", body)
    assert critical.dedup_key == resolved.dedup_key == "metric-alert:4"
    assert (critical.status, critical.severity) == (ReportStatus.FIRING, Severity.HIGH)
    assert resolved.status is ReportStatus.RESOLVED


def test_issue_webhook_shares_the_event_alert_key() -> None:
    issue = {"action": "resolved", "installation": {"uuid": "x"},
             "data": {"issue": {"id": "1117540176", "title": "ReferenceError: heck is not "
                                "defined", "level": "error", "culprit": "?(<anonymous>)"}}}
    report = one("sentry", issue, headers={"Sentry-Hook-Resource": "issue"})
    assert report.dedup_key == "issue:1117540176"
    assert report.status is ReportStatus.RESOLVED
    issue["action"] = "ignored"
    with pytest.raises(Ignored):
        one("sentry", issue)


def test_installation_webhook_is_ignored() -> None:
    body = {"action": "created", "installation": {"uuid": "x"}, "data": {"installation": {}}}
    with pytest.raises(Ignored):
        one("sentry", body, headers={"Sentry-Hook-Resource": "installation"})


@pytest.mark.parametrize("name", ["alerta-legacy-plugin-webhook-v8",
                                  "alerta-legacy-plugin-webhook-v9"])
def test_legacy_plugin_sample_event_is_ignored(name: str) -> None:
    with pytest.raises(Ignored, match="test"):
        one("sentry", load("sentry", name))


def test_legacy_plugin_real_issue() -> None:
    body = load("sentry", "alerta-legacy-plugin-webhook-v9")
    body["message"] = body["event"]["title"] = "KeyError: 'user'"
    body["culprit"] = "app.views in login"
    report = one("sentry", body)
    assert report.title == "KeyError: 'user'"
    assert report.dedup_key == "issue:5"
    assert report.severity is Severity.MEDIUM
    assert report.service == "internal"
