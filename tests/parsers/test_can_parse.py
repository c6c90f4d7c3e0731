"""Each webhook parser recognises the fixtures of its own tool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import parsers
from tests.conftest import FIXTURES
from tests.parsers import golden
from tests.parsers.test_golden import WEBHOOK_PARSERS

NOT_RECOGNISABLE = {
    # Alertmanager-shaped, with none of Grafana's own keys: only the integration
    # type tells it apart from an Alertmanager notification.
    "grafana-alerting/oncall-demo-grouped-firing-3-alerts",
    # A bare alert object without the notification envelope.
    "alertmanager/oncall-legacy-single-alert-kube-job",
}


def _cases() -> list[Any]:
    cases = []
    for folder, (parser, _) in sorted(WEBHOOK_PARSERS.items()):
        for path in sorted((FIXTURES / "webhooks" / folder).glob("*.json")):
            case = f"{folder}/{path.stem}"
            if path.name.endswith(".expected.json") or case in NOT_RECOGNISABLE:
                continue
            cases.append(pytest.param(path, parser, id=case))
    return cases


@pytest.mark.parametrize(("fixture", "parser"), _cases())
def test_parser_recognises_its_fixture(fixture: Path, parser: str) -> None:
    raw = golden.webhook_input(fixture, fixture.parent.name, {})
    assert parsers.get_parser(parser).can_parse(raw)
