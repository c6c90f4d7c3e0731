"""Sentry webhooks: integration-platform alerts and issues, and the legacy WebHooks plugin.

Integration platform (internal integration, header `Sentry-Hook-Resource`; the
shape is recognised without it too):

- `event_alert` (issue alert rule fired, `data.event`): firing; keyed
  `issue:<issue_id>` so every alert on one Sentry issue updates one alert here.
- `metric_alert` (`data.metric_alert`, action critical / warning / resolved):
  keyed `metric-alert:<id>`; critical and warning fire, resolved resolves.
- `issue` (action created / unresolved fire, assigned acknowledges, resolved
  resolves; keyed `issue:<id>`). Ignoring or archiving an issue is not a state
  incidentd tracks; those are ignored, as are `installation` and `comment`
  webhooks.
- `error` (`data.error`): firing, keyed by its issue.

The legacy plugin posts `{project, project_name, culprit, level, message, url,
id, event}` with `id` the issue id, keyed `issue:<id>` as well. Its "Test
Plugin" button sends Sentry's sample event ("This is an example Python
exception" from `raven.scripts.runner`), which is ignored.

Event levels map fatal → high, error → medium, warning/info/debug → low; metric
alert actions map critical → high, warning → medium.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from parsers._common import (
    as_object,
    dig,
    first_text,
    join_texts,
    load_object,
    map_severity,
    one_line,
    pairs_map,
    parse_time,
    string_map,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "sentry"

LEVELS: Final[Mapping[str, Severity]] = {
    "fatal": Severity.HIGH, "error": Severity.MEDIUM, "warning": Severity.LOW,
    "info": Severity.LOW, "debug": Severity.LOW,
}
METRIC_ACTIONS: Final[Mapping[str, Severity]] = {
    "critical": Severity.HIGH, "warning": Severity.MEDIUM,
}
_ISSUE_ACTIONS: Final = {
    "created": ReportStatus.FIRING, "unresolved": ReportStatus.FIRING,
    "assigned": ReportStatus.ACKNOWLEDGED, "resolved": ReportStatus.RESOLVED,
}
_SAMPLE_MESSAGE: Final = "This is an example Python exception"


def can_parse(raw: RawInput) -> bool:
    """Integration-platform bodies have `installation` + `data`; legacy ones `project_slug`."""
    if any(name.lower() == "sentry-hook-resource" for name in raw.headers):
        return True
    body = raw.body
    return (b'"installation"' in body and b'"action"' in body) or (
        b'"project_slug"' in body and b'"culprit"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Sentry webhook")
    data = body.get("data")
    if isinstance(data, Mapping) and "action" in body:
        return [_platform(raw, body, data, _resource(raw, data))]
    if "project_slug" in body or ("culprit" in body and "level" in body):
        return [_legacy(raw, body)]
    raise ParseError("neither an integration-platform webhook ('action', 'data') nor a "
                     "legacy plugin webhook ('project_slug', 'culprit')")


def _resource(raw: RawInput, data: Mapping[str, Any]) -> str:
    for name, value in raw.headers.items():
        if name.lower() == "sentry-hook-resource":
            return value.strip()
    for key, resource in (("metric_alert", "metric_alert"), ("issue", "issue"),
                          ("error", "error"), ("installation", "installation"),
                          ("comment", "comment"), ("event", "event_alert")):
        if key in data:
            return resource
    return "unknown"


# --- integration platform -----------------------------------------------------------------

def _platform(raw: RawInput, body: Mapping[str, Any], data: Mapping[str, Any],
              resource: str) -> Report:
    action = (text(body.get("action")) or "").lower()
    if resource == "event_alert":
        event = data.get("event")
        if not isinstance(event, Mapping):
            raise ParseError("event_alert without a 'data.event' object")
        return _event(raw, event, ReportStatus.FIRING, rule=text(data.get("triggered_rule")))
    if resource == "error":
        error = data.get("error")
        if not isinstance(error, Mapping):
            raise ParseError("error webhook without a 'data.error' object")
        return _event(raw, error, ReportStatus.FIRING, rule=None)
    if resource == "metric_alert":
        return _metric_alert(raw, data, action)
    if resource == "issue":
        return _issue(raw, data, action)
    raise Ignored(f"Sentry {resource} webhook is not about a problem",
                  {"resource": resource, "action": action})


def _event(raw: RawInput, event: Mapping[str, Any], status: ReportStatus,
           rule: str | None) -> Report:
    issue_id = first_text(event.get("issue_id"), event.get("group_id"))
    title = one_line(first_text(event.get("title"), event.get("message"),
                                dig(event, "metadata.value"))) or "Sentry event"
    level = text(event.get("level"))
    tags = pairs_map(event.get("tags"))
    details = {key: value for key in ("event_id", "culprit", "platform", "release",
                                      "location", "issue_url")
               if (value := text(event.get(key))) is not None}
    if rule:
        details["triggered_rule"] = rule
    description = _exception_text(event)
    return Report(
        source=NAME,
        title=title,
        description=description if description != title else "",
        status=status,
        severity=map_severity(level, raw.options, LEVELS),
        raw_severity=level,
        occurred_at=parse_time(event.get("datetime")) or parse_time(event.get("timestamp"))
        or raw.received_at,
        dedup_key=f"issue:{issue_id}" if issue_id else text(event.get("event_id")),
        service=first_text(event.get("project_slug"), _project_from_url(event.get("url"))),
        resource=text(event.get("culprit")),
        event=rule or text(dig(event, "metadata.type")),
        environment=first_text(event.get("environment"), tags.get("environment")),
        url=first_text(event.get("web_url"), event.get("url")),
        labels=tags,
        details=details,
    )


def _project_from_url(url: Any) -> str | None:
    """Events name their project by number; the API url has its slug (`/projects/org/slug/`)."""
    parts = (text(url) or "").split("/")
    if "projects" in parts:
        index = parts.index("projects")
        if len(parts) > index + 2:
            return parts[index + 2] or None
    return None


def _exception_text(event: Mapping[str, Any]) -> str:
    values = dig(event, "exception.values")
    if isinstance(values, list) and values and isinstance(values[-1], Mapping):
        last = values[-1]
        kind, value = text(last.get("type")), text(last.get("value"))
        if kind or value:
            return ": ".join(part for part in (kind, value) if part)
    return first_text(event.get("message"), dig(event, "logentry.formatted")) or ""


def _metric_alert(raw: RawInput, data: Mapping[str, Any], action: str) -> Report:
    alert = data.get("metric_alert")
    if not isinstance(alert, Mapping):
        raise ParseError("metric_alert webhook without a 'data.metric_alert' object")
    alert_id = text(alert.get("id"))
    if alert_id is None:
        raise ParseError("metric alert without an 'id'")
    if action == "resolved":
        status = ReportStatus.RESOLVED
    elif action in METRIC_ACTIONS:
        status = ReportStatus.FIRING
    else:
        raise ParseError(f"unknown metric alert action {action!r}")
    rule = as_object(alert.get("alert_rule"))
    name = first_text(rule.get("name"), data.get("description_title"), alert.get("title"))
    details = {key: value for key, value in (
        ("query", text(rule.get("query"))), ("aggregate", text(rule.get("aggregate"))),
        ("dataset", text(rule.get("dataset"))), ("identifier", text(alert.get("identifier"))),
        ("description_title", text(data.get("description_title"))),
    ) if value}
    return Report(
        source=NAME,
        title=one_line(name) or f"Sentry metric alert {alert_id}",
        description=text(data.get("description_text")) or "",
        status=status,
        severity=map_severity(action, raw.options, METRIC_ACTIONS)
        if status is ReportStatus.FIRING else None,
        raw_severity=action if status is ReportStatus.FIRING else None,
        occurred_at=parse_time(alert.get("date_started")) or parse_time(
            alert.get("date_detected")) or raw.received_at,
        ended_at=(parse_time(alert.get("date_closed")) or raw.received_at)
        if status is ReportStatus.RESOLVED else None,
        dedup_key=f"metric-alert:{alert_id}",
        service=join_texts(rule.get("projects")),
        event=text(rule.get("name")),
        environment=text(rule.get("environment")),
        url=text(data.get("web_url")),
        details=details,
    )


def _issue(raw: RawInput, data: Mapping[str, Any], action: str) -> Report:
    issue = data.get("issue")
    if not isinstance(issue, Mapping):
        raise ParseError("issue webhook without a 'data.issue' object")
    issue_id = text(issue.get("id"))
    if issue_id is None:
        raise ParseError("issue without an 'id'")
    status = _ISSUE_ACTIONS.get(action)
    if status is None:
        raise Ignored(f"Sentry issue {action} is not a state incidentd tracks",
                      {"issue": issue_id, "action": action})
    level = text(issue.get("level"))
    return Report(
        source=NAME,
        title=one_line(first_text(issue.get("title"), dig(issue, "metadata.value")))
        or f"Sentry issue {issue_id}",
        description=first_text(dig(issue, "metadata.value"), issue.get("culprit")) or "",
        status=status,
        severity=map_severity(level, raw.options, LEVELS),
        raw_severity=level,
        occurred_at=parse_time(issue.get("firstSeen")) or raw.received_at,
        ended_at=raw.received_at if status is ReportStatus.RESOLVED else None,
        dedup_key=f"issue:{issue_id}",
        service=first_text(dig(issue, "project.slug"), dig(issue, "project.name")),
        resource=text(issue.get("culprit")),
        url=first_text(issue.get("web_url"), issue.get("permalink")),
        details={key: value for key in ("shortId", "status", "substatus", "count",
                                        "userCount", "platform")
                 if (value := text(issue.get(key))) is not None},
    )


# --- legacy WebHooks plugin ---------------------------------------------------------------

def _legacy(raw: RawInput, body: Mapping[str, Any]) -> Report:
    event = as_object(body.get("event"))
    message = first_text(body.get("message"), event.get("title"))
    culprit = text(body.get("culprit"))
    if message == _SAMPLE_MESSAGE and culprit == "raven.scripts.runner in main":
        raise Ignored("Sentry plugin test notification (sample event)",
                      {"project": text(body.get("project_slug")) or ""})
    issue_id = text(body.get("id"))
    level = text(body.get("level"))
    tags = pairs_map(event.get("tags"))
    title = one_line(first_text(event.get("title"), dig(event, "metadata.title"), message)) \
        or "Sentry issue"
    details = {key: value for key, value in (
        ("event_id", text(event.get("event_id"))), ("culprit", culprit),
        ("platform", text(event.get("platform"))), ("logger", text(body.get("logger"))),
    ) if value}
    details.update({f"extra.{k}": v for k, v in string_map(event.get("extra")).items()})
    return Report(
        source=NAME,
        title=title,
        description=message if message and message != title else "",
        severity=map_severity(level, raw.options, LEVELS),
        raw_severity=level,
        occurred_at=parse_time(event.get("timestamp")) or parse_time(event.get("received"))
        or raw.received_at,
        dedup_key=f"issue:{issue_id}" if issue_id else None,
        service=first_text(body.get("project_slug"), body.get("project")),
        resource=culprit,
        environment=first_text(event.get("environment"), tags.get("environment")),
        url=text(body.get("url")),
        labels=tags,
        details=details,
    )
