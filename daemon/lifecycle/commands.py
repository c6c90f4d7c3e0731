"""Named changes with untrusted values: one path for the API, the CLI and mail commands.

`parse_changes` validates a whole set of changes (names and values, as JSON
or as text) before anything is touched; `apply_changes` applies them in a
fixed order (fields first, then acknowledgement, then the status, so that a
containment note given with `status = contained` satisfies its gate).
`apply_command` is the single-change form for reply commands by mail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from daemon.config.types import parse_duration
from daemon.lifecycle import fields as f
from daemon.lifecycle.errors import FieldError, NotFoundError
from daemon.lifecycle.plans import activate_plan
from daemon.lifecycle.stakeholders import set_cadence
from daemon.lifecycle.status import acknowledge, change_status, dismiss, reopen
from daemon.store import repo
from daemon.store.models import Incident, IncidentStatus, parse_incident_key
from daemon.work import Actor, Work

LEVELS = ("high", "medium", "low")
NONE_WORDS = ("", "none", "null", "clear", "-")

# Other spellings a person may use in a mail or on the command line.
ALIASES = {
    "assign": "assignee", "ack": "acknowledge", "eta_at": "eta",
    "resolution": "resolution_summary", "impact-statement": "impact_statement",
    "services": "affected_services", "root-cause": "root_cause",
    "root-cause-category": "root_cause_category", "duplicate-of": "duplicate_of",
    "restored": "restored_at", "containment_action": "containment",
    "investigation_note": "investigation", "plan": "response_plan",
}


def _text(name: str, value: Any, *, limit: int = 20000, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise FieldError(f"{name} must be text", field=name)
    text: str = value.strip()
    if not text:
        if optional:
            return None
        raise FieldError(f"{name} must not be empty", field=name)
    if len(text) > limit:
        raise FieldError(f"{name} is longer than {limit} characters", field=name)
    return text


def _required_text(limit: int = 20000) -> Callable[[Work, str, Any], Any]:
    return lambda _w, name, value: _text(name, value, limit=limit, optional=False)


def _optional_text(limit: int = 20000) -> Callable[[Work, str, Any], Any]:
    return lambda _w, name, value: _text(name, value, limit=limit)


def parse_level(_work: Work, name: str, value: Any) -> str:
    """`high`, `medium` or `low`."""
    if not isinstance(value, str) or value.strip().lower() not in LEVELS:
        raise FieldError(f"{name} must be one of {', '.join(LEVELS)}", field=name)
    return value.strip().lower()


def parse_priority(_work: Work, name: str, value: Any) -> int | None:
    """1-4 (or `P1`…`P4`); None or `auto` derives it from impact × urgency."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("P")
        value = int(text) if text.isdecimal() else value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        raise FieldError(f"{name} must be 1, 2, 3 or 4 (or auto)", field=name)
    return value


def parse_time(work: Work, name: str, value: Any) -> datetime:
    """An ISO 8601 time with a zone, or `now`."""
    if isinstance(value, str) and value.strip().lower() == "now":
        return work.now
    if not isinstance(value, str):
        raise FieldError(f"{name} must be an ISO 8601 time or 'now'", field=name)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(f"{name}: {value!r} is not an ISO 8601 time", field=name) from None
    if parsed.tzinfo is None:
        raise FieldError(f"{name} needs a time zone, e.g. 2026-03-02T10:00:00Z", field=name)
    return parsed


def parse_eta(work: Work, name: str, value: Any) -> datetime | None:
    """A duration from now (`2h`, `+90m`), an ISO 8601 time, or none to clear it."""
    if value is None or (isinstance(value, str) and value.strip().lower() in NONE_WORDS):
        return None
    if isinstance(value, str):
        try:
            return work.now + parse_duration(value.strip().removeprefix("+"))
        except ValueError:
            pass
    try:
        eta = parse_time(work, name, value)
    except FieldError:
        raise FieldError(f"{name} must be a duration from now like 2h, an ISO 8601 time, "
                         "or none", field=name) from None
    if eta < work.now - timedelta(minutes=1):
        raise FieldError(f"{name} is in the past", field=name)
    return eta


def parse_cadence(_work: Work, name: str, value: Any) -> timedelta | None:
    """An update interval such as 15m or 2h; `auto` (or none) follows the priority."""
    if value is None or (isinstance(value, str)
                         and value.strip().lower() in (*NONE_WORDS, "auto")):
        return None
    try:
        return parse_duration(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise FieldError(f"{name} must be an interval like 15m or 2h, or auto",
                         field=name) from None


def parse_services(_work: Work, name: str, value: Any) -> list[str]:
    """A list of service names (or one comma-separated text)."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldError(f"{name} must be a list of service names", field=name)
    return [v.strip()[:255] for v in value if v.strip()]


def parse_flag(_work: Work, name: str, value: Any) -> bool:
    """true/false (JSON) or yes/no, true/false, 1/0 (text)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "off"):
        return False
    raise FieldError(f"{name} must be true or false", field=name)


def parse_status(_work: Work, name: str, value: Any) -> IncidentStatus:
    """One of the incident statuses."""
    try:
        return IncidentStatus(str(value).strip().lower())
    except ValueError:
        raise FieldError(f"{name} must be one of {', '.join(IncidentStatus)}",
                         field=name) from None


def parse_incident_ref(work: Work, name: str, value: Any) -> Incident:
    """`INC-12` (or 12) naming an existing incident."""
    number = parse_incident_key(str(value)) if isinstance(value, str | int) else None
    if number is None:
        raise FieldError(f"{name} must be an incident key like INC-12", field=name)
    incident = repo.get_incident(work.session, incident_id=number)
    if incident is None:
        raise NotFoundError(f"{name}: no incident INC-{number}", field=name)
    return incident


def parse_root_cause(work: Work, name: str, value: Any) -> dict[str, str | None]:
    """Text, or `{"category": …, "text": …}`."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"category", "text"})
        if unknown:
            raise FieldError(f"{name}.{unknown[0]} is not a root cause field (category, text)",
                             field=f"{name}.{unknown[0]}")
        category = _text(f"{name}.category", value.get("category"), limit=64)
        return {"category": category, "text": _text(f"{name}.text", value.get("text"))}
    return {"category": None, "text": _text(name, value, optional=False)}


def parse_plan(work: Work, name: str, value: Any) -> str:
    """The name of a configured response plan."""
    text = _text(name, value, limit=128, optional=False)
    assert text is not None
    if text not in work.config.plans:
        known = ", ".join(work.config.plans) or "none configured"
        raise FieldError(f"unknown response plan {text!r}; known: {known}", field=name)
    return text


def _activate_plan(work: Work, incident: Incident, actor: Actor, name: str) -> None:
    activate_plan(work, incident, actor, name)


@dataclass(frozen=True, slots=True)
class Change:
    """How to parse one named change and how to apply it."""

    parse: Callable[[Work, str, Any], Any]
    apply: Callable[[Work, Incident, Actor, Any], None] | None


def _setter(name: str) -> Callable[[Work, Incident, Actor, Any], None]:
    return lambda w, i, a, v: f.set_text(w, i, a, name, v)


# In the order they are applied. `apply` None: handled with the status.
CHANGES: dict[str, Change] = {
    "title": Change(_required_text(500), _setter("title")),
    "category": Change(_optional_text(64), _setter("category")),
    "service": Change(_optional_text(255), _setter("service")),
    "location": Change(_optional_text(255), _setter("location")),
    "affected_services": Change(parse_services, f.set_affected_services),
    "severity": Change(parse_level, f.set_severity),
    "impact": Change(parse_level, lambda w, i, a, v: f.set_level(w, i, a, "impact", v)),
    "urgency": Change(parse_level, lambda w, i, a, v: f.set_level(w, i, a, "urgency", v)),
    "priority": Change(parse_priority, f.set_priority),
    "eta": Change(parse_eta, f.set_eta),
    "cadence": Change(parse_cadence, set_cadence),
    "assignee": Change(_optional_text(512), f.assign),
    "response_plan": Change(parse_plan, _activate_plan),
    "impact_statement": Change(_optional_text(), _setter("impact_statement")),
    "investigation": Change(_required_text(), f.add_investigation_note),
    "containment": Change(_required_text(), f.add_containment),
    "root_cause_category": Change(_required_text(64), lambda w, i, a, v: f.set_root_cause(
        w, i, a, category=v, text=None)),
    "root_cause": Change(parse_root_cause, lambda w, i, a, v: f.set_root_cause(
        w, i, a, category=v["category"], text=v["text"])),
    "resolution_summary": Change(_optional_text(), _setter("resolution_summary")),
    "restored_at": Change(parse_time, f.set_restored_at),
    "note": Change(_required_text(), f.add_comment),
    "acknowledge": Change(parse_flag, None),
    "comment": Change(_optional_text(), None),
    "reason": Change(_optional_text(), None),
    "duplicate_of": Change(parse_incident_ref, None),
    "status": Change(parse_status, None),
}


def parse_changes(work: Work, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every name and value; raise `FieldError` naming the first bad one."""
    parsed: dict[str, Any] = {}
    for name, value in data.items():
        change = CHANGES.get(name)
        if change is None:
            raise FieldError(f"unknown field {name!r}; known: {', '.join(sorted(CHANGES))}",
                             field=name)
        parsed[name] = change.parse(work, name, value)
    status = parsed.get("status")
    if "duplicate_of" in parsed and status is not IncidentStatus.DISMISSED:
        raise FieldError("duplicate_of goes with status dismissed", field="duplicate_of")
    if parsed.get("reason") and status is None:
        raise FieldError("reason goes with a status change (dismiss or reopen)",
                         field="reason")
    if parsed.get("comment") and status is None and not parsed.get("acknowledge"):
        raise FieldError("comment goes with a status change or acknowledge; use note "
                         "for a note", field="comment")
    if not parsed:
        raise FieldError("nothing to change", field=None)
    return parsed


def apply_parsed(work: Work, incident: Incident, actor: Actor,
                 parsed: Mapping[str, Any]) -> list[str]:
    """Apply validated changes in the fixed order; return the names applied."""
    applied = []
    for name, change in CHANGES.items():
        if name in parsed and change.apply is not None:
            change.apply(work, incident, actor, parsed[name])
            applied.append(name)
    comment = parsed.get("comment") or ""
    if parsed.get("acknowledge"):
        acknowledge(work, incident, actor, comment)
        applied.append("acknowledge")
    status: IncidentStatus | None = parsed.get("status")
    if status is not None:
        reason = parsed.get("reason") or comment
        if status is IncidentStatus.DISMISSED:
            dismiss(work, incident, actor, reason, duplicate_of=parsed.get("duplicate_of"))
        elif incident.status == IncidentStatus.RESOLVED and status is IncidentStatus.RESPONDING:
            reopen(work, incident, actor, reason)
        else:
            change_status(work, incident, status, actor, reason)
        applied.append("status")
    return applied


def apply_changes(work: Work, incident: Incident, actor: Actor,
                  data: Mapping[str, Any]) -> list[str]:
    """Validate all of `data`, then apply it; nothing changes when a value is bad."""
    return apply_parsed(work, incident, actor, parse_changes(work, data))


def apply_command(work: Work, incident: Incident, actor: Actor, name: str,
                  value: Any) -> list[str]:
    """Apply one named change (`status`, `eta`, `assign`, `note`, …) given as text."""
    key = name.strip().lower()
    return apply_changes(work, incident, actor, {ALIASES.get(key, key): value})
