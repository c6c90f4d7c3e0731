"""The incident lifecycle: the one place where incidents are opened and changed.

Every interface (pipeline, API, CLI, reply commands by mail) calls these
functions, so transitions are validated the same way everywhere, each sets
its timestamp once and writes a timeline entry, and comms hears about it
through the events on `Work` (it decides what to mail; nothing here sends).

The plain function API, all taking ``(work, incident, actor, …)`` and raising
a `LifecycleError` subclass (with ``.message`` and ``.field``) when refused:

- statuses: `change_status`, `acknowledge`, `reopen` (with a reason),
  `dismiss` (a reason, or ``duplicate_of=`` another incident to merge into);
- fields: `set_priority` (None derives it from impact × urgency again),
  `set_severity`, `set_level` (impact or urgency; the priority follows the
  matrix unless it was set by hand), `set_eta`, `assign`, `set_text`
  (title, category, service, location, impact_statement, resolution_summary),
  `set_affected_services`, `add_containment`, `add_investigation_note`,
  `add_comment`, `set_root_cause`, `set_restored_at`;
- tasks: `add_task` (response-plan checklists and action items), `update_task`;
- plans: `activate_plan` (checklist, lists, cadence, escalation deadline, team
  mail, responding), `add_lists`;
- the review: `update_review` (recommendations may become action items);
- stakeholders: `add_recipient`, `remove_recipient`, `change_recipients`
  (per-incident recipients on top of its lists), `set_cadence` (its own
  update interval, e.g. from a response plan).

Commands given as text, as reply mails carry them, go through
``apply_command(work, incident, actor, name, value)``: for example
``apply_command(work, incident, actor, "eta", "2h")``, ``"status", "contained"``,
``"assign", "alice"``, ``"note", "…"``, ``"priority", "P1"``. Several at once
(a status with its reason: ``{"status": "dismissed", "reason": "false alarm"}``)
go through `apply_changes`, which validates them all before applying any.
Run them inside `run_change` so that comms queues the resulting mail in the
same transaction.
"""

from daemon.lifecycle.commands import (
    CHANGES,
    apply_changes,
    apply_command,
    apply_parsed,
    parse_changes,
)
from daemon.lifecycle.errors import (
    FieldError,
    GateError,
    LifecycleError,
    NotFoundError,
    TransitionError,
)
from daemon.lifecycle.fields import (
    add_comment,
    add_containment,
    add_investigation_note,
    assign,
    set_affected_services,
    set_eta,
    set_level,
    set_priority,
    set_restored_at,
    set_root_cause,
    set_severity,
    set_text,
)
from daemon.lifecycle.gates import check_gates, missing_for
from daemon.lifecycle.plans import activate_plan, add_lists
from daemon.lifecycle.review import Recommendation, update_review
from daemon.lifecycle.stakeholders import (
    add_recipient,
    change_recipients,
    parse_recipient_changes,
    remove_recipient,
    set_cadence,
)
from daemon.lifecycle.status import (
    TIMESTAMPS,
    TRANSITIONS,
    acknowledge,
    allowed_from,
    change_status,
    dismiss,
    open_incident,
    reopen,
)
from daemon.lifecycle.tasks import UNSET, add_task, update_task
from daemon.lifecycle.timeline import add_note, record
from daemon.lifecycle.unit import run_change

__all__ = [
    "CHANGES", "TIMESTAMPS", "TRANSITIONS", "UNSET", "FieldError", "GateError",
    "LifecycleError", "NotFoundError", "Recommendation", "TransitionError", "acknowledge",
    "activate_plan", "add_comment", "add_containment", "add_investigation_note", "add_lists",
    "add_note", "add_task",
    "allowed_from", "apply_changes", "apply_command", "apply_parsed", "assign",
    "change_status", "check_gates", "dismiss", "missing_for", "open_incident",
    "parse_changes", "record", "reopen", "run_change", "set_affected_services", "set_eta",
    "set_level", "set_priority", "set_restored_at", "set_root_cause", "set_severity",
    "set_text", "update_review", "update_task",
    "add_recipient", "change_recipients", "parse_recipient_changes", "remove_recipient",
    "set_cadence",
]
