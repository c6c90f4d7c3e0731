"""Dedup and group keys chosen by configuration, and each integration's correlation settings.

Pure functions over `Report`s: the parser's keys are kept unless the
integration says otherwise. `dedup_fields` hash chosen report fields into a
dedup key when the payload has none (or always, with
`dedup_fields_override`); `group_by` builds the group key from label values
(Alertmanager's `group_by`), falling back to a few report fields.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from daemon.config import Config
from daemon.config.integrations import GROUP_FIELDS
from parsers import Report

GROUP_KEY_LIMIT = 400  # longer readable keys are hashed (incident.group_key is 1024 wide)


@dataclass(frozen=True, slots=True)
class Correlation:
    """How reports of one integration (or of mail) are deduplicated and grouped."""

    group_window: timedelta
    auto_resolve: bool
    join_by_service: bool
    group_by: tuple[str, ...] = ()
    dedup_fields: tuple[str, ...] = ()
    dedup_fields_override: bool = False


def correlation_for(config: Config, integration: str | None) -> Correlation:
    """The integration's settings, each falling back to `[correlate]`."""
    base = config.correlate
    options = config.integrations.get(integration or "")
    if options is None:  # mail, or an integration removed since the report came in
        return Correlation(base.group_window, base.auto_resolve, base.join_by_service)
    return Correlation(
        group_window=options.group_window or base.group_window,
        auto_resolve=base.auto_resolve if options.auto_resolve is None else options.auto_resolve,
        join_by_service=(base.join_by_service if options.join_by_service is None
                         else options.join_by_service),
        group_by=tuple(base.group_by if options.group_by is None else options.group_by),
        dedup_fields=tuple(options.dedup_fields),
        dedup_fields_override=options.dedup_fields_override,
    )


def field_value(report: Report, path: str) -> str | None:
    """The text of a report field: `title`, `service`, `labels.alertname`, `details.x`."""
    head, _, rest = path.partition(".")
    if head in ("labels", "details") and rest:
        mapping: Mapping[str, str] = getattr(report, head)
        return mapping.get(rest)
    value = getattr(report, head, None)
    return None if value is None else str(value)


def fingerprint(report: Report, fields: Sequence[str]) -> str | None:
    """A stable dedup key from `fields`; None when the report has none of them."""
    values = [(path, field_value(report, path)) for path in fields]
    if all(value is None for _, value in values):
        return None
    canonical = "\x00".join(f"{path}={value or ''}" for path, value in values)
    return "fp:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def group_value(report: Report, name: str) -> str | None:
    """A label value, or for `service`/`resource`/… without such a label, the field."""
    if name in report.labels:
        return report.labels[name]
    if name in GROUP_FIELDS:
        value = getattr(report, name)
        return None if value is None else str(value)
    return None


def group_key(report: Report, names: Sequence[str]) -> str | None:
    """`alertname=X,cluster=Y`: missing labels count as empty; None when all are missing."""
    values = [(name, group_value(report, name)) for name in names]
    if all(value is None for _, value in values):
        return None
    key = ",".join(f"{name}={value or ''}" for name, value in values)
    if len(key) > GROUP_KEY_LIMIT:
        key = "group:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def rekey(report: Report, settings: Correlation) -> Report:
    """The report with the dedup and group keys its integration asks for."""
    dedup, grouped = report.dedup_key, report.group_key
    if settings.dedup_fields and (settings.dedup_fields_override or not report.dedup_key):
        dedup = fingerprint(report, settings.dedup_fields) or dedup
    if settings.group_by:
        grouped = group_key(report, settings.group_by) or grouped
    if (dedup, grouped) == (report.dedup_key, report.group_key):
        return report
    return dataclasses.replace(report, dedup_key=dedup, group_key=grouped)


def rekey_all(config: Config, integration: str | None, reports: Sequence[Report]
              ) -> list[Report]:
    """`rekey` for every report of one intake row (mail is left as it is)."""
    if integration is None:
        return list(reports)
    settings = correlation_for(config, integration)
    if not settings.dedup_fields and not settings.group_by:
        return list(reports)
    return [rekey(report, settings) for report in reports]
