"""Every fixture through its parser, compared with the expected file beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.parsers import golden

# Fixture folder → (parser, integration options). Folders not listed have no parser yet.
WEBHOOK_PARSERS: dict[str, tuple[str, dict[str, Any]]] = {
    "alertmanager": ("alertmanager", {}),
    "aws-sns": ("sns", {}),
    "azure-monitor": ("azure_monitor", {}),
    "datadog": ("datadog", {}),
    "google-cloud-monitoring": ("google_cloud_monitoring", {}),
    "grafana-alerting": ("grafana", {}),
    "grafana-legacy": ("grafana", {}),
    "newrelic": ("newrelic", {}),
    "opsgenie": ("opsgenie", {}),
    "pagerduty-events-v2": ("pagerduty", {}),
    "pagerduty-webhook": ("pagerduty_webhook", {}),
    "sentry": ("sentry", {}),
    "uptime-kuma": ("uptime_kuma", {}),
    "zabbix": ("zabbix", {}),
}


def _webhook_cases() -> list[Any]:
    cases = []
    for folder in sorted((FIXTURES / "webhooks").iterdir()):
        for fixture in sorted(folder.glob("*.json")):
            if fixture.name.endswith(".expected.json"):
                continue
            marks = [] if folder.name in WEBHOOK_PARSERS else [
                pytest.mark.skip(reason=f"no parser for {folder.name} yet")]
            cases.append(pytest.param(fixture, id=f"{folder.name}/{fixture.stem}", marks=marks))
    return cases


def _email_cases() -> list[Any]:
    return [pytest.param(path, id=f"{path.parent.name}/{path.stem}")
            for path in sorted((FIXTURES / "email").glob("*/*.eml"))]


@pytest.mark.parametrize("fixture", _webhook_cases())
def test_webhook_fixture(fixture: Path, update_golden: bool) -> None:
    parser, options = WEBHOOK_PARSERS[fixture.parent.name]
    raw = golden.webhook_input(fixture, fixture.parent.name, options)
    golden.check(fixture, golden.outcome(parser, raw), update_golden)


@pytest.mark.parametrize("fixture", _email_cases())
def test_email_fixture(fixture: Path, update_golden: bool) -> None:
    golden.check(fixture, golden.outcome("email", golden.email_input(fixture)), update_golden)
