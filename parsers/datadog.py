"""Datadog webhooks integration (monitor notifications).

Datadog lets each webhook define its payload from `$VARIABLES`; this parser
reads the default payload (`body`, `title`, `date`, `id`, `event_type`,
`last_updated`, `org`) plus the variables an incident tool needs, under the
names Datadog's docs use: `monitor_id`/`alert_id` ($ALERT_ID), `scopes`/
`alert_scope` ($ALERT_SCOPE), `alert_transition` ($ALERT_TRANSITION),
`alert_type` ($ALERT_TYPE), `severity`/`priority`/`alert_priority`
($ALERT_PRIORITY), `aggreg_key` ($AGGREG_KEY), `tags` ($TAGS), `hostname`,
`url`/`link`. docs/integrations.md lists the recommended payload.

The dedup key is `monitor:<id>/<scope>` (one key per monitor group, so
`Triggered` and `Recovered` of one group meet), else the aggregation key, else
a hash of the monitor name and scope. The group key is the monitor, so groups
of one multi-alert monitor share an incident. The title is the monitor name
with Datadog's `[Triggered on {…}]` / `[P2] [Warn]` prefixes taken off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from parsers._common import (
    first_text,
    load_object,
    map_severity,
    one_line,
    parse_time,
    short_hash,
    split_tags,
    text,
)
from parsers.report import ParseError, RawInput, Report, ReportStatus, Severity

NAME: Final = "datadog"

# Datadog priorities P1 (critical) … P5 (info), then the alert type for monitors
# without a priority: `error` is the alert threshold, `warning` the warn threshold.
SEVERITIES: Final[Mapping[str, Severity]] = {
    "p1": Severity.HIGH, "p2": Severity.HIGH, "p3": Severity.MEDIUM,
    "p4": Severity.LOW, "p5": Severity.LOW,
    "error": Severity.HIGH, "warning": Severity.MEDIUM, "info": Severity.LOW,
}
_RESOLVED_WORDS: Final = ("recovered", "recovery", "success", "ok", "resolved")
_PREFIX = re.compile(r"^\s*\[([^\]]*)\]\s*")
_PRIORITY = re.compile(r"^P[1-5]$", re.IGNORECASE)
_MENTIONS = re.compile(r"^\s*(@\S+\s*)+$")


def can_parse(raw: RawInput) -> bool:
    """Datadog bodies name `alert_transition`/`alert_type` or the `$EVENT_*` fields."""
    body = raw.body
    return (b'"alert_transition"' in body or b'"alert_type"' in body
            or (b'"event_type"' in body and b'"last_updated"' in body))


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the Datadog webhook")
    full_title = text(body.get("title")) or text(body.get("alert_title"))
    if full_title is None:
        raise ParseError("no 'title' in the Datadog webhook")
    name, tokens = _split_title(full_title)
    transition = text(body.get("alert_transition")) or _transition_from(tokens)
    alert_type = text(body.get("alert_type"))
    status = _status(transition, alert_type, text(body.get("alert_status")))
    priority = first_text(body.get("severity"), body.get("priority"),
                          body.get("alert_priority"),
                          next((t for t in tokens if _PRIORITY.match(t)), None))
    # A recovery's alert type is `success`: no severity word, keep the alert's own.
    raw_severity = priority or (alert_type if status is ReportStatus.FIRING else None)
    scope = first_text(body.get("scopes"), body.get("alert_scope"), body.get("scope"))
    monitor_id = first_text(body.get("monitor_id"), body.get("alert_id"))
    if monitor_id is not None:
        dedup = f"monitor:{monitor_id}/{scope}" if scope else f"monitor:{monitor_id}"
    else:
        dedup = first_text(body.get("aggreg_key"), body.get("aggregate")) \
            or short_hash(name, scope)
    labels, bare_tags = split_tags(body.get("tags"))
    details = {key: value for key in ("id", "event_type", "alert_query", "alert_metric",
                                      "alert_transition", "alert_type", "alert_status",
                                      "snapshot")
               if (value := text(body.get(key))) is not None}
    org = body.get("org")
    if isinstance(org, Mapping) and text(org.get("name")):
        details["org"] = text(org.get("name")) or ""
    if bare_tags:
        details["tags"] = ", ".join(bare_tags)
    title = one_line(f"{name} ({scope})" if scope and scope not in name else name) or name
    return [Report(
        source=NAME,
        title=title,
        description=_clean_body(text(body.get("body")) or text(body.get("event_msg"))),
        status=status,
        severity=map_severity(raw_severity, raw.options, SEVERITIES),
        raw_severity=raw_severity,
        occurred_at=parse_time(body.get("date")) or parse_time(body.get("last_updated"))
        or raw.received_at,
        dedup_key=dedup,
        group_key=f"monitor:{monitor_id}" if monitor_id is not None else None,
        service=labels.get("service"),
        resource=first_text(body.get("hostname"), labels.get("host"), scope),
        event=name,
        environment=labels.get("env") or labels.get("environment"),
        url=first_text(body.get("url"), body.get("link")),
        labels=labels,
        details=details,
    )]


def _split_title(title: str) -> tuple[str, list[str]]:
    """`[P2] [Warn on {a:b}] Name` → (`Name`, [`P2`, `Warn on {a:b}`])."""
    tokens = []
    rest = title
    while (match := _PREFIX.match(rest)) is not None:
        tokens.append(match.group(1).strip())
        rest = rest[match.end():]
    return (rest.strip() or title), tokens


def _transition_from(tokens: list[str]) -> str | None:
    for token in tokens:
        if not _PRIORITY.match(token):
            return token.split(" on ", 1)[0].strip()
    return None


def _status(transition: str | None, alert_type: str | None, alert_status: str | None) \
        -> ReportStatus:
    for word in (transition, alert_type):
        if word and word.lower() in _RESOLVED_WORDS:
            return ReportStatus.RESOLVED
    if alert_status and alert_status.lower().startswith("recovered"):
        return ReportStatus.RESOLVED
    return ReportStatus.FIRING


def _clean_body(body: str | None) -> str:
    """Drop Datadog's `%%%` markdown markers and lines that only @-mention handles."""
    if body is None:
        return ""
    lines = [line for line in body.splitlines()
             if line.strip() != "%%%" and not _MENTIONS.match(line)]
    return "\n".join(lines).strip()
