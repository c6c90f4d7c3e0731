"""Configuration: one TOML file, validated once at start, passed explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from daemon.config.schema import (
    EXAMPLE_TOKEN_PREFIX,
    ApiToken,
    Config,
    IntegrationConfig,
    NotifyConfig,
)
from daemon.config.types import read_toml, split_hostport
from daemon.triage.rulesfile import RulesFileError, include_rules_file

__all__ = [
    "EXAMPLE_TOKEN_PREFIX",
    "ApiToken",
    "Config",
    "ConfigError",
    "IntegrationConfig",
    "NotifyConfig",
    "load_config",
    "split_hostport",
]

ENV_CONFIG = "INCIDENTD_CONFIG"
ENV_DATA_DIR = "INCIDENTD_DATA_DIR"


class ConfigError(Exception):
    """The configuration cannot be used; the message names each bad key's path."""


def load_config(
    path: Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read, merge overrides into and validate the configuration.

    `path` falls back to `$INCIDENTD_CONFIG`; without either, the embedded
    defaults apply. `overrides` maps dotted keys (`server.http`) to values and
    wins over the file; `$INCIDENTD_DATA_DIR` stands in for `server.data_dir`.
    """
    if path is None and os.environ.get(ENV_CONFIG):
        path = Path(os.environ[ENV_CONFIG])
    data: dict[str, Any] = {}
    if path is not None:
        data = read_toml(path, "configuration file", ConfigError)
    merged = dict(overrides or {})
    if ENV_DATA_DIR in os.environ and "server.data_dir" not in merged:
        merged["server.data_dir"] = os.environ[ENV_DATA_DIR]
    for dotted, value in merged.items():
        if value is not None:
            _set_dotted(data, dotted, value)
    try:
        include_rules_file(data, path.parent if path is not None else None)
    except RulesFileError as exc:
        raise ConfigError(str(exc)) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, path)) from None


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def format_errors(exc: ValidationError, path: Path | None) -> str:
    """One line per problem: `file: key.path: what is wrong`."""
    prefix = f"{path}: " if path else ""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (misspelt, or in the wrong table?)"
        lines.append(f"{prefix}{where}: {message}")
    return "\n".join(lines)
