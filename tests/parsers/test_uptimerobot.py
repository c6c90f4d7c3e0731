from __future__ import annotations

from parsers import ReportStatus
from tests.parsers.support import load, one


def test_down_and_up_of_one_monitor_share_a_key() -> None:
    down = load("uptimerobot", "zulip-monitor-down")
    up = dict(down, alert_type="2", alert_type_friendly_name="Up")
    fired, resolved = one("uptimerobot", down), one("uptimerobot", up)
    assert fired.dedup_key == resolved.dedup_key == "monitor:server1.example.com"
    assert (fired.status, resolved.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)


def test_monitor_id_wins_and_placeholders_are_dropped() -> None:
    body = dict(load("uptimerobot", "zulip-monitor-down"), monitor_id="777")
    report = one("uptimerobot", body)
    assert report.dedup_key == "monitor:777"
    assert "duration" not in report.details  # "*alertFriendlyDuration*" was never filled in
