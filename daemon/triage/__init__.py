"""Triage: ordered rules from configuration turn a report into severity, priority, lists."""

from daemon.triage.engine import Decision, ReportContext, priority_for, triage

__all__ = ["Decision", "ReportContext", "priority_for", "triage"]
