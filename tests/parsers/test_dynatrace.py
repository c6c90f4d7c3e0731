from __future__ import annotations

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize("name", ["autoremediation-test-notification",
                                  "keptn-cloudevent-problem-open-test-run"])
def test_test_runs_are_ignored(name: str) -> None:
    with pytest.raises(Ignored, match="test"):
        one("dynatrace", load("dynatrace", name))


def test_open_and_resolved_share_the_pid() -> None:
    body = load("dynatrace", "keptn-cloudevent-problem-resolved")
    resolved = one("dynatrace", body)
    body["data"]["State"] = "OPEN"
    opened = one("dynatrace", body)
    assert opened.dedup_key == resolved.dedup_key == "-6478017825120311599_1641223491837V2"
    assert (opened.status, resolved.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)
    assert resolved.severity is Severity.HIGH  # AVAILABILITY


def test_comma_separated_tags() -> None:
    body = load("dynatrace", "autoremediation-process-crash-open")
    body["Tags"] = "env:prod, CouchDB"
    report = one("dynatrace", body)
    assert report.labels == {"env": "prod"}
    assert report.details["tags"] == "CouchDB"
