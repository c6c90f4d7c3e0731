from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


def test_down_and_up_share_the_monitor_key() -> None:
    down = one("uptime_kuma", load("uptime-kuma", "uptime-kuma-down-compact"))
    up = one("uptime_kuma", load("uptime-kuma", "uptime-kuma-up"))
    assert down.dedup_key == up.dedup_key == "monitor:89"
    assert (down.status, up.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert down.title == "test is down"
    assert down.occurred_at.isoformat() == "2023-07-31T18:56:15.374000+00:00"  # UTC


def test_down_maps_through_the_severity_option() -> None:
    body = load("uptime-kuma", "uptime-kuma-down-dns")
    assert one("uptime_kuma", body).severity is None
    assert one("uptime_kuma", body, {"severity_map": {"down": "high"}}).severity \
        is Severity.HIGH


def test_test_button_is_ignored() -> None:
    with pytest.raises(Ignored, match="test"):
        one("uptime_kuma", {"heartbeat": None, "monitor": None, "msg": "Kuma Testing"})


def test_maintenance_is_ignored() -> None:
    body = load("uptime-kuma", "uptime-kuma-up")
    body["heartbeat"]["status"] = 3
    with pytest.raises(Ignored, match="maintenance"):
        one("uptime_kuma", body)


def test_certificate_notice_has_its_own_key() -> None:
    body = load("uptime-kuma", "uptime-kuma-up")
    body["heartbeat"] = None
    body["msg"] = "[test][https://example.com] Certificate will expire in 7 days"
    report = one("uptime_kuma", body)
    assert report.dedup_key == "monitor:89/certificate"
    assert report.status is ReportStatus.FIRING
