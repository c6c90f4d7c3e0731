"""The OpenAPI document is valid, matches the router, and every route answers as documented."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from daemon.api.spec import DOCUMENT
from daemon.app import build_app
from daemon.config import Config
from tests.daemon.api.client import Api
from tests.daemon.mailbox.support import delivered, mail
from tests.support import (
    ADMIN_TOKEN,
    GENERIC_TOKEN,
    PAGERDUTY_ROUTING_KEY,
    READ_TOKEN,
    RESPOND_TOKEN,
    make_config,
    running_daemon,
)

METHODS = {"get", "put", "post", "patch", "delete"}


def test_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"] == "3.1.0"
    validate(json.loads(json.dumps(DOCUMENT)))


def test_documented_routes_are_exactly_the_registered_ones(tmp_path: Any) -> None:
    app = build_app(make_config(tmp_path))
    registered = {(route.method.lower(), route.resource.canonical)
                  for route in app.router.routes()
                  if route.resource is not None and route.method != "HEAD"}
    documented = {(method, path) for path, item in DOCUMENT["paths"].items()
                  for method in item if method in METHODS}
    assert documented - registered == set(), "documented but not served"
    assert registered - documented == set(), "served but not documented"


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    resource = Resource.from_contents(
        {**DOCUMENT, "$schema": "https://json-schema.org/draft/2020-12/schema"})
    registry: Registry[Any] = Registry().with_resource("urn:incidentd", resource)
    return Draft202012Validator({**schema, "$id": "urn:incidentd#answer"}, registry=registry)


def _check(method: str, template: str, status: int, body: Any, media: str) -> None:
    operation = DOCUMENT["paths"][template][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {template} answered undocumented {status}"
    content = responses[str(status)]["content"]
    if media not in content and "*/*" in content:
        media = "*/*"  # documented as any type: the stored file's own
    assert media in content, f"{method} {template} {status} answered {media}"
    schema = content[media]["schema"]
    if media == "application/json":
        local = json.dumps(schema).replace('"#/components', '"urn:incidentd#/components')
        schema = json.loads(local)
        errors = sorted(_validator(schema).iter_errors(body), key=str)
        assert not errors, f"{method} {template} {status}: {errors[0].message}"


# (method, path template, concrete path, token, body, expected status)
CASES: list[tuple[str, str, str, str | None, Any, int]] = [
    ("GET", "/healthz", "/healthz", None, None, 200),
    ("GET", "/readyz", "/readyz", None, None, 200),
    ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None, None, 200),
    ("GET", "/metrics", "/metrics", None, None, 200),
    ("POST", "/api/v1/admin/reload", "/api/v1/admin/reload", ADMIN_TOKEN, None, 200),
    ("POST", "/api/v1/admin/reload", "/api/v1/admin/reload", RESPOND_TOKEN, None, 403),
    ("POST", "/api/v1/webhooks/{integration}", "/api/v1/webhooks/generic", GENERIC_TOKEN,
     {"title": "Disk full", "dedup_key": "disk2"}, 202),
    ("POST", "/api/v1/webhooks/{integration}", "/api/v1/webhooks/nope", GENERIC_TOKEN,
     {"title": "x"}, 404),
    ("GET", "/api/v1/intake/{intake_id}", "/api/v1/intake/1", READ_TOKEN, None, 200),
    ("GET", "/api/v1/intake/{intake_id}", "/api/v1/intake/99", READ_TOKEN, None, 404),
    ("GET", "/api/v1/incidents", "/api/v1/incidents", READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents", "/api/v1/incidents?priority=9", READ_TOKEN, None, 400),
    ("GET", "/api/v1/incidents/{key}", "/api/v1/incidents/INC-1", READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}", "/api/v1/incidents/bogus", READ_TOKEN, None, 400),
    ("PATCH", "/api/v1/incidents/{key}", "/api/v1/incidents/INC-1", RESPOND_TOKEN,
     {"assignee": "dana", "eta": "1h"}, 200),
    ("PATCH", "/api/v1/incidents/{key}", "/api/v1/incidents/INC-1", RESPOND_TOKEN,
     {"status": "closed"}, 409),
    ("PATCH", "/api/v1/incidents/{key}", "/api/v1/incidents/INC-1", RESPOND_TOKEN,
     {"eta": "yesterday"}, 422),
    ("POST", "/api/v1/incidents/{key}/notes", "/api/v1/incidents/INC-1/notes", RESPOND_TOKEN,
     {"text": "Looking at the logs", "kind": "investigation"}, 201),
    ("POST", "/api/v1/incidents/{key}/notes", "/api/v1/incidents/INC-1/notes", RESPOND_TOKEN,
     {"text": ""}, 422),
    ("GET", "/api/v1/incidents/{key}/timeline", "/api/v1/incidents/INC-1/timeline",
     READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}/timeline", "/api/v1/incidents/INC-77/timeline",
     READ_TOKEN, None, 404),
    ("POST", "/api/v1/incidents/{key}/tasks", "/api/v1/incidents/INC-1/tasks", RESPOND_TOKEN,
     {"title": "Free some space", "owner": "dana", "due_at": "2026-03-05T00:00:00Z"}, 201),
    ("POST", "/api/v1/incidents/{key}/tasks", "/api/v1/incidents/INC-1/tasks", RESPOND_TOKEN,
     {"title": "x", "state": "done"}, 422),
    ("GET", "/api/v1/incidents/{key}/tasks", "/api/v1/incidents/INC-1/tasks", READ_TOKEN,
     None, 200),
    ("GET", "/api/v1/incidents/{key}/tasks", "/api/v1/incidents/INC-1/tasks", None, None, 401),
    ("PATCH", "/api/v1/incidents/{key}/tasks/{task_id}", "/api/v1/incidents/INC-1/tasks/1",
     RESPOND_TOKEN, {"owner": "erin"}, 200),
    ("PATCH", "/api/v1/incidents/{key}/tasks/{task_id}", "/api/v1/incidents/INC-1/tasks/1",
     READ_TOKEN, {"owner": "erin"}, 403),
    ("GET", "/api/v1/tasks/overdue", "/api/v1/tasks/overdue", READ_TOKEN, None, 200),
    ("GET", "/api/v1/tasks/overdue", "/api/v1/tasks/overdue", None, None, 401),
    ("PUT", "/api/v1/incidents/{key}/review", "/api/v1/incidents/INC-1/review", RESPOND_TOKEN,
     {"findings": "Logs were never rotated", "recommendations": ["Rotate logs"]}, 200),
    ("PUT", "/api/v1/incidents/{key}/review", "/api/v1/incidents/INC-1/review", RESPOND_TOKEN,
     {"completed": True}, 422),
    ("GET", "/api/v1/incidents/{key}/review", "/api/v1/incidents/INC-1/review", READ_TOKEN,
     None, 200),
    ("GET", "/api/v1/incidents/{key}/review", "/api/v1/incidents/INC-5/review", READ_TOKEN,
     None, 404),
    ("GET", "/api/v1/incidents/{key}/review.md", "/api/v1/incidents/INC-1/review.md",
     READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}/review.md", "/api/v1/incidents/INC-5/review.md",
     READ_TOKEN, None, 404),
    ("GET", "/api/v1/incidents/{key}/review.html", "/api/v1/incidents/INC-1/review.html",
     READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}/review.html", "/api/v1/incidents/x/review.html",
     READ_TOKEN, None, 400),
    ("POST", "/api/v1/incidents/{key}/review/send", "/api/v1/incidents/INC-1/review/send",
     RESPOND_TOKEN, None, 202),
    ("POST", "/api/v1/incidents/{key}/review/send", "/api/v1/incidents/INC-1/review/send",
     READ_TOKEN, None, 403),
    ("GET", "/api/v1/incidents/{key}/recipients", "/api/v1/incidents/INC-1/recipients",
     READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}/recipients", "/api/v1/incidents/INC-77/recipients",
     READ_TOKEN, None, 404),
    ("POST", "/api/v1/incidents/{key}/recipients", "/api/v1/incidents/INC-1/recipients",
     RESPOND_TOKEN, {"addresses": ["cfo@example.org"], "comment": "asked to be told"}, 200),
    ("POST", "/api/v1/incidents/{key}/recipients", "/api/v1/incidents/INC-1/recipients",
     RESPOND_TOKEN, {"addresses": ["not an address"]}, 422),
    ("DELETE", "/api/v1/incidents/{key}/recipients", "/api/v1/incidents/INC-1/recipients",
     RESPOND_TOKEN, {"addresses": "lead@example.org"}, 200),
    ("DELETE", "/api/v1/incidents/{key}/recipients", "/api/v1/incidents/INC-1/recipients",
     READ_TOKEN, {"addresses": "lead@example.org"}, 403),
    ("GET", "/api/v1/outbox", "/api/v1/outbox?state=failed", ADMIN_TOKEN, None, 200),
    ("GET", "/api/v1/outbox", "/api/v1/outbox", RESPOND_TOKEN, None, 403),
    ("POST", "/api/v1/outbox/{outbox_id}/retry", "/api/v1/outbox/1/retry", ADMIN_TOKEN,
     None, 202),
    ("POST", "/api/v1/outbox/{outbox_id}/retry", "/api/v1/outbox/1/retry", ADMIN_TOKEN,
     None, 409),
    ("GET", "/api/v1/incidents/{key}/attachments", "/api/v1/incidents/INC-1/attachments",
     READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}/attachments", "/api/v1/incidents/INC-77/attachments",
     READ_TOKEN, None, 404),
    ("GET", "/api/v1/incidents/{key}/attachments/{attachment_id}",
     "/api/v1/incidents/INC-1/attachments/1", READ_TOKEN, None, 200),
    ("GET", "/api/v1/incidents/{key}/attachments/{attachment_id}",
     "/api/v1/incidents/INC-1/attachments/9", READ_TOKEN, None, 404),
    ("GET", "/api/v1/stats", "/api/v1/stats?since=30d", READ_TOKEN, None, 200),
    ("GET", "/api/v1/stats", "/api/v1/stats?since=soon", READ_TOKEN, None, 400),
    *[case for path in ("/v2/enqueue", "/v2/enqueue/") for case in (
        ("POST", path, path, None, {
            "routing_key": PAGERDUTY_ROUTING_KEY, "event_action": "trigger",
            "payload": {"summary": "Disk full", "source": "db-1", "severity": "error"}}, 202),
        ("POST", path, path, None, {"routing_key": PAGERDUTY_ROUTING_KEY,
                                    "event_action": "resolve"}, 400),
    )],
    ("POST", "/api/v1/webhooks/{integration}", "/api/v1/webhooks/generic", "not-the-token",
     {"title": "x"}, 401),
    ("POST", "/api/v1/incidents/{key}/retriage", "/api/v1/incidents/INC-1/retriage",
     RESPOND_TOKEN, None, 200),
    ("POST", "/api/v1/incidents/{key}/retriage", "/api/v1/incidents/INC-9/retriage",
     RESPOND_TOKEN, None, 404),
    ("POST", "/api/v1/silences", "/api/v1/silences", RESPOND_TOKEN,
     {"name": "db upgrade", "match": {"labels": {"env": "staging"}}, "duration": "2h"}, 201),
    ("POST", "/api/v1/silences", "/api/v1/silences", RESPOND_TOKEN,
     {"name": "bad", "match": {"labels": {"env": "staging"}}, "cron": "every night"}, 422),
    ("GET", "/api/v1/silences", "/api/v1/silences", READ_TOKEN, None, 200),
    ("GET", "/api/v1/silences", "/api/v1/silences", None, None, 401),
    ("DELETE", "/api/v1/silences/{silence_id}", "/api/v1/silences/1", RESPOND_TOKEN, None,
     403),
    ("DELETE", "/api/v1/silences/{silence_id}", "/api/v1/silences/1", ADMIN_TOKEN, None, 200),
    ("DELETE", "/api/v1/silences/{silence_id}", "/api/v1/silences/7", ADMIN_TOKEN, None, 404),
    ("GET", "/api/v1/suppressed", "/api/v1/suppressed?since=7d", READ_TOKEN, None, 200),
    ("GET", "/api/v1/suppressed", "/api/v1/suppressed?since=soon", READ_TOKEN, None, 400),
]


def test_every_route_has_a_happy_and_an_error_case() -> None:
    statuses: dict[tuple[str, str], set[bool]] = {}
    for method, template, _, _, _, status in CASES:
        statuses.setdefault((method.lower(), template), set()).add(status < 400)
    documented = {(m, p) for p, item in DOCUMENT["paths"].items() for m in item if m in METHODS}
    missing = {route for route in documented
               if statuses.get(route) != {True, False}
               and route not in {("get", "/healthz"), ("get", "/readyz"),
                                 ("get", "/api/v1/openapi.json"), ("get", "/metrics")}}
    assert missing == set()


async def test_routes_answer_as_documented(sqlite_config: Config) -> None:
    async with running_daemon(sqlite_config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        assert await api.open_incident({"title": "Disk full", "severity": "critical",
                                        "dedup_key": "disk"}) == "INC-1"
        await delivered(daemon, mail("The log says it all.", subject="[INC-1] log",
                                     attachments=[("df.txt", "text/plain", b"100% /var")]))
        await fail_first_message(daemon)  # for the outbox retry cases
        for method, template, path, token, body, expected in CASES:
            status, media, answer = await api.call_with_type(method, path, token=token,
                                                             body=body)
            assert status == expected, (method, path, answer)
            _check(method, template, status, answer, media)


async def fail_first_message(daemon: Any) -> None:
    """Let the opening notice be delivered, then record it as refused by the relay."""
    from sqlalchemy import update

    from daemon.keys import SESSIONS
    from daemon.store.models import Outbox
    from tests.support import wait_for

    async def sent() -> bool:
        async with daemon.app[SESSIONS]() as session:
            row = await session.get(Outbox, 1)
            return row is not None and row.state == "sent"

    await wait_for(sent)
    async with daemon.app[SESSIONS].begin() as session:
        await session.execute(update(Outbox).where(Outbox.id == 1).values(
            state="failed", last_error="550 no such user"))


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
async def test_document_is_served(sqlite_config: Config, path: str) -> None:
    async with running_daemon(sqlite_config) as daemon, aiohttp.ClientSession() as http:
        status, document = await Api(daemon, http).call("GET", path, token=None)
    assert status == 200
    assert document == json.loads(json.dumps(DOCUMENT))
