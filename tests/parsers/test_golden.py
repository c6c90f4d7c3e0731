"""Every fixture through its parser, compared with the expected file beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.parsers import golden

# Fixture folder → (parser, integration options). Every folder is listed (a test checks it).
WEBHOOK_PARSERS: dict[str, tuple[str, dict[str, Any]]] = {
    "alertmanager": ("alertmanager", {}),
    "aws-sns": ("sns", {}),
    "azure-monitor": ("azure_monitor", {}),
    "checkmk": ("checkmk", {}),
    "datadog": ("datadog", {}),
    "dynatrace": ("dynatrace", {}),
    "google-cloud-monitoring": ("google_cloud_monitoring", {}),
    "grafana-alerting": ("grafana", {}),
    "grafana-legacy": ("grafana", {}),
    "graylog": ("graylog", {}),
    "icinga2": ("icinga2", {}),
    "kapacitor": ("kapacitor", {}),
    "newrelic": ("newrelic", {}),
    "opsgenie": ("opsgenie", {}),
    "pagerduty-events-v2": ("pagerduty", {}),
    "pagerduty-webhook": ("pagerduty_webhook", {}),
    "pingdom": ("pingdom", {}),
    "riemann": ("riemann", {}),
    "sentry": ("sentry", {}),
    "splunk": ("splunk", {}),
    "uptime-kuma": ("uptime_kuma", {}),
    "uptimerobot": ("uptimerobot", {}),
    "vmware-vrealize": ("vmware_vrealize", {}),
    "zabbix": ("zabbix", {}),
}


def _webhook_cases() -> list[Any]:
    cases = []
    for folder in sorted((FIXTURES / "webhooks").iterdir()):
        for fixture in sorted(folder.glob("*.json")):
            if fixture.name.endswith(".expected.json"):
                continue
            cases.append(pytest.param(fixture, id=f"{folder.name}/{fixture.stem}"))
    return cases


def test_every_fixture_folder_has_a_parser() -> None:
    folders = {path.name for path in (FIXTURES / "webhooks").iterdir() if path.is_dir()}
    assert folders == set(WEBHOOK_PARSERS)


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
