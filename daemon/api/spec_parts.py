"""Building blocks of the OpenAPI document (`daemon.api.spec`): types, parameters, errors."""

from __future__ import annotations

from typing import Any

from daemon.store.models import MAX_ID_DIGITS, MAX_ROW_ID

JSON = "application/json"

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """`schema` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


STR: Schema = {"type": "string"}
TEXT: Schema = {"type": "string", "pattern": "\\S", "description": "not blank"}
ROW_ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}
KEY_TEXT: Schema = {"type": "string",
                    "pattern": f"^\\s*([Ii][Nn][Cc]-)?[0-9]{{1,{MAX_ID_DIGITS}}}\\s*$"}
LIMIT: Schema = {"type": "integer", "minimum": 1, "maximum": 1000}
TIME: Schema = {"type": "string", "format": "date-time"}
OPT_STR = nullable(STR)
OPT_TIME = nullable(TIME)
OPT_INT = nullable({"type": "integer"})
OPT_NUM = nullable({"type": "number"})
LEVEL: Schema = {"type": "string", "enum": ["high", "medium", "low"]}
STATUS: Schema = {"type": "string", "enum": ["reported", "triaged", "responding", "contained",
                                              "resolved", "closed", "dismissed"]}
_ONE_STATUS = f"({'|'.join(STATUS['enum'])})"
STATUS_LIST: Schema = {"type": "string", "pattern": f"^(open|{_ONE_STATUS}(,{_ONE_STATUS})*)$"}

ERRORS = {
    400: "The request is malformed (bad key, bad query, body not JSON)",
    401: "No API token, or an unknown one",
    403: "The token's role does not allow this",
    404: "No such incident, task, attachment, intake row or outbox message",
    408: "The body did not arrive whole within [server] http_body_timeout",
    409: "Refused: a transition not allowed, an SOP gate not met, or an outbox message "
         "that is not failed",
    410: "Only the attachment's metadata was kept (it was over the size limit)",
    413: "The body is larger than the configured limit",
    415: "The content type is not JSON",
    422: "A field is unknown or its value is not valid",
    429: "The integration is over its rate limit; retry after Retry-After seconds",
    503: "The store is unavailable; retry later",
}


def _error(code: int) -> Schema:
    return {"description": ERRORS[code], "content": {JSON: {"schema": ref("Error")}}}


def _ok(description: str, schema: Schema, code: int = 200,
        media: str = JSON) -> dict[int, Schema]:
    return {code: {"description": description, "content": {media: {"schema": schema}}}}


def op(summary: str, responses: dict[int, Schema], *, errors: tuple[int, ...] = (),
       body: Schema | None = None, role: str | None = "read",
       params: tuple[Schema, ...] = ()) -> Schema:
    """One operation: its summary, role, parameters, body and responses."""
    if body is not None:
        errors = (*errors, 408)  # a body can stop arriving
    operation: Schema = {"summary": summary, "responses": {
        str(code): value for code, value in sorted(
            {**responses, **{c: _error(c) for c in errors}}.items())}}
    if role is not None:
        operation["security"] = [{"apiToken": []}]
        operation["description"] = f"Needs an API token with role `{role}` or higher."
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return operation


def path_param(name: str, description: str, schema: Schema = STR) -> Schema:
    """A path parameter."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}


def query_param(name: str, description: str, schema: Schema = STR) -> Schema:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


KEY = path_param("key", "incident key, INC-12 (or 12)", KEY_TEXT)
TASK_ID = path_param("task_id", "task id", ROW_ID)
READ = (400, 401, 404)
WRITE = (400, 401, 403, 404, 422)
