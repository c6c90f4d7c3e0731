"""The rule tree: first match wins, continue, child routes inheriting actions; the matrix;
the built-in defaults."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.triage import ReportContext, triage
from daemon.triage.schema import TriageConfig
from parsers import Level, Severity
from tests.daemon.triage.support import EMAIL, NOON, WEBHOOK, report, rules

TREE = rules("""
default_lists = ["oncall"]

[[rules]]
name = "security"
description = "Anything about intrusions"
match.keywords = ["breach", "ransomware", "intrusion"]
set.severity = "high"
set.impact = "high"
set.category = "security breach"
set.lists = ["security"]
set.plan = "security-breach"

  [[rules.routes]]
  name = "ransomware"
  match.keywords = ["ransomware"]
  set = { urgency = "high", lists = ["management"] }

  [[rules.routes]]
  name = "security-test"
  match.title = "^\\\\[test\\\\]"
  set = { severity = "low", impact = "low", urgency = "low", plan = "default" }

[[rules]]
name = "tag-db"
match.labels = { team = "dba" }
set = { service = "postgres", assignee = "dba-lead", lists = ["dba"] }
continue = true

[[rules]]
name = "noisy-staging"
match.labels = { env = "staging" }
set = { suppress = true }

[[rules]]
name = "critical"
match.labels = { severity = "critical" }
set = { priority = 1, title_prefix = "[CRIT]" }

  [[rules.routes]]
  name = "critical-but-known"
  match.labels_exist = ["runbook"]
  set = { suppress = false, priority = 2 }

[[rules]]
name = "never-reached"
match = {}
set = { category = "other" }
""")

# (title, report fields, context) → (hits, misses, decided_by, expected values)
CASES: list[tuple[str, dict[str, Any], ReportContext, tuple[str, ...], tuple[str, ...],
                  tuple[str, ...], dict[str, Any]]] = [
    ("Possible breach of the HR share", {}, EMAIL,
     ("security",), ("ransomware", "security-test"), ("security",),
     {"severity": Severity.HIGH, "impact": Level.HIGH, "urgency": Level.HIGH, "priority": 1,
      "category": "security breach", "plan": "security-breach",
      "lists": ("oncall", "security")}),
    ("Ransomware note on the file server", {}, EMAIL,
     ("security", "ransomware"), (), ("ransomware",),
     {"urgency": Level.HIGH, "category": "security breach", "plan": "security-breach",
      "lists": ("oncall", "security", "management"), "priority": 1}),
    ("[test] intrusion drill", {}, EMAIL,
     ("security", "security-test"), ("ransomware",), ("security-test",),
     {"severity": Severity.LOW, "priority": 4, "category": "security breach",
      "plan": "default", "lists": ("oncall", "security")}),
    ("Disk full", {"labels": {"team": "dba", "severity": "critical"}}, WEBHOOK,
     ("tag-db", "critical"), ("security", "noisy-staging", "critical-but-known"),
     ("tag-db", "critical"),
     {"service": "postgres", "assignee": "dba-lead", "priority": 1, "priority_set": True,
      "title_prefix": "[CRIT]", "lists": ("oncall", "dba")}),
    ("Disk full", {"labels": {"team": "dba", "env": "staging"}}, WEBHOOK,
     ("tag-db", "noisy-staging"), ("security",), ("tag-db", "noisy-staging"),
     {"suppressed_by": "noisy-staging", "service": "postgres"}),
    ("Disk full", {"labels": {"severity": "critical", "runbook": "x"}}, WEBHOOK,
     ("critical", "critical-but-known"), ("security", "tag-db", "noisy-staging"),
     ("critical-but-known",),
     {"priority": 2, "title_prefix": "[CRIT]", "suppressed_by": None}),
    ("Printer jam", {}, EMAIL,
     ("never-reached",), ("security", "tag-db", "noisy-staging", "critical"),
     ("never-reached",), {"category": "other", "plan": None}),
]


@pytest.mark.parametrize(("title", "fields", "context", "hits", "misses", "decided_by",
                          "expected"), CASES)
def test_rule_tree(title: str, fields: dict[str, Any], context: ReportContext,
                   hits: tuple[str, ...], misses: tuple[str, ...],
                   decided_by: tuple[str, ...], expected: dict[str, Any]) -> None:
    decision = triage(report(title, **fields), context, TREE, NOON)
    assert (decision.hits, decision.misses, decision.decided_by) == (hits, misses, decided_by)
    for name, value in expected.items():
        assert getattr(decision, name) == value, name


def test_a_rule_without_children_that_match_is_itself_the_match() -> None:
    decision = triage(report("intrusion detected"), EMAIL, TREE, NOON)
    assert decision.decided_by == ("security",)
    assert decision.reasons == ("security: Anything about intrusions",)
    assert decision.summary() == ("P1, severity high, impact high, urgency high, "
                                  "plan security-breach (rule security)")


def test_title_prefix_is_added_once() -> None:
    decision = triage(report("x", labels={"severity": "critical"}), WEBHOOK, TREE, NOON)
    assert decision.title_for("Disk full") == "[CRIT] Disk full"
    assert decision.title_for("[CRIT] Disk full") == "[CRIT] Disk full"


@pytest.mark.parametrize(("impact", "urgency", "priority"), [
    ("high", "high", 1), ("high", "medium", 2), ("medium", "high", 2), ("high", "low", 3),
    ("medium", "medium", 3), ("low", "high", 3), ("medium", "low", 4), ("low", "medium", 4),
    ("low", "low", 4),
])
def test_default_matrix(impact: str, urgency: str, priority: int) -> None:
    decision = triage(report(impact=Level(impact), urgency=Level(urgency)), EMAIL,
                      TriageConfig(), NOON)
    assert decision.priority == priority
    assert not decision.priority_set


def test_configured_matrix_is_used() -> None:
    strict = rules("""
matrix.high = { high = 1, medium = 1, low = 2 }
matrix.medium = { high = 1, medium = 2, low = 3 }
matrix.low = { high = 2, medium = 3, low = 4 }
""")
    decision = triage(report(impact=Level.MEDIUM, urgency=Level.HIGH), EMAIL, strict, NOON)
    assert decision.priority == 1


# Built-in defaults: (title, description, report fields, context) → expected
DEFAULTS: list[tuple[str, str, dict[str, Any], ReportContext, dict[str, Any]]] = [
    ("Ransomware on FS-2", "", {}, EMAIL,
     {"severity": Severity.HIGH, "impact": Level.HIGH, "urgency": Level.HIGH,
      "category": "security breach", "priority": 1}),
    ("Payroll files", "Several files were deleted overnight", {}, EMAIL,
     {"severity": Severity.HIGH, "category": "data loss", "priority": 1}),
    ("Website is down", "please fix asap", {}, EMAIL,
     {"severity": Severity.MEDIUM, "impact": Level.HIGH, "urgency": Level.HIGH,
      "category": "service disruption", "priority": 1}),
    ("Website is down", "", {}, EMAIL,
     {"impact": Level.HIGH, "urgency": Level.MEDIUM, "priority": 2}),
    ("Server room flooded", "", {}, EMAIL,
     {"category": "equipment failure", "severity": Severity.MEDIUM, "priority": 3}),
    ("Printer jam", "", {}, EMAIL,
     {"category": "other", "severity": Severity.MEDIUM, "priority": 3}),
    ("Latency above SLO", "", {}, WEBHOOK,
     {"category": "service disruption", "priority": 3}),
    # the reporter's own SOP fields beat the keywords
    ("Website is down", "", {"impact": Level.LOW, "urgency": Level.LOW,
                             "severity": Severity.LOW}, EMAIL,
     {"impact": Level.LOW, "urgency": Level.LOW, "severity": Severity.LOW, "priority": 4}),
    # a severity label the parser did not map
    ("Queue growing", "", {"labels": {"severity": "critical"}}, WEBHOOK,
     {"severity": Severity.HIGH, "priority": 1}),
]


@pytest.mark.parametrize(("title", "description", "fields", "context", "expected"), DEFAULTS)
def test_defaults_fill_what_no_rule_decided(title: str, description: str,
                                            fields: dict[str, Any], context: ReportContext,
                                            expected: dict[str, Any]) -> None:
    decision = triage(report(title, description=description, **fields), context,
                      TriageConfig(), NOON)
    assert decision.decided_by == ()
    for name, value in expected.items():
        assert getattr(decision, name) == value, name


def test_defaults_say_why_and_rules_win_over_them() -> None:
    plain = triage(report("Ransomware on FS-2"), EMAIL, TriageConfig(), NOON)
    assert plain.filled["category"] == "keyword 'ransomware'"
    assert plain.filled["severity"] == "keyword 'ransomware'"
    ruled = triage(report("Ransomware drill", labels={"drill": "yes"}), EMAIL, rules("""
[[rules]]
name = "drills"
match.labels = { drill = "yes" }
set = { severity = "low", category = "other" }
"""), NOON)
    assert (ruled.severity, ruled.category) == (Severity.LOW, "other")
    assert "category" not in ruled.filled
    assert "severity" not in ruled.filled
    assert ruled.impact == Level.HIGH  # no rule said; the keyword still fills it


def test_defaults_off_keeps_the_plain_fallbacks() -> None:
    decision = triage(report("Ransomware on FS-2"), EMAIL, rules("defaults = false"), NOON)
    assert (decision.severity, decision.category, decision.priority) == \
        (Severity.MEDIUM, None, 3)


def test_plans_by_category_only_for_the_plan_priorities() -> None:
    config = rules("""
category_plans = { "security breach" = "security-breach" }
default_plan = "default"
""")
    assert triage(report("Ransomware!"), EMAIL, config, NOON).plan == "security-breach"
    assert triage(report("Site down", urgency=Level.HIGH), EMAIL, config, NOON).plan == \
        "default"
    assert triage(report("Printer jam"), EMAIL, config, NOON).plan is None  # P3


def test_integration_lists_are_added() -> None:
    context = ReportContext(channel="webhook", integration="grafana", lists=("web",))
    decision = triage(report("x"), context, rules('default_lists = ["oncall"]'), NOON)
    assert decision.lists == ("oncall", "web")
