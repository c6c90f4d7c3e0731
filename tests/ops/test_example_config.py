"""The example configuration documents the operations tables with their defaults."""

from __future__ import annotations

import tomllib

from daemon.config import Config, load_config
from daemon.config.ops import HealthConfig, LoggingConfig, MetricsConfig, RetentionConfig
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "incidentd.toml"


def test_every_operations_key_is_in_the_example_with_its_default() -> None:
    data = tomllib.loads(EXAMPLE.read_text())
    text = EXAMPLE.read_text()
    defaults = Config()
    for table, model in (("logging", LoggingConfig), ("metrics", MetricsConfig),
                         ("health", HealthConfig), ("retention", RetentionConfig)):
        for key in model.model_fields:
            assert key in data[table] or f"# {key} =" in text, f"[{table}] {key}"
        example = getattr(load_config(EXAMPLE), table)
        assert example == getattr(defaults, table), table
