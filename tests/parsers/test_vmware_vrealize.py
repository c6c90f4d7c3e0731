from __future__ import annotations

import pytest

from parsers import ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize(("level", "expected"), [
    ("CRITICAL", Severity.HIGH), ("IMMEDIATE", Severity.HIGH), ("WARNING", Severity.MEDIUM),
    ("INFO", Severity.LOW),
])
def test_criticality(level: str, expected: Severity) -> None:
    body = load("vmware-vrealize", "alerta-vrealize-alert")
    body["criticality"] = f"ALERT_CRITICALITY_LEVEL_{level}"
    assert one("vmware_vrealize", body).severity is expected


def test_active_and_canceled_share_the_alert_id() -> None:
    body = load("vmware-vrealize", "alerta-vrealize-alert")
    active = one("vmware_vrealize", body)
    body["status"] = "CANCELED"
    canceled = one("vmware_vrealize", body)
    assert active.dedup_key == canceled.dedup_key == "sample-alert-uuid"
    assert canceled.status is ReportStatus.RESOLVED
    assert active.title == "Availability problem on sample-object-name"
