"""Every secret in the configuration reaches the log redactor, wherever it is configured."""

from __future__ import annotations

from pathlib import Path

from daemon.config import load_config
from daemon.ops.wiring import secret_values

CONFIG = """
[server]
data_dir = "{data}"
[database]
url = "postgresql+asyncpg://incidentd:db-password-1@db.example.org/incidentd"
[notify]
backend = "smtp"
[notify.smtp]
host = "relay.example.org"
username = "incidentd"
password = "relay-password-2"
[metrics]
token = "metrics-token-3"
[[api.tokens]]
name = "admin"
token = "api-token-4"
role = "admin"
[integrations.am]
type = "alertmanager"
token = "webhook-token-5"
[integrations.grafana]
type = "grafana"
username = "grafana"
password = "basic-password-6"
[integrations.sentry]
type = "sentry"
[integrations.sentry.hmac]
preset = "sentry"
secret = "hmac-secret-7"
[integrations.pd]
type = "pagerduty"
routing_key = "routing-key-8-abcdefghijklmnop"
"""


def test_every_kind_of_secret_is_collected(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text(CONFIG.format(data=tmp_path / "data"), encoding="utf-8")
    values = secret_values(load_config(path))
    assert values >= {"db-password-1", "relay-password-2", "metrics-token-3", "api-token-4",
                      "webhook-token-5", "basic-password-6", "hmac-secret-7",
                      "routing-key-8-abcdefghijklmnop"}
    assert "incidentd" not in values  # user names are not secrets
