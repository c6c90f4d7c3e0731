"""Parsers: pure functions from raw intake bytes to neutral `Report`s.

Each module in this package has the same three members::

    NAME: Final = "<file stem>"
    def can_parse(raw: RawInput) -> bool: ...
    def parse(raw: RawInput) -> list[Report]: ...   # raises ParseError or Ignored

The registry below is explicit on purpose: a test checks that every module is
listed, that `NAME` equals the file stem and that no name repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from types import MappingProxyType
from typing import Protocol

from parsers.report import (
    Attachment,
    Channel,
    EmailInfo,
    Ignored,
    Level,
    ParseError,
    RawInput,
    Report,
    ReportStatus,
    Severity,
)

__all__ = [
    "REGISTRY",
    "Attachment",
    "Channel",
    "EmailInfo",
    "Ignored",
    "Level",
    "ParseError",
    "ParserModule",
    "RawInput",
    "Report",
    "ReportStatus",
    "Severity",
    "get_parser",
    "parse",
]


class ParserModule(Protocol):
    """The shape of a parser module."""

    NAME: str

    def can_parse(self, raw: RawInput) -> bool:
        """Cheaply tell whether `raw` looks like this parser's input."""

    def parse(self, raw: RawInput) -> list[Report]:
        """Turn `raw` into reports, or raise `ParseError` / `Ignored`."""


def _build(*modules: ParserModule) -> Mapping[str, ParserModule]:
    registry: dict[str, ParserModule] = {}
    for module in modules:
        if module.NAME in registry:
            raise RuntimeError(f"duplicate parser name {module.NAME!r}")
        registry[module.NAME] = module
    return MappingProxyType(registry)


# Every parser module, listed once: a test checks this against the files.
PARSER_MODULES = (
    "alertmanager",
    "azure_monitor",
    "checkmk",
    "datadog",
    "dynatrace",
    "email",
    "generic",
    "google_cloud_monitoring",
    "grafana",
    "graylog",
    "icinga2",
    "kapacitor",
    "newrelic",
    "opsgenie",
    "pagerduty",
    "pagerduty_webhook",
    "pingdom",
    "riemann",
    "sentry",
    "sns",
    "splunk",
    "uptime_kuma",
    "uptimerobot",
    "vmware_vrealize",
    "zabbix",
)

REGISTRY: Mapping[str, ParserModule] = _build(
    *(import_module(f"parsers.{name}") for name in PARSER_MODULES))


def get_parser(name: str) -> ParserModule:
    """Return the parser called `name`; `KeyError` names the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown parser {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def parse(name: str, raw: RawInput) -> list[Report]:
    """Run parser `name` on `raw`; an empty result is a `ParseError`."""
    reports = get_parser(name).parse(raw)
    if not reports:
        raise ParseError(f"{name}: the payload holds no report")
    return reports
