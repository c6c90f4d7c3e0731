from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize(("priority", "expected"), [
    ("P1", Severity.HIGH), ("P2", Severity.HIGH), ("P3", Severity.MEDIUM),
    ("P4", Severity.LOW), ("P5", Severity.LOW), (1, Severity.HIGH), (3, Severity.MEDIUM),
])
def test_priorities(priority: str | int, expected: Severity) -> None:
    body = load("opsgenie", "zulip-create")
    body["alert"]["priority"] = priority
    assert one("opsgenie", body).severity is expected


def test_create_acknowledge_close_share_the_alert_id() -> None:
    body = load("opsgenie", "zulip-create")
    statuses = []
    for action in ("Create", "Acknowledge", "Close"):
        body["action"] = action
        report = one("opsgenie", body)
        assert report.dedup_key == "ec03dad6-62c8-4c94-b38b-d88f398e900f"
        statuses.append(report.status)
    assert statuses == [ReportStatus.FIRING, ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED]


def test_nanosecond_update_time_is_read() -> None:
    report = one("opsgenie", load("opsgenie", "zulip-close"))
    assert report.ended_at is not None
    assert report.ended_at.year == 2015


def test_note_is_ignored() -> None:
    body = load("opsgenie", "zulip-create")
    body["action"] = "AddNote"
    with pytest.raises(Ignored, match="AddNote"):
        one("opsgenie", body)
