from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one, run


def test_mixed_group_is_read_per_alert() -> None:
    reports = run("grafana", load("grafana-alerting", "zulip-grafana9-mixed-firing-resolved"))
    assert [r.status for r in reports] == [
        ReportStatus.RESOLVED, ReportStatus.RESOLVED, ReportStatus.FIRING]
    assert reports[0].ended_at is not None
    assert reports[2].ended_at is None  # Go's zero time is "not ended"
    assert {r.group_key for r in reports} == {'{}/{test="true"}:{}'}


def test_unified_alert_resolves_under_its_firing_fingerprint() -> None:
    body = load("grafana-alerting", "grafana-docs-webhook-grouped-firing")
    firing = run("grafana", body)
    body["status"] = "resolved"
    for alert in body["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2021-10-12T10:00:00Z"
    resolved = run("grafana", body)
    assert [r.dedup_key for r in firing] == [r.dedup_key for r in resolved]
    assert all(r.status is ReportStatus.RESOLVED for r in resolved)


def test_legacy_alerting_and_ok_share_the_rule_key() -> None:
    alerting = one("grafana", load("grafana-legacy", "alerta-alerting"))
    ok = one("grafana", load("grafana-legacy", "alerta-ok"))
    assert alerting.dedup_key == ok.dedup_key == "rule:7"
    assert (alerting.status, ok.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert alerting.title == "Zeta CPU alert"


def test_float_rule_ids_are_read_as_integers() -> None:
    report = one("grafana", load("grafana-legacy", "cloudforet-alerting-korean-message"))
    assert report.dedup_key == "rule:93"


def test_contact_point_test_is_ignored() -> None:
    with pytest.raises(Ignored, match="test"):
        run("grafana", load("grafana-alerting", "keep-grafana12-test-alert"))


def test_relative_generator_url_is_made_absolute() -> None:
    body = load("grafana-alerting", "keep-grafana12-test-alert")
    body["alerts"][0]["labels"]["alertname"] = "DiskFull"  # no longer the test alert
    report = one("grafana", body)
    assert report.url == "https://grafana.example.com/?orgId=1"


def test_legacy_test_notification_is_ignored() -> None:
    body = load("grafana-legacy", "alerta-docs-example")
    body["ruleId"] = 0
    with pytest.raises(Ignored):
        run("grafana", body)


def test_severity_label_and_override() -> None:
    body = load("grafana-legacy", "alerta-grafana6-with-rule-tags")
    assert one("grafana", body).severity is Severity.MEDIUM
    assert one("grafana", body, {"severity_map": {"warning": "high"}}).severity is Severity.HIGH
