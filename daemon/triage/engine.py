"""The triage engine: data plus a pure function, `triage(report, context, rules, now)`.

The rules are a tree walked as Alertmanager walks its routes: siblings are
tried in order and the first that matches decides, unless it says
`continue = true` (then the next sibling is tried too). A rule that matches
tries its child `routes` the same way; the deepest matching child decides,
with its parent's actions inherited and overridden by its own; when no child
matches, the rule itself is the match. Which rules hit and which missed is
part of the decision and goes on the incident's timeline.

After the rules, the built-in defaults (`daemon.triage.defaults`) fill what
no rule decided, and the priority follows the impact × urgency matrix unless
a rule set it outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from daemon.triage import defaults
from daemon.triage.match import ReportContext, Subject, Vocabulary, matches
from daemon.triage.schema import Actions, Rule, TriageConfig
from parsers import Level, Report, Severity

_SCALARS = ("severity", "impact", "urgency", "priority", "category", "service", "plan",
            "assignee", "title_prefix", "suppress", "drop_duplicates")


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What triage decided, and why."""

    severity: Severity
    impact: Level
    urgency: Level
    priority: int
    priority_set: bool = False  # a rule set the priority outright (not the matrix)
    category: str | None = None
    service: str | None = None
    plan: str | None = None
    lists: tuple[str, ...] = ()
    assignee: str | None = None
    title_prefix: str | None = None
    suppressed_by: str | None = None  # the rule that said suppress
    drop_duplicates: bool = False
    hits: tuple[str, ...] = ()  # every rule that matched, parents included
    misses: tuple[str, ...] = ()  # every rule tried that did not
    decided_by: tuple[str, ...] = ()  # the matches whose actions apply, in order
    reasons: tuple[str, ...] = ()
    filled: Mapping[str, str] = field(default_factory=dict)  # field → why (defaults)

    def summary(self) -> str:
        """One line for the timeline."""
        rule = f"rule {', '.join(self.decided_by)}" if self.decided_by else "defaults"
        plan = f", plan {self.plan}" if self.plan else ""
        return (f"P{self.priority}, severity {self.severity}, impact {self.impact}, "
                f"urgency {self.urgency}{plan} ({rule})")

    def result(self) -> dict[str, Any]:
        """The decided values, as JSON (recorded on the timeline, compared by backtests)."""
        return {"severity": self.severity.value, "impact": self.impact.value,
                "urgency": self.urgency.value, "priority": self.priority,
                "category": self.category, "service": self.service, "plan": self.plan,
                "lists": list(self.lists), "assignee": self.assignee,
                "suppressed_by": self.suppressed_by}

    def record(self, report: Report) -> dict[str, Any]:
        """The timeline data of this triage: inputs, rules hit and missed, result."""
        return {"hits": list(self.hits), "misses": list(self.misses),
                "decided_by": list(self.decided_by), "reasons": list(self.reasons),
                "lists": list(self.lists), "defaults": dict(self.filled),
                "result": self.result(),
                "inputs": {"severity": report.severity, "impact": report.impact,
                           "urgency": report.urgency, "raw_severity": report.raw_severity,
                           "service": report.service}}

    def title_for(self, title: str) -> str:
        """The incident title, with the rule's prefix once."""
        prefix = (self.title_prefix or "").strip()
        if not prefix or title.startswith(prefix):
            return title
        return f"{prefix} {title}"


def priority_for(matrix: Mapping[str, Mapping[str, int]], impact: Level, urgency: Level) -> int:
    """Look up impact × urgency in the matrix."""
    return matrix[impact.value][urgency.value]


@dataclass
class _Walk:
    subject: Subject
    vocabulary: Vocabulary
    hits: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def routes(self, rules: list[Rule], inherited: dict[str, Any]
               ) -> list[tuple[Rule, dict[str, Any]]]:
        """The deciding matches among `rules` (and their children), in order."""
        found: list[tuple[Rule, dict[str, Any]]] = []
        for rule in rules:
            if not matches(rule.match, self.subject, self.vocabulary):
                self.misses.append(rule.name)
                continue
            self.hits.append(rule.name)
            actions = merge(inherited, rule.set)
            found += self.routes(rule.routes, actions) or [(rule, actions)]
            if not rule.continue_:
                break
        return found


def merge(inherited: Mapping[str, Any], actions: Actions) -> dict[str, Any]:
    """A child's actions over its parent's: values it sets win, lists add up."""
    merged = dict(inherited)
    for name in actions.model_fields_set:
        value = getattr(actions, name)
        if name == "lists":
            merged["lists"] = list(dict.fromkeys([*merged.get("lists", []), *value]))
        elif value is not None:
            merged[name] = value
    return merged


def decide_rules(report: Report, context: ReportContext, rules: TriageConfig,
                 now: datetime) -> tuple[dict[str, Any], _Walk, list[Rule]]:
    """Walk the tree: the combined actions of the deciding matches, the walk, the matches.

    Later matches (after a `continue`) override earlier ones; lists add up.
    `chosen["suppressed_by"]` names the match that left suppression on.
    """
    walk = _Walk(Subject(report, context, now),
                 Vocabulary(rules.time_windows, rules.matchers))
    chosen: dict[str, Any] = {}
    deciding = walk.routes(rules.rules, {})
    for rule, actions in deciding:
        for name in _SCALARS:
            if name in actions:
                chosen[name] = actions[name]
        if "suppress" in actions:
            chosen["suppressed_by"] = rule.name if actions["suppress"] else None
        chosen["lists"] = list(dict.fromkeys([*chosen.get("lists", []),
                                              *actions.get("lists", [])]))
    return chosen, walk, [rule for rule, _ in deciding]


def triage(report: Report, context: ReportContext, rules: TriageConfig,
           now: datetime) -> Decision:
    """Decide severity, impact, urgency, priority, category, service, plan and lists."""
    chosen, walk, deciding = decide_rules(report, context, rules, now)
    filled: dict[str, str] = {}
    guess = (defaults.guess(walk.subject.text, channel=context.channel,
                            categories=rules.categories) if rules.defaults
             else defaults.Guess())

    severity: Severity | None = chosen.get("severity") or report.severity
    if severity is None and rules.defaults:
        found = defaults.label_severity(dict(report.labels)) or guess.severity
        if found:
            severity, filled["severity"] = found
    if severity is None:
        severity, filled["severity"] = rules.default_severity, "default_severity"
    impact = _level("impact", chosen, report.impact, guess.impact, severity, filled)
    urgency = _level("urgency", chosen, report.urgency, guess.urgency, severity, filled)
    category: str | None = chosen.get("category")
    if category is None and guess.category:
        category, filled["category"] = guess.category
    priority: int | None = chosen.get("priority")
    priority_set = priority is not None
    if priority is None:
        priority = priority_for(rules.matrix, impact, urgency)
    plan: str | None = chosen.get("plan")
    if plan is None and priority in rules.plan_priorities:
        plan = rules.category_plans.get(category or "") or rules.default_plan
        if plan:
            filled["plan"] = (f"category {category}" if category in rules.category_plans
                              else "default_plan")
    lists = list(dict.fromkeys([*rules.default_lists, *context.lists,
                                *chosen.get("lists", [])]))
    return Decision(
        severity=severity, impact=impact, urgency=urgency, priority=priority,
        priority_set=priority_set, category=category,
        service=chosen.get("service") or report.service, plan=plan, lists=tuple(lists),
        assignee=chosen.get("assignee"), title_prefix=chosen.get("title_prefix"),
        suppressed_by=chosen.get("suppressed_by"),
        drop_duplicates=bool(chosen.get("drop_duplicates")),
        hits=tuple(walk.hits), misses=tuple(walk.misses),
        decided_by=tuple(rule.name for rule in deciding),
        reasons=tuple(f"{r.name}: {r.description}" if r.description else r.name
                      for r in deciding),
        filled=filled,
    )


def _level(name: str, chosen: Mapping[str, Any], reported: Level | None,
           guessed: tuple[Level, str] | None, severity: Severity,
           filled: dict[str, str]) -> Level:
    value: Level | None = chosen.get(name) or reported
    if value is not None:
        return value
    if guessed is not None:
        value, filled[name] = guessed
        return value
    filled[name] = f"severity {severity}"
    return defaults.LEVEL_FOR_SEVERITY[severity]

