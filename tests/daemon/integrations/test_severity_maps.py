"""Every parser's severity table is documented, and an integration's severity_map overrides it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import parsers
from parsers import Severity
from parsers._common import COMMON_SEVERITIES
from tests.conftest import FIXTURES, ROOT
from tests.daemon.integrations.support import configured, drained, post, reports
from tests.support import running_daemon

DOCS = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
WEBHOOKS = FIXTURES / "webhooks"


SECTION = re.compile(r'^## [^\n]*`type = "(\w+)"`[^\n]*$(.*?)(?=^## |\Z)', re.M | re.S)


def sections() -> dict[str, str]:
    found = {}
    for match in SECTION.finditer(DOCS):
        found[match.group(1)] = match.group(2).lower()
    return found


def tables(module: object) -> list[Mapping[str, Severity]]:
    return [value for value in vars(module).values()
            if isinstance(value, Mapping) and value
            and all(isinstance(v, Severity) for v in value.values())]


def test_every_parser_and_its_severity_words_are_documented() -> None:
    documented = sections()
    for name, module in parsers.REGISTRY.items():
        if name == "email":
            continue
        assert name in documented, f"docs/integrations.md has no section for type {name!r}"
        words = [word for table in tables(module) for word in table]
        missing = [word for word in words if word.lower() not in documented[name]]
        assert not missing, f"{name}: severity words not in its section: {missing}"
    shared = DOCS[DOCS.index("## Severity"):DOCS.index("## Amazon SNS subscriptions")]
    assert [w for w in COMMON_SEVERITIES if w not in shared.lower()] == []


# (fixture, integration type, severity_map, severity without it, severity with it)
CASES = [
    ("alertmanager/alertmonitor-grouped-firing-3-alerts.json", "alertmanager",
     {"major": "low"}, "high", "low"),
    ("zabbix/zulip-problem.json", "zabbix", {"average": "high"}, "medium", "high"),
    ("datadog/keep-log-alert-triggered.json", "datadog", {"ERROR": "low"}, "high", "low"),
    ("sentry/sentry-docs-event-alert-triggered.json", "sentry", {"error": "high"}, "medium",
     "high"),
    ("aws-sns/alerta-cloudwatch-alarm-notification.json", "sns", {"ALARM": "high"}, None,
     "high"),
    ("uptime-kuma/uptime-kuma-down-dns.json", "uptime_kuma", {"down": "high"}, None, "high"),
]


async def test_severity_map_overrides_the_parsers_table(tmp_path: Path) -> None:
    integrations = {}
    for index, (_, kind, mapping, _, _) in enumerate(CASES):
        integrations[f"plain{index}"] = {"type": kind, "token": "t0ken"}
        integrations[f"mapped{index}"] = {"type": kind, "token": "t0ken",
                                          "severity_map": mapping}
    config = await configured(tmp_path, None, integrations)
    async with running_daemon(config) as daemon:
        posted = []
        for index, (fixture, *_rest) in enumerate(CASES):
            for prefix in ("plain", "mapped"):
                status, answer, _ = await post(
                    daemon, f"/api/v1/webhooks/{prefix}{index}", (WEBHOOKS / fixture).read_bytes(),
                    {"Authorization": "Bearer t0ken"})
                assert status == 202
                posted.append((index, prefix, answer["intake_id"]))
        await drained(daemon)
        for index, prefix, intake_id in posted:
            fixture, _, _, before, after = CASES[index]
            severities = {r.data["severity"] for r in await reports(daemon, intake_id)}
            assert severities == {before if prefix == "plain" else after}, (fixture, prefix)
