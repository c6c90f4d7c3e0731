"""Triage: a rule tree from configuration, built-in defaults, maintenance windows.

`triage(report, context, rules, now)` is pure; `daemon.triage.pipeline` runs
it (with silences from the database) for the pipeline, `daemon.triage.retriage`
again for an existing incident, and `daemon.triage.replay` for `rules test`
and `rules backtest`.
"""

# The configuration holds `[triage]` (daemon.triage.schema), and the schema uses
# the configuration's value types: load the configuration first, whichever
# module is imported first.
import daemon.config  # noqa: F401  isort: skip
from daemon.triage.engine import Decision, priority_for, triage
from daemon.triage.match import ReportContext

__all__ = ["Decision", "ReportContext", "priority_for", "triage"]
