"""Azure Monitor action-group webhooks.

Recognised shapes:

- the common alert schema (`schemaId: azureMonitorCommonAlertSchema`), which
  the action group should use: `essentials` (alertId, alertRule, severity
  Sev0–Sev4, monitorCondition Fired/Resolved, firedDateTime, resolvedDateTime,
  configurationItems, alertTargetIDs) plus a signal-specific `alertContext`.
  The dedup key is `essentials.alertId`, which Azure keeps from Fired to
  Resolved. Activity-log alerts fire once per event; for Service Health and
  Resource Health they track one issue over several events, so those are keyed
  by the Service Health `trackingId` and by the resource, and resolve when the
  issue's stage is Resolved (or the resource is Available again).
- the older metric alert schema (`schemaId: AzureMonitorMetricAlert`) and the
  classic (pre-2018) alert body (`status` + `context`): Activated fires,
  Deactivated/Resolved resolves; keyed by the rule id, the resource id and the
  metric dimensions, lower-cased (Azure resource ids ignore case).
- the budget notification (`schemaId: AIP Budget Notification`) that can reach
  the same action group: one firing report per budget, threshold and period.

Other schema ids are quarantined with a hint to enable the common alert schema.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    as_object,
    dig,
    first_text,
    flatten,
    join_texts,
    load_object,
    map_severity,
    one_line,
    pairs_map,
    parse_time,
    text,
)
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "azure_monitor"

# Azure's levels: Sev0 critical, Sev1 error, Sev2 warning, Sev3 informational, Sev4 verbose.
SEVERITIES: Final[Mapping[str, Severity]] = {
    "sev0": Severity.HIGH, "sev1": Severity.HIGH, "sev2": Severity.MEDIUM,
    "sev3": Severity.LOW, "sev4": Severity.LOW,
    "0": Severity.HIGH, "1": Severity.HIGH, "2": Severity.MEDIUM,
    "3": Severity.LOW, "4": Severity.LOW,
}
_CONDITION: Final = {"fired": ReportStatus.FIRING, "resolved": ReportStatus.RESOLVED}
_OLD_STATUS: Final = {
    "activated": ReportStatus.FIRING, "fired": ReportStatus.FIRING,
    "deactivated": ReportStatus.RESOLVED, "resolved": ReportStatus.RESOLVED,
}
# Service Health stages after which the issue is over.
_HEALTH_OVER: Final = ("resolved", "complete", "rca", "canceled", "cancelled")
COMMON_SCHEMA: Final = "azureMonitorCommonAlertSchema"
_BREAKS = re.compile(r"<\s*(br|/p|/tr|/li|/h\d)\s*/?>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\b")


def can_parse(raw: RawInput) -> bool:
    """Azure bodies name a `schemaId`, or are classic alerts with `context.conditionType`."""
    body = raw.body
    return b'"schemaId"' in body or (b'"context"' in body and b'"conditionType"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Azure Monitor notification")
    schema = text(body.get("schemaId"))
    data = body.get("data")
    if schema is None:
        if isinstance(body.get("context"), Mapping) and "status" in body:
            return [_old_alert(raw, body, "classic")]
        raise ParseError("no 'schemaId' and not a classic alert ('status' + 'context')")
    if not isinstance(data, Mapping):
        raise ParseError(f"schemaId {schema!r} without a 'data' object")
    if schema == COMMON_SCHEMA:
        return [_common(raw, data)]
    if schema == "AzureMonitorMetricAlert":
        return [_old_alert(raw, data, "metric alert")]
    if schema == "AIP Budget Notification":
        return [_budget(raw, data)]
    raise ParseError(f"unsupported schemaId {schema!r}; enable the common alert schema on "
                     "the action group's webhook")


# --- common alert schema ------------------------------------------------------------------

def _common(raw: RawInput, data: Mapping[str, Any]) -> Report:
    essentials = data.get("essentials")
    if not isinstance(essentials, Mapping):
        raise ParseError("common alert schema without an 'essentials' object")
    context = as_object(data.get("alertContext"))
    alert_id = text(essentials.get("alertId"))
    rule = text(essentials.get("alertRule"))
    if alert_id is None or rule is None:
        raise ParseError("essentials lack 'alertId' or 'alertRule'")
    word = (text(essentials.get("monitorCondition")) or "").lower()
    status = _CONDITION.get(word)
    if status is None:
        raise ParseError(f"unknown monitorCondition {word!r}")
    service_name = text(essentials.get("monitoringService"))
    properties = as_object(context.get("properties"))
    targets = (join_texts(essentials.get("alertTargetIDs"), "\n") or "").splitlines()
    items = (join_texts(essentials.get("configurationItems"), "\n") or "").splitlines()
    dedup = alert_id
    title = one_line(rule) or rule
    description = text(essentials.get("description")) or ""
    service = None
    mitigated = None
    details: dict[str, str] = {
        key: value for key in ("originAlertId", "signalType", "monitoringService",
                               "alertTargetIDs")
        if (value := _joined(essentials.get(key))) is not None
    }
    if service_name == "ServiceHealth":
        tracking = text(properties.get("trackingId"))
        if tracking:
            dedup = f"service-health:{tracking}"
        stage = (text(properties.get("stage")) or "").lower()
        if stage in _HEALTH_OVER:
            status = ReportStatus.RESOLVED
        title = one_line(first_text(properties.get("title"), rule)) or title
        description = _html_text(first_text(properties.get("communication"))) or description
        mitigated = parse_time(properties.get("impactMitigationTime"))
        service = text(properties.get("service"))
        for key in ("trackingId", "incidentType", "stage", "region", "impactStartTime",
                    "impactMitigationTime", "IsSynthetic"):
            value = text(properties.get(key))
            if value is not None:
                details[key] = value
    elif service_name == "Resource Health":
        target = targets[0] if targets else None
        if target:
            dedup = f"resource-health:{target.lower()}"
        health = text(properties.get("currentHealthStatus"))
        if health and health.lower() == "available":
            status = ReportStatus.RESOLVED
        for key in ("currentHealthStatus", "previousHealthStatus", "cause", "type"):
            value = text(properties.get(key))
            if value is not None:
                details[key] = value
    else:
        for key in ("operationName", "caller", "status", "eventSource", "level",
                    "correlationId"):
            value = text(context.get(key))
            if value is not None:
                details[key] = value
    criteria = _criteria(context)
    labels = dict(_dimensions(criteria))
    labels.update(flatten(data.get("customProperties")))
    if text(essentials.get("signalType")) == "Activity Log":
        # Here `properties` describe the logged event, not the rule's custom properties.
        if service_name not in ("ServiceHealth", "Resource Health"):
            details.update(flatten(properties, "properties"))
    else:
        labels.update(flatten(properties))
    details.update(_criterion_details(criteria))
    raw_severity = text(essentials.get("severity"))
    fired = parse_time(essentials.get("firedDateTime"))
    resolved = parse_time(essentials.get("resolvedDateTime"))
    return Report(
        source=NAME,
        title=title,
        description=description,
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=fired or raw.received_at,
        ended_at=(resolved or mitigated or raw.received_at) if status is ReportStatus.RESOLVED
        else None,
        dedup_key=dedup,
        service=service,
        resource=", ".join(items) or (_last_segment(targets[0]) if targets else None),
        event=rule,
        url=first_text(dig(criteria, "0.linkToFilteredSearchResultsUI"),
                       dig(criteria, "0.linkToSearchResultsUI")),
        labels=labels,
        details=details,
    )


def _criteria(context: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = dig(context, "condition.allOf")
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, Mapping)]


def _dimensions(criteria: list[Mapping[str, Any]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for criterion in criteria:
        for key, value in pairs_map(criterion.get("dimensions")).items():
            result.setdefault(key, value)
    return result


def _criterion_details(criteria: list[Mapping[str, Any]]) -> dict[str, str]:
    details: dict[str, str] = {}
    for index, criterion in enumerate(criteria):
        prefix = "criterion" if len(criteria) == 1 else f"criterion.{index}"
        for key in ("metricName", "metricNamespace", "searchQuery", "operator", "threshold",
                    "timeAggregation", "metricValue"):
            value = text(criterion.get(key))
            if value is not None:
                details[f"{prefix}.{key}"] = value
    return details


# --- older metric alerts and classic alerts -----------------------------------------------

def _old_alert(raw: RawInput, data: Mapping[str, Any], kind: str) -> Report:
    context = data.get("context")
    if not isinstance(context, Mapping):
        raise ParseError(f"{kind} without a 'context' object")
    word = (text(data.get("status")) or "").lower()
    status = _OLD_STATUS.get(word)
    if status is None:
        raise ParseError(f"unknown {kind} status {word!r}")
    name = text(context.get("name"))
    rule_id = text(context.get("id"))
    if name is None and rule_id is None:
        raise ParseError(f"{kind} context has neither 'name' nor 'id'")
    condition = as_object(context.get("condition"))
    criteria = [item for item in condition.get("allOf") or [] if isinstance(item, Mapping)] \
        if isinstance(condition.get("allOf"), list) else [condition]
    dimensions = _dimensions(criteria)
    resource_id = text(context.get("resourceId"))
    key_parts = [rule_id or name, resource_id]
    key_parts += [f"{k}={v}" for k, v in sorted(dimensions.items())]
    labels = dict(dimensions)
    labels.update(flatten(data.get("properties")))
    details = _criterion_details(criteria)
    for key in ("conditionType", "resourceType", "resourceGroupName", "subscriptionId",
                "resourceRegion"):
        value = text(context.get(key))
        if value is not None:
            details[key] = value
    raw_severity = text(context.get("severity"))
    when = parse_time(context.get("timestamp"))
    title = one_line(name) or one_line(rule_id) or "Azure Monitor alert"
    return Report(
        source=NAME,
        title=title,
        description=text(context.get("description")) or "",
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=when or raw.received_at,
        ended_at=(when or raw.received_at) if status is ReportStatus.RESOLVED else None,
        dedup_key="|".join(part for part in key_parts if part).lower(),
        resource=text(context.get("resourceName")),
        event=name,
        url=text(context.get("portalLink")),
        labels=labels,
        details=details,
    )


# --- budget -------------------------------------------------------------------------------

def _budget(raw: RawInput, data: Mapping[str, Any]) -> Report:
    name = text(data.get("BudgetName"))
    if name is None:
        raise ParseError("budget notification without 'BudgetName'")
    unit = text(data.get("Unit")) or ""
    spent = text(data.get("SpendingAmount"))
    budget = text(data.get("Budget"))
    threshold = text(data.get("NotificationThresholdAmount"))
    scope = first_text(data.get("ResourceGroup"), data.get("SubscriptionName"),
                       data.get("SubscriptionId"))
    details = {str(key): value for key, item in data.items() if (value := text(item))}
    description = f"Spending {spent} {unit} of a {budget} {unit} budget" \
        f" (notification threshold {threshold} {unit})".replace("  ", " ")
    return Report(
        source=NAME,
        title=one_line(f"Budget {name} reached its {threshold} {unit} notification threshold"
                       .replace("  ", " ")) or name,
        description=description,
        occurred_at=raw.received_at,
        dedup_key="budget|" + "|".join(
            part for part in (text(data.get("SubscriptionId")), scope, name, threshold,
                              _budget_period(data.get("BudgetStartDate"))) if part).lower(),
        resource=scope,
        event="budget",
        details=details,
    )


def _budget_period(value: Any) -> str | None:
    """`11/17/2021 5:40:29 PM -08:00` → `2021-11-17`: the period the threshold applies to."""
    as_text = text(value)
    if as_text is None:
        return None
    match = _US_DATE.match(as_text)
    if match:
        month, day, year = (int(part) for part in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    parsed = parse_time(as_text)
    return parsed.date().isoformat() if parsed else as_text


# --- helpers ------------------------------------------------------------------------------

def _html_text(value: str | None) -> str | None:
    """Service Health communications are HTML: keep the text and the paragraph breaks."""
    if value is None:
        return None
    spaced = _BREAKS.sub("\n", value)
    plain = html.unescape(_TAGS.sub("", spaced)).replace("\xa0", " ")
    lines = [line.strip() for line in plain.splitlines()]
    return "\n".join(line for line in lines if line) or None


def _joined(value: Any) -> str | None:
    if isinstance(value, list):
        return join_texts(value)
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True)
    return text(value)


def _last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]
