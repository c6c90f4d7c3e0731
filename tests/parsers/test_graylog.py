from __future__ import annotations

import pytest

from parsers import Ignored, Severity
from tests.parsers.support import load, one

EVENT = {
    "event_definition_id": "5d4d7e5c", "event_definition_type": "aggregation-v1",
    "event_definition_title": "Too many failed logins",
    "event_definition_description": "More than 10 failed logins a minute",
    "event": {"id": "01DF", "event_definition_id": "5d4d7e5c", "key": "10.0.0.1",
              "timestamp": "2024-05-01T10:00:00.000Z", "message": "Too many failed logins",
              "source": "graylog-1", "priority": 3, "alert": True,
              "fields": {"src_ip": "10.0.0.1"}},
    "backlog": [],
}


def test_event_notification() -> None:
    report = one("graylog", EVENT)
    assert report.dedup_key == "5d4d7e5c/10.0.0.1"
    assert report.severity is Severity.HIGH
    assert report.labels == {"src_ip": "10.0.0.1"}


def test_notification_test_is_ignored() -> None:
    body = dict(EVENT, event_definition_type="test-dummy-v1")
    with pytest.raises(Ignored):
        one("graylog", body)


def test_legacy_stream_alert() -> None:
    report = one("graylog", load("graylog", "alerta-legacy-stream-alert"))
    assert report.title == "Graylog stream test: message count"
    assert report.dedup_key == "55f1509dbee8e2841898eb64/5e7a9c8d-9bb1-47b6-b8db-4a3a83a25e0c"
