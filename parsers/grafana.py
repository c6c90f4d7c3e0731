"""Grafana webhook contact points: unified alerting (Grafana 8+) and legacy alerting (pre-8).

Unified alerting posts an Alertmanager-shaped group (`alerts`, `groupKey`,
`commonLabels`, plus Grafana's `orgId`, `title`, `state`, `message`, per-alert
`values`/`valueString`, `silenceURL`, `dashboardURL`, `panelURL`). One report per
alert; the status is read per alert because a group mixes firing and resolved
alerts. The alert `fingerprint` is the dedup key and `groupKey` the group key.
Grafana's contact-point test sends an alert labelled `alertname=TestAlert,
instance=Grafana`; a notification holding only such alerts is ignored.

Legacy alerting posts one object per rule (`ruleId`, `ruleName`, `state`,
`evalMatches`, `tags`). It becomes one report keyed `rule:<ruleId>`, so the
`ok` notification resolves what `alerting` opened. Grafana's legacy test
notification uses `ruleId` 0 and is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    first_text,
    load_object,
    map_severity,
    one_line,
    parse_time,
    short_hash,
    string_map,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus

NAME: Final = "grafana"

_UNIFIED_STATUS: Final = {"firing": ReportStatus.FIRING, "resolved": ReportStatus.RESOLVED}
# Legacy rule states. `alert` is not a documented state but appears in the wild (it
# means alerting); `pending` precedes `alerting` and is only sent by some versions.
_LEGACY_STATUS: Final = {
    "alerting": ReportStatus.FIRING, "alert": ReportStatus.FIRING,
    "no_data": ReportStatus.FIRING, "pending": ReportStatus.FIRING,
    "ok": ReportStatus.RESOLVED,
}
_SEVERITY_KEYS: Final = ("severity", "priority", "level")


def can_parse(raw: RawInput) -> bool:
    """Unified: an `alerts` array with Grafana keys; legacy: `ruleId`/`evalMatches`."""
    body = raw.body
    if b'"alerts"' in body and (b'"orgId"' in body or b'"silenceURL"' in body
                                or b'"valueString"' in body or b'"grafana_folder"' in body):
        return True
    return b'"ruleId"' in body or b'"evalMatches"' in body


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Grafana notification")
    if "alerts" in body:
        return _unified(raw, body)
    if "state" in body and ("ruleId" in body or "ruleName" in body or "evalMatches" in body):
        return [_legacy(raw, body)]
    raise ParseError("neither a unified alerting notification ('alerts' array) nor a legacy "
                     "one ('ruleId', 'state')")


# --- unified alerting ---------------------------------------------------------------------

def _unified(raw: RawInput, body: Mapping[str, Any]) -> list[Report]:
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise ParseError("'alerts' is not a non-empty array")
    for index, alert in enumerate(alerts):
        if not isinstance(alert, Mapping):
            raise ParseError(f"alerts[{index}] is not an object")
    if all(_is_test_alert(alert) for alert in alerts):
        raise Ignored("Grafana contact point test notification",
                      {"receiver": text(body.get("receiver")) or "",
                       "groupKey": text(body.get("groupKey")) or ""})
    group_status = (text(body.get("status")) or "firing").lower()
    group_key = text(body.get("groupKey"))
    external_url = text(body.get("externalURL"))
    org_id = _int_text(body.get("orgId"))
    return [_unified_alert(raw, alert, index, group_status, group_key, external_url, org_id)
            for index, alert in enumerate(alerts)]


def _is_test_alert(alert: Mapping[str, Any]) -> bool:
    labels = string_map(alert.get("labels"))
    return labels.get("alertname") == "TestAlert" and labels.get("instance") == "Grafana"


def _unified_alert(
    raw: RawInput,
    alert: Mapping[str, Any],
    index: int,
    group_status: str,
    group_key: str | None,
    external_url: str | None,
    org_id: str | None,
) -> Report:
    labels = string_map(alert.get("labels"))
    annotations = string_map(alert.get("annotations"))
    word = (text(alert.get("status")) or group_status).lower()
    status = _UNIFIED_STATUS.get(word)
    if status is None:
        raise ParseError(f"alerts[{index}]: unknown status {word!r}")
    alertname = labels.get("alertname")
    title = one_line(first_text(annotations.get("summary"), annotations.get("title"), alertname,
                                annotations.get("description"))) or "Grafana alert"
    raw_severity = next((labels[k] for k in _SEVERITY_KEYS if labels.get(k)), None)
    fingerprint = text(alert.get("fingerprint")) or short_hash(*sorted(labels.items()))
    details = dict(annotations)
    for key in ("valueString", "silenceURL", "dashboardURL", "panelURL"):
        value = text(alert.get(key))
        if value is not None:
            details[key] = value
    values = alert.get("values")
    if isinstance(values, Mapping):
        details.update({f"value.{k}": v for k, v in string_map(values).items()})
    if org_id is not None:
        details["orgId"] = org_id
    ends_at = parse_time(alert.get("endsAt"))
    return Report(
        source=NAME,
        title=title,
        description=annotations.get("description") or annotations.get("message") or "",
        status=status,
        severity=map_severity(raw_severity, raw.options),
        raw_severity=raw_severity,
        occurred_at=parse_time(alert.get("startsAt")) or raw.received_at,
        ended_at=ends_at if status is ReportStatus.RESOLVED else None,
        dedup_key=fingerprint,
        group_key=group_key or fingerprint,
        service=labels.get("service") or labels.get("job"),
        resource=labels.get("instance") or labels.get("host") or labels.get("pod"),
        event=alertname,
        environment=labels.get("env") or labels.get("environment"),
        url=_absolute(text(alert.get("generatorURL")), external_url),
        labels=labels,
        details=details,
    )


def _absolute(url: str | None, base: str | None) -> str | None:
    """Grafana sends a relative generatorURL (`?orgId=1`) for some alerts."""
    if url is None or url.startswith(("http://", "https://")):
        return url
    if base is None:
        return url
    return base.rstrip("/") + "/" + url.lstrip("/")


# --- legacy alerting ----------------------------------------------------------------------

def _legacy(raw: RawInput, body: Mapping[str, Any]) -> Report:
    rule_id = _int_text(body.get("ruleId"))
    rule_name = text(body.get("ruleName"))
    if rule_id == "0":
        raise Ignored("Grafana legacy test notification",
                      {"title": text(body.get("title")) or ""})
    word = (text(body.get("state")) or "").lower()
    if word == "paused":
        raise Ignored("Grafana legacy rule paused", {"ruleId": rule_id or ""})
    status = _LEGACY_STATUS.get(word)
    if status is None:
        raise ParseError(f"unknown legacy alert state {word!r}")
    tags = string_map(body.get("tags"))
    labels = dict(tags)
    matches = body.get("evalMatches")
    details: dict[str, str] = {"state": word}
    if isinstance(matches, list):
        for index, match in enumerate(matches):
            if not isinstance(match, Mapping):
                continue
            metric = text(match.get("metric")) or f"match{index}"
            value = text(match.get("value"))
            if value is not None:
                details[f"match.{index}.{metric}"] = value
            for key, item in string_map(match.get("tags")).items():
                if len(matches) == 1:  # one series: its tags describe the alert
                    labels.setdefault(key, item)
                else:
                    details[f"match.{index}.tags.{key}"] = item
    for key in ("imageUrl", "dashboardId", "panelId", "orgId"):
        value = _int_text(body.get(key))
        if value is not None:
            details[key] = value
    title = one_line(first_text(rule_name, _strip_state(text(body.get("title"))))) \
        or "Grafana alert"
    raw_severity = next((tags[k] for k in _SEVERITY_KEYS if tags.get(k)), None)
    dedup = f"rule:{rule_id}" if rule_id is not None else f"rule:{rule_name or title}"
    return Report(
        source=NAME,
        title=title,
        description=text(body.get("message")) or "",
        status=status,
        severity=map_severity(raw_severity, raw.options),
        raw_severity=raw_severity,
        occurred_at=raw.received_at,  # legacy notifications carry no time
        dedup_key=dedup,
        service=tags.get("service"),
        resource=labels.get("instance") or labels.get("host"),
        event=rule_name,
        environment=tags.get("environment") or tags.get("env"),
        url=text(body.get("ruleUrl")),
        labels=labels,
        details=details,
    )


def _strip_state(title: str | None) -> str | None:
    """`[Alerting] CPU alert` → `CPU alert`."""
    if title and title.startswith("[") and "] " in title:
        return title.split("] ", 1)[1]
    return title


def _int_text(value: Any) -> str | None:
    """Ids that went through a float round-trip (`93.0`) back to `93`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value)
