"""The resources' schemas in the OpenAPI document (`daemon.api.spec`)."""

from __future__ import annotations

from daemon.api.spec_parts import (
    LEVEL,
    OPT_INT,
    OPT_NUM,
    OPT_STR,
    OPT_TIME,
    STATUS,
    STR,
    TEXT,
    TIME,
    Schema,
    nullable,
    ref,
)

INCIDENT: Schema = {
    "type": "object",
    "required": ["key", "title", "description", "status", "severity", "priority", "impact",
                 "urgency", "category", "service", "reported_at", "resolved_at", "eta"],
    "properties": {
        "key": {"type": "string", "pattern": "^INC-[0-9]+$"},
        "title": STR, "description": STR, "status": STATUS,
        "severity": nullable(LEVEL), "impact": nullable(LEVEL), "urgency": nullable(LEVEL),
        "priority": nullable({"type": "integer", "minimum": 1, "maximum": 4}),
        "category": OPT_STR, "service": OPT_STR, "location": OPT_STR, "reporter": OPT_STR,
        "source": OPT_STR, "integration": OPT_STR,
        "lists": {"type": "array", "items": STR},
        "labels": {"type": "object", "additionalProperties": STR},
        "assignee": OPT_STR, "response_plan": OPT_STR, "root_cause": OPT_STR,
        "root_cause_category": OPT_STR, "resolution_summary": OPT_STR,
        "impact_statement": OPT_STR, "affected_services": {"type": "array", "items": STR},
        "acknowledged_by": OPT_STR, "dismiss_reason": OPT_STR,
        "duplicate_of": OPT_STR, "priority_manual": {"type": "boolean"},
        **{name: OPT_TIME for name in (
            "discovered_at", "triaged_at", "acknowledged_at", "responding_at", "contained_at",
            "restored_at", "resolved_at", "closed_at", "dismissed_at", "eta",
            "next_update_at")},
        "reported_at": TIME,
        "updates_sent": {"type": "integer"},
        "cadence_seconds": nullable({"type": "integer", "description": "the incident's own "
                                                                    "update interval"}),
        "escalate_at": OPT_TIME, "escalated_at": OPT_TIME,
    },
}

TIMELINE_ENTRY: Schema = {
    "type": "object",
    "required": ["at", "actor", "source", "kind", "old", "new", "text"],
    "properties": {
        "id": {"type": "integer"}, "at": TIME, "actor": STR,
        "source": {"type": "string", "enum": ["api", "cli", "email", "rule", "monitoring",
                                              "system"]},
        "kind": STR, "old": OPT_STR, "new": OPT_STR, "text": STR,
        "data": nullable({"type": "object"}),
    },
}

TASK: Schema = {
    "type": "object",
    "required": ["id", "incident", "kind", "title", "owner", "due_at", "state", "overdue"],
    "properties": {
        "id": {"type": "integer"}, "incident": STR,
        "kind": {"type": "string", "enum": ["checklist", "action"]}, "title": STR,
        "owner": OPT_STR, "due_at": OPT_TIME,
        "state": {"type": "string", "enum": ["open", "done", "skipped"]},
        "created_at": TIME, "created_by": OPT_STR, "done_at": OPT_TIME,
        "overdue": {"type": "boolean"},
    },
}

DUE: Schema = nullable({"type": "string", "description": "ISO 8601 time, or a duration from "
                                                         "now such as 3d"})

RECOMMENDATION_IN: Schema = {"anyOf": [STR, {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": STR, "action_item": {"type": "boolean"}, "owner": OPT_STR,
                   "due_at": DUE, "task_id": OPT_INT}}]}

REVIEW: Schema = {
    "type": "object",
    "required": ["findings", "went_well", "went_badly", "recommendations", "completed"],
    "properties": {
        "findings": STR, "went_well": STR, "went_badly": STR,
        "recommendations": {"type": "array", "items": {
            "type": "object", "required": ["text"],
            "properties": {"text": STR, "task_id": OPT_INT}}},
        "completed": {"type": "boolean"}, "completed_at": OPT_TIME, "completed_by": OPT_STR,
        "created_at": OPT_TIME, "updated_at": OPT_TIME,
    },
}

CADENCE: Schema = {
    "type": "object", "required": ["interval_seconds", "due", "on_time", "percent"],
    "properties": {"interval_seconds": {"type": "number"}, "due": {"type": "integer"},
                   "on_time": {"type": "integer"}, "late_or_missed": {"type": "integer"},
                   "sent": {"type": "integer"}, "percent": OPT_NUM},
}

REVIEW_REPORT: Schema = {
    "type": "object",
    "required": ["incident", "generated_at", "review", "phases", "durations", "cadence",
                 "timeline", "reports", "alerts", "action_items", "checklist"],
    "properties": {
        "incident": ref("Incident"), "generated_at": TIME, "review": ref("Review"),
        "phases": {"type": "array", "items": {
            "type": "object", "required": ["phase", "at"],
            "properties": {"phase": STR, "at": TIME, "since_reported": OPT_NUM,
                           "since_previous": OPT_NUM}}},
        "durations": {"type": "object", "additionalProperties": OPT_NUM},
        "cadence": nullable(CADENCE),
        "timeline": {"type": "array", "items": ref("TimelineEntry")},
        "eta_history": {"type": "array", "items": ref("TimelineEntry")},
        "containment": {"type": "array", "items": ref("TimelineEntry")},
        "investigation": {"type": "array", "items": ref("TimelineEntry")},
        "reports": {"type": "array", "items": {"type": "object"}},
        "alerts": {"type": "array", "items": {"type": "object"}},
        "action_items": {"type": "array", "items": ref("Task")},
        "checklist": {"type": "array", "items": ref("Task")},
    },
}

SPAN: Schema = {"type": "object", "required": ["mean", "median", "count"],
                "properties": {"mean": OPT_NUM, "median": OPT_NUM, "count": {"type": "integer"}}}
COUNTS: Schema = {"type": "object", "additionalProperties": {"type": "integer"}}

STATS: Schema = {
    "type": "object",
    "required": ["since", "until", "incidents", "by_severity", "by_priority", "by_category",
                 "by_source", "mtta_seconds", "mttr_seconds", "time_to_contain_seconds",
                 "updates", "open_by_age"],
    "properties": {
        "since": TIME, "until": TIME, "incidents": {"type": "integer"},
        "by_status": COUNTS, "by_severity": COUNTS, "by_priority": COUNTS,
        "by_category": COUNTS, "by_source": COUNTS,
        "mtta_seconds": SPAN, "mttr_seconds": SPAN, "time_to_contain_seconds": SPAN,
        "updates": {"type": "object", "required": ["due", "on_time", "percent_on_time"],
                    "properties": {"due": {"type": "integer"}, "on_time": {"type": "integer"},
                                   "percent_on_time": OPT_NUM}},
        "open_by_age": COUNTS, "open": {"type": "integer"},
    },
}

PATCH: Schema = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "description": "Fields to change; all are validated before any is applied. Fields are "
                   "applied first, then acknowledge, then status (so a containment note "
                   "given with status contained satisfies its gate).",
    "properties": {
        "status": STATUS,
        "comment": {"type": "string", "description": "why (goes with status or acknowledge)"},
        "reason": {"type": "string", "description": "needed to dismiss or reopen"},
        "duplicate_of": {"type": "string", "description": "with status dismissed: INC-n to "
                                                          "merge into"},
        "acknowledge": {"type": "boolean"},
        "response_plan": {"type": "string", "description": "a [plans] name: activates it "
                                                           "(tasks, team mail, responding)"},
        "priority": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 4},
                               {"type": "string", "pattern": "^([Pp]?[1-4]|auto)$"},
                               {"type": "null"}],
                     "description": "null or auto derives it from impact × urgency"},
        "severity": LEVEL, "impact": LEVEL, "urgency": LEVEL,
        "eta": nullable({"type": "string", "description": "ISO 8601 time or a duration "
                                                          "from now such as 2h"}),
        "cadence": nullable({"type": "string", "description": "the incident's own update "
                                                              "interval such as 15m; auto or "
                                                              "null follows the priority"}),
        "assignee": OPT_STR, "title": STR, "category": OPT_STR, "service": OPT_STR,
        "location": OPT_STR, "affected_services": {"type": "array", "items": STR},
        "impact_statement": OPT_STR, "note": STR, "investigation": STR, "containment": STR,
        "root_cause": {"anyOf": [STR, {"type": "object", "additionalProperties": False,
                                       "properties": {"category": OPT_STR,
                                                      "text": OPT_STR}}]},
        "root_cause_category": STR, "resolution_summary": OPT_STR,
        "restored_at": {"type": "string", "description": "ISO 8601 time or now"},
    },
}

TASK_IN: Schema = {
    "type": "object", "required": ["title"], "additionalProperties": False,
    "properties": {"title": TEXT, "kind": {"type": "string", "enum": ["checklist", "action"]},
                   "owner": OPT_STR, "due_at": DUE},
}
TASK_PATCH: Schema = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"title": TEXT, "kind": {"type": "string", "enum": ["checklist", "action"]},
                   "owner": OPT_STR, "due_at": DUE,
                   "state": {"type": "string", "enum": ["open", "done", "skipped"]}},
}
REVIEW_IN: Schema = {
    "type": "object", "additionalProperties": False,
    "properties": {"findings": STR, "went_well": STR, "went_badly": STR,
                   "recommendations": {"type": "array", "items": RECOMMENDATION_IN},
                   "completed": {"type": "boolean"}},
}
NOTE_IN: Schema = {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": TEXT,
                   "kind": {"type": "string", "enum": ["note", "investigation", "containment"]}},
}

RECIPIENT: Schema = {
    "type": "object", "required": ["address", "lists", "added", "removed", "held_until"],
    "properties": {"address": STR, "lists": {"type": "array", "items": STR},
                   "added": {"type": "boolean"}, "removed": {"type": "boolean"},
                   "held_until": nullable({**TIME, "description": "quiet hours hold P3/P4 "
                                                                  "mail until then"})},
}
RECIPIENTS: Schema = {"type": "object", "required": ["recipients"],
                      "properties": {"recipients": {"type": "array",
                                                    "items": ref("Recipient")}}}
RECIPIENTS_IN: Schema = {
    "type": "object", "required": ["addresses"], "additionalProperties": False,
    "properties": {"addresses": {"anyOf": [TEXT, {"type": "array", "items": TEXT,
                                                   "minItems": 1}]},
                   "comment": STR},
}
RECIPIENTS_CHANGED: Schema = {
    "type": "object", "required": ["changed", "recipients"],
    "properties": {"changed": {"type": "array", "items": STR,
                               "description": "+address added, -address removed"},
                   "recipients": {"type": "array", "items": ref("Recipient")}},
}
OUTBOX_MESSAGE: Schema = {
    "type": "object",
    "required": ["id", "incident", "kind", "subject", "recipients", "state", "attempts",
                 "created_at", "next_attempt_at", "sent_at", "last_error"],
    "properties": {
        "id": {"type": "integer"}, "incident": OPT_STR, "kind": STR, "message_id": STR,
        "subject": STR, "recipients": {"type": "array", "items": STR},
        "state": {"type": "string", "enum": ["pending", "sending", "sent", "failed"]},
        "attempts": {"type": "integer"}, "created_at": TIME, "due_at": TIME,
        "next_attempt_at": TIME, "sent_at": OPT_TIME, "claimed_by": OPT_STR,
        "last_error": OPT_STR,
    },
}
ATTACHMENT: Schema = {
    "type": "object",
    "required": ["id", "filename", "content_type", "size", "sha256", "truncated", "url"],
    "properties": {
        "id": {"type": "integer"}, "filename": STR, "content_type": STR,
        "size": {"type": "integer"}, "sha256": STR,
        "truncated": {"type": "boolean", "description": "over the size limit: no data kept"},
        "report_id": {"type": "integer"}, "sender": OPT_STR, "received_at": TIME,
        "url": {"type": "string", "description": "where to download it"},
    },
}

MATCHER: Schema = {
    "type": "object", "description": "the rule language's matchers (README: Triage rules); "
                                     "all given must hold",
    "properties": {name: {} for name in (
        "source", "integration", "sender", "labels", "labels_not", "labels_regex",
        "labels_exist", "title", "body", "keywords", "service", "severity", "during", "use",
        "any", "all", "not")},
    "additionalProperties": False,
}
SILENCE_IN: Schema = {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "description": "One-off: starts_at (default now) and ends_at or duration. Weekly: days, "
                   "from, to, timezone and ends_at (the expiry). Cron: cron, duration, "
                   "timezone and ends_at.",
    "properties": {
        "name": TEXT, "comment": STR, "match": MATCHER,
        "starts_at": TIME, "ends_at": TIME,
        "duration": {"type": ["string", "number"], "description": "30m, 2h, … or seconds"},
        "days": {"anyOf": [STR, {"type": "array", "items": STR}],
                 "description": "mon-fri, sat, …"},
        "from": {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$"},
        "to": {"type": "string", "pattern": "^[0-9]{1,2}:[0-9]{2}$"},
        "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Berlin"},
        "cron": {"type": "string", "description": "minute hour day-of-month month day-of-week"},
    },
}
SILENCE: Schema = {
    "type": "object",
    "required": ["id", "source", "name", "match", "starts_at", "ends_at", "active", "expired"],
    "properties": {
        "id": OPT_INT, "source": {"type": "string", "enum": ["api", "config"]}, "name": STR,
        "comment": STR, "match": {"type": "object"}, "starts_at": OPT_TIME, "ends_at": OPT_TIME,
        "schedule": nullable({"type": "object"}), "describe": STR,
        "active": {"type": "boolean"}, "expired": {"type": "boolean"},
        "created_by": STR, "created_at": OPT_TIME, "expired_by": OPT_STR,
    },
}
SUPPRESSED: Schema = {
    "type": "object", "required": ["id", "intake_id", "received_at", "title", "suppressed_by"],
    "properties": {
        "id": {"type": "integer"}, "intake_id": {"type": "integer"}, "received_at": TIME,
        "source": STR, "status": STR, "title": STR, "sender": OPT_STR,
        "suppressed_by": OPT_STR, "severity": OPT_STR,
        "labels": {"type": "object", "additionalProperties": STR},
    },
}
TRIAGE_RESULT: Schema = {
    "type": "object",
    "required": ["severity", "impact", "urgency", "priority", "category", "plan", "lists",
                 "suppressed_by"],
    "properties": {
        "severity": LEVEL, "impact": LEVEL, "urgency": LEVEL,
        "priority": {"type": "integer", "minimum": 1, "maximum": 4},
        "category": OPT_STR, "service": OPT_STR, "plan": OPT_STR,
        "lists": {"type": "array", "items": STR}, "assignee": OPT_STR,
        "suppressed_by": OPT_STR, "drop_duplicates": {"type": "boolean"},
    },
}
RETRIAGE: Schema = {
    "type": "object",
    "required": ["incident", "changed", "hits", "misses", "decided_by", "result"],
    "properties": {
        "incident": ref("Incident"), "changed": {"type": "array", "items": STR},
        "hits": {"type": "array", "items": STR}, "misses": {"type": "array", "items": STR},
        "decided_by": {"type": "array", "items": STR},
        "defaults": {"type": "object", "additionalProperties": STR},
        "result": TRIAGE_RESULT,
    },
}
