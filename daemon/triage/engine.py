"""The triage engine: data plus a pure function.

Rules are tried in order. A rule hits when every matcher it gives holds; its
actions are applied and, unless it says `continue = true`, the walk stops
there (the first match wins, as in Alertmanager routes). Which rules hit and
which missed is part of the decision, and goes on the incident's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from daemon.triage.schema import Rule, TriageConfig
from parsers import Level, Report, Severity

# Without other information, severity stands in for impact and urgency alike.
_LEVEL_FOR_SEVERITY = {Severity.HIGH: Level.HIGH, Severity.MEDIUM: Level.MEDIUM,
                       Severity.LOW: Level.LOW}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportContext:
    """Where a report came from, for the matchers that need more than the report."""

    channel: str  # email | webhook | api
    integration: str | None = None
    sender: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What triage decided, and why."""

    severity: Severity
    impact: Level
    urgency: Level
    priority: int
    category: str | None = None
    service: str | None = None
    lists: tuple[str, ...] = ()
    hits: tuple[str, ...] = ()
    misses: tuple[str, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One line for the timeline."""
        rule = f"rule {', '.join(self.hits)}" if self.hits else "defaults"
        return (f"P{self.priority}, severity {self.severity}, impact {self.impact}, "
                f"urgency {self.urgency} ({rule})")


def priority_for(matrix: Mapping[str, Mapping[str, int]], impact: Level, urgency: Level) -> int:
    """Look up impact × urgency in the matrix."""
    return matrix[impact.value][urgency.value]


def matches(rule: Rule, report: Report, context: ReportContext) -> bool:
    """True when every matcher of `rule` holds for `report`."""
    m = rule.match
    if m.source and context.channel not in m.source:
        return False
    if m.integration and context.integration not in m.integration:
        return False
    for key, value in m.labels.items():
        if report.labels.get(key) != value:
            return False
    for key, pattern in m.labels_regex.items():
        if key not in report.labels or not pattern.search(report.labels[key]):
            return False
    if m.title is not None and not m.title.search(report.title):
        return False
    if m.body is not None and not m.body.search(report.description):
        return False
    if m.severity and report.severity not in m.severity:
        return False
    if m.service and report.service not in m.service:
        return False
    return not m.sender or _sender_matches(context.sender, m.sender)


def _sender_matches(sender: str | None, patterns: list[str]) -> bool:
    if not sender:
        return False
    sender = sender.lower()
    return any(sender == p or (p.startswith("@") and sender.endswith(p)) for p in patterns)


def triage(report: Report, context: ReportContext, config: TriageConfig) -> Decision:
    """Decide severity, impact, urgency, priority, category, service and lists."""
    severity: Severity = report.severity or config.default_severity
    impact: Level | None = report.impact
    urgency: Level | None = report.urgency
    priority: int | None = None
    category: str | None = None
    service: str | None = report.service
    lists: list[str] = list(config.default_lists)
    hits: list[str] = []
    misses: list[str] = []
    reasons: list[str] = []
    for rule in config.rules:
        if not matches(rule, report, context):
            misses.append(rule.name)
            continue
        hits.append(rule.name)
        actions = rule.set
        severity = actions.severity or severity
        impact = actions.impact or impact
        urgency = actions.urgency or urgency
        priority = actions.priority or priority
        category = actions.category or category
        service = actions.service or service
        lists.extend(name for name in actions.lists if name not in lists)
        reasons.append(f"{rule.name}: {rule.description}" if rule.description else rule.name)
        if not rule.continue_:
            break
    impact = impact or _LEVEL_FOR_SEVERITY[severity]
    urgency = urgency or _LEVEL_FOR_SEVERITY[severity]
    if priority is None:
        priority = priority_for(config.matrix, impact, urgency)
    return Decision(
        severity=severity, impact=impact, urgency=urgency, priority=priority,
        category=category, service=service, lists=tuple(lists), hits=tuple(hits),
        misses=tuple(misses), reasons=tuple(reasons),
    )
