from __future__ import annotations

from parsers import ReportStatus, Severity
from tests.parsers.support import load, one, run


def test_ok_resolves_and_critical_fires() -> None:
    body = load("riemann", "alerta-riemann")
    assert one("riemann", body).status is ReportStatus.RESOLVED
    body["state"] = "critical"
    report = one("riemann", body)
    assert (report.status, report.severity) == (ReportStatus.FIRING, Severity.HIGH)
    assert report.dedup_key == "hostbob/servicejane"


def test_array_of_events() -> None:
    body = [load("riemann", "alerta-riemann"), dict(load("riemann", "alerta-riemann"),
                                                    host="hostalice")]
    assert [r.resource for r in run("riemann", body)] == ["hostbob", "hostalice"]
