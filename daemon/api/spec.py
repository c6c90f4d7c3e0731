"""The OpenAPI 3.1 description of the HTTP API, kept as data next to the handlers.

A test validates it and checks that every documented path and method is a
registered route and every route is documented, so the two cannot drift.
"""

from __future__ import annotations

from daemon.api.spec_parts import (
    ERRORS,
    JSON,
    KEY,
    KEY_TEXT,
    LIMIT,
    OPT_STR,
    READ,
    ROW_ID,
    STATUS_LIST,
    STR,
    TASK_ID,
    TEXT,
    WRITE,
    Schema,
    _ok,
    op,
    path_param,
    query_param,
    ref,
)
from daemon.api.spec_schemas import (
    ATTACHMENT,
    INCIDENT,
    NOTE_IN,
    OUTBOX_MESSAGE,
    PATCH,
    RECIPIENT,
    RECIPIENTS,
    RECIPIENTS_CHANGED,
    RECIPIENTS_IN,
    RETRIAGE,
    REVIEW,
    REVIEW_IN,
    REVIEW_REPORT,
    SILENCE,
    SILENCE_IN,
    STATS,
    SUPPRESSED,
    TASK,
    TASK_IN,
    TASK_PATCH,
    TIMELINE_ENTRY,
)

PATHS: Schema = {
    "/healthz": {"get": op("The process is alive and its event loop answers in time", {
        **_ok("Alive", ref("Health")),
        **_ok("The event loop lags; problem says by how much", ref("Health"), 503)},
        role=None)},
    "/readyz": {"get": op("Every readiness check passes: database, schema, listeners, "
                          "pipeline, outbox", {
        **_ok("Ready", ref("Ready")),
        **_ok("Not ready; each check says what is wrong", ref("Ready"), 503)}, role=None)},
    "/metrics": {"get": {
        **op("Prometheus metrics (text exposition format)",
             _ok("Every incidentd_* series", {"type": "string"}, media="text/plain"),
             errors=(401, 404), role=None),
        "description": "Open unless `[metrics] token` is set; then a bearer token or "
                       "?token=. 404 when `[metrics] enabled = false`.",
    }},
    "/api/v1/admin/reload": {"post": op(
        "Reload the configuration file, as SIGHUP does",
        {**_ok("Reloaded; what changed and what needs a restart", ref("Reload")),
         **_ok("The file is invalid; the old configuration stays", ref("Reload"), 422)},
        errors=(401, 403), role="admin")},
    "/api/v1/openapi.json": {"get": op("This document", _ok("OpenAPI 3.1", {"type": "object"}),
                                       role=None)},
    "/api/v1/webhooks/{integration}": {"post": {
        **op("Submit a monitoring webhook; stored before it is acknowledged",
             _ok("Stored; poll the intake URL for the outcome", ref("Accepted"), 202),
             errors=(400, 401, 404, 413, 415, 429, 503), role=None,
             params=(path_param("integration", "the configured integration name"),),
             body={"type": "object", "description": "the tool's own JSON payload"}),
        "security": [{"integrationToken": []}, {"integrationQueryToken": []},
                     {"integrationBasic": []}],
        "description": "Authenticated as the integration says: its token (bearer or "
                       "?token=), HTTP basic credentials, and/or an HMAC signature header "
                       "(see docs/integrations.md); every configured method must pass.",
    }},
    **{path: {"post": {
        **op("PagerDuty Events API v2: submit an alert event (trigger, acknowledge, resolve)",
             {**_ok("Stored; the dedup key (generated when the event had none)",
                    ref("EnqueueAnswer"), 202),
              **{code: {"description": text, "content": {JSON: {"schema": ref("EnqueueAnswer")}}}
                 for code, text in ((400, "Invalid event, or an unknown routing key"),
                                    (413, "The body is larger than the limit"),
                                    (429, ERRORS[429]), (503, ERRORS[503]))}},
             role=None, body={"type": "object", "required": ["routing_key", "event_action"],
                              "description": "a PagerDuty Events API v2 alert event"}),
        "description": "The event's routing_key selects the pagerduty integration that "
                       "carries it and is its credential. Answers as PagerDuty does.",
    }} for path in ("/v2/enqueue", "/v2/enqueue/")},
    "/api/v1/intake/{intake_id}": {"get": op(
        "What became of a raw report", _ok("The intake row", ref("Intake")),
        errors=READ, params=(path_param("intake_id", "intake id", ROW_ID),))},
    "/api/v1/incidents": {"get": op(
        "Incidents, newest first", _ok("Incidents", {
            "type": "object", "required": ["incidents"],
            "properties": {"incidents": {"type": "array", "items": ref("Incident")}}}),
        errors=(400, 401),
        params=(query_param("status", "comma-separated statuses, or open", STATUS_LIST),
                query_param("priority", "1-4", {"type": "integer", "minimum": 1, "maximum": 4}),
                query_param("since", "a duration such as 24h or an ISO 8601 time", TEXT),
                query_param("limit", "1-1000", LIMIT)))},
    "/api/v1/incidents/{key}": {
        "get": op("One incident with its alerts and timeline",
                  _ok("The incident", ref("Incident")), errors=READ, params=(KEY,)),
        "patch": op("Change status and fields", _ok("The changed incident", ref("Incident")),
                    errors=(*WRITE, 409), role="respond", params=(KEY,), body=ref("Patch")),
    },
    "/api/v1/incidents/{key}/notes": {"post": op(
        "Add a note, investigation note or containment action",
        _ok("The timeline entry", ref("TimelineEntry"), 201), errors=WRITE, role="respond",
        params=(KEY,), body=NOTE_IN)},
    "/api/v1/incidents/{key}/timeline": {"get": op(
        "The incident's timeline", _ok("Timeline, oldest first", {
            "type": "object", "required": ["timeline"],
            "properties": {"timeline": {"type": "array", "items": ref("TimelineEntry")}}}),
        errors=READ, params=(KEY,))},
    "/api/v1/incidents/{key}/tasks": {
        "get": op("The incident's checklist and action items", _ok("Tasks", ref("TaskList")),
                  errors=READ, params=(KEY,)),
        "post": op("Add a task", _ok("The task", ref("Task"), 201), errors=WRITE,
                   role="respond", params=(KEY,), body=TASK_IN),
    },
    "/api/v1/incidents/{key}/tasks/{task_id}": {"patch": op(
        "Change a task", _ok("The task", ref("Task")), errors=WRITE, role="respond",
        params=(KEY, TASK_ID), body=TASK_PATCH)},
    "/api/v1/tasks/overdue": {"get": op(
        "Open tasks past their due date, of every incident", _ok("Tasks", ref("TaskList")),
        errors=(401,))},
    "/api/v1/incidents/{key}/review": {
        "get": op("The post-incident review and its report data",
                  _ok("The review report", ref("ReviewReport")), errors=READ, params=(KEY,)),
        "put": op("Write the review; fields not given stay as they are",
                  _ok("The review report", ref("ReviewReport")), errors=WRITE,
                  role="respond", params=(KEY,), body=REVIEW_IN),
    },
    "/api/v1/incidents/{key}/review.md": {"get": op(
        "The review report as Markdown", _ok("Markdown", STR, media="text/markdown"),
        errors=READ, params=(KEY,))},
    "/api/v1/incidents/{key}/review.html": {"get": op(
        "The review report as HTML", _ok("HTML", STR, media="text/html"),
        errors=READ, params=(KEY,))},
    "/api/v1/incidents/{key}/review/send": {"post": op(
        "Mail the review report to the incident's stakeholder lists",
        _ok("Queued in the outbox", {
            "type": "object", "required": ["status", "recipients"],
            "properties": {"status": {"const": "queued"},
                           "recipients": {"type": "array", "items": STR}}}, 202),
        errors=(400, 401, 403, 404, 409), role="respond", params=(KEY,))},
    "/api/v1/incidents/{key}/recipients": {
        "get": op("Who gets the incident's mail, and why", _ok("Recipients", RECIPIENTS),
                  errors=READ, params=(KEY,)),
        "post": op("Also mail these addresses about the incident",
                   _ok("The changes and the recipients now", RECIPIENTS_CHANGED),
                   errors=WRITE, role="respond", params=(KEY,), body=RECIPIENTS_IN),
        "delete": op("Stop mailing these addresses about the incident, lists or not",
                     _ok("The changes and the recipients now", RECIPIENTS_CHANGED),
                     errors=WRITE, role="respond", params=(KEY,), body=RECIPIENTS_IN),
    },
    "/api/v1/outbox": {"get": op(
        "Outgoing mail, newest first", _ok("Messages", {
            "type": "object", "required": ["messages"],
            "properties": {"messages": {"type": "array", "items": ref("OutboxMessage")}}}),
        errors=(400, 401, 403), role="admin",
        params=(query_param("state", "pending, sending, sent or failed",
                            {"type": "string", "enum": ["pending", "sending", "sent", "failed"]}),
                query_param("incident", "only mail about this incident (INC-12)", KEY_TEXT),
                query_param("limit", "1-1000, default 100", LIMIT)))},
    "/api/v1/outbox/{outbox_id}/retry": {"post": op(
        "Requeue a failed message", _ok("Requeued", ref("OutboxMessage"), 202),
        errors=(400, 401, 403, 404, 409), role="admin",
        params=(path_param("outbox_id", "outbox message id", ROW_ID),))},
    "/api/v1/incidents/{key}/attachments": {"get": op(
        "Files that came with the incident's mails (listed, never inlined)",
        _ok("Attachments, oldest first", {
            "type": "object", "required": ["attachments"],
            "properties": {"attachments": {"type": "array", "items": ref("Attachment")}}}),
        errors=READ, params=(KEY,))},
    "/api/v1/incidents/{key}/attachments/{attachment_id}": {"get": op(
        "Download one attachment: its stored content type, Content-Disposition: attachment",
        _ok("The file", {"type": "string", "contentMediaType": "application/octet-stream"},
            media="*/*"),
        errors=(*READ, 410),
        params=(KEY, path_param("attachment_id", "attachment id", ROW_ID)))},
    "/api/v1/stats": {"get": op(
        "Metrics across incidents", _ok("Metrics", ref("Stats")), errors=(400, 401),
        params=(query_param("since", "a duration such as 30d (the default) or an ISO 8601 "
                                     "time", TEXT),))},
}

PATHS.update({
    "/api/v1/incidents/{key}/retriage": {"post": op(
        "Run the rules in force now on the incident's first report; apply what changed",
        _ok("The incident, the fields changed, and the rules walk", ref("Retriage")),
        errors=(400, 401, 403, 404, 422), role="respond", params=(KEY,))},
    "/api/v1/silences": {
        "get": op("Silences not yet ended (all=true: also ended ones) and the configured "
                  "maintenance windows", _ok("Silences", {
                      "type": "object", "required": ["silences"],
                      "properties": {"silences": {"type": "array", "items": ref("Silence")}}}),
                  errors=(401,), params=(query_param("all", "true: include ended silences"),)),
        "post": op("Create a silence: matching reports open no incident while it is active",
                   _ok("The silence", ref("Silence"), 201), errors=(400, 401, 403, 422),
                   role="respond", body=ref("SilenceIn")),
    },
    "/api/v1/silences/{silence_id}": {"delete": op(
        "Expire a silence now", _ok("The expired silence", ref("Silence")),
        errors=(400, 401, 403, 404), role="admin",
        params=(path_param("silence_id", "silence id", ROW_ID),))},
    "/api/v1/suppressed": {"get": op(
        "Reports that windows, silences or rules kept from opening incidents, newest first",
        _ok("Suppressed reports", {
            "type": "object", "required": ["reports"],
            "properties": {"reports": {"type": "array", "items": ref("SuppressedReport")}}}),
        errors=(400, 401),
        params=(query_param("since", "a duration such as 24h or an ISO 8601 time", TEXT),
                query_param("limit", "1-1000 (default 100)", LIMIT)))},
})

DOCUMENT: Schema = {
    "openapi": "3.1.0",
    "info": {
        "title": "incidentd",
        "version": "1",
        "description": "Incident intake (webhooks), incidents, their lifecycle, tasks, "
                       "post-incident reviews and metrics. Errors answer "
                       '`{"error": message, "field": field at fault}`.',
    },
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "apiToken": {"type": "http", "scheme": "bearer",
                         "description": "an [[api.tokens]] token; roles read < respond < admin"},
            "integrationToken": {"type": "http", "scheme": "bearer",
                                 "description": "the integration's token"},
            "integrationQueryToken": {"type": "apiKey", "in": "query", "name": "token"},
            "integrationBasic": {"type": "http", "scheme": "basic",
                                 "description": "the integration's username and password"},
        },
        "schemas": {
            "Error": {"type": "object", "required": ["error", "field"],
                      "properties": {"error": STR, "field": OPT_STR,
                                     "allowed": {"type": "array", "items": STR},
                                     "missing": {"type": "array", "items": STR}}},
            "Health": {"type": "object", "required": ["status"],
                       "properties": {"status": {"type": "string",
                                                 "enum": ["ok", "unhealthy"]},
                                      "loop_lag_seconds": {"type": "number"},
                                      "problem": STR}},
            "Reload": {"type": "object", "required": ["ok", "changed", "restart_needed"],
                       "properties": {"ok": {"type": "boolean"},
                                      "changed": {"type": "array", "items": STR},
                                      "restart_needed": {"type": "array", "items": STR},
                                      "error": OPT_STR}},
            "Ready": {"type": "object", "required": ["status", "problems"],
                      "properties": {"status": {"type": "string",
                                                "enum": ["ready", "unready"]},
                                     "checks": {"type": "array", "items": {
                                         "type": "object", "required": ["name", "ok"],
                                         "properties": {"name": STR,
                                                        "ok": {"type": "boolean"},
                                                        "detail": OPT_STR}}},
                                     "problems": {"type": "array", "items": STR}}},
            "Accepted": {"type": "object", "required": ["status", "intake_id", "url"],
                         "properties": {"status": {"const": "accepted"},
                                        "intake_id": {"type": "integer"}, "url": STR}},
            "Intake": {"type": "object", "required": ["id", "status", "incidents"],
                       "properties": {"id": {"type": "integer"},
                                      "status": {"type": "string", "enum": [
                                          "accepted", "parsed", "quarantined", "ignored"]},
                                      "reason": OPT_STR,
                                      "incidents": {"type": "array", "items": STR}}},
            "EnqueueAnswer": {"type": "object", "required": ["status", "message"],
                              "properties": {"status": STR, "message": STR, "dedup_key": STR,
                                             "errors": {"type": "array", "items": STR}}},
            "Incident": INCIDENT,
            "TimelineEntry": TIMELINE_ENTRY,
            "Task": TASK,
            "TaskList": {"type": "object", "required": ["tasks"],
                         "properties": {"tasks": {"type": "array", "items": ref("Task")}}},
            "Review": REVIEW,
            "ReviewReport": REVIEW_REPORT,
            "Stats": STATS,
            "Patch": PATCH,
            "Recipient": RECIPIENT,
            "OutboxMessage": OUTBOX_MESSAGE,
            "Attachment": ATTACHMENT,
            "Silence": SILENCE,
            "SilenceIn": SILENCE_IN,
            "SuppressedReport": SUPPRESSED,
            "Retriage": RETRIAGE,
        },
    },
}
