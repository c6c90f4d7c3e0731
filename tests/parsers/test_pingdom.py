from __future__ import annotations

from parsers import ReportStatus, Severity
from tests.parsers.support import load, one


def test_down_and_up_share_the_check_key() -> None:
    down = one("pingdom", load("pingdom", "alerta-down"))
    up = one("pingdom", load("pingdom", "alerta-up"))
    assert down.dedup_key == up.dedup_key == "check:803318"
    assert (down.status, up.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert down.severity is Severity.HIGH  # importance_level HIGH


def test_without_importance_level_the_state_can_be_mapped() -> None:
    body = load("pingdom", "zulip-http-up-to-down")
    assert one("pingdom", body).severity is None
    body["importance_level"] = "LOW"
    assert one("pingdom", body).severity is Severity.LOW
