"""API token roles over real HTTP: no token 401, read only reads (403), respond changes."""

from __future__ import annotations

import aiohttp

from daemon.config import Config
from tests.daemon.api.client import Api
from tests.support import ADMIN_TOKEN, READ_TOKEN, RESPOND_TOKEN, running_daemon

CHANGES = [
    ("PATCH", "/api/v1/incidents/{key}", {"severity": "low"}),
    ("POST", "/api/v1/incidents/{key}/notes", {"text": "looking"}),
    ("POST", "/api/v1/incidents/{key}/tasks", {"title": "Page the DBA"}),
    ("PATCH", "/api/v1/incidents/{key}/tasks/1", {"state": "done"}),
    ("PUT", "/api/v1/incidents/{key}/review", {"findings": "x"}),
    ("POST", "/api/v1/incidents/{key}/review/send", None),
]
READS = ["/api/v1/incidents/{key}", "/api/v1/incidents/{key}/timeline",
         "/api/v1/incidents/{key}/tasks", "/api/v1/incidents/{key}/review",
         "/api/v1/incidents/{key}/review.md", "/api/v1/tasks/overdue", "/api/v1/stats"]


async def test_roles(config: Config) -> None:
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        key = await api.open_incident({"title": "Disk full", "severity": "warning",
                                       "dedup_key": "disk"})
        for method, path, body in CHANGES:
            path = path.format(key=key)
            status, answer = await api.call(method, path, token=None, body=body)
            assert status == 401, (method, path)
            assert answer["error"].startswith("an API token is required")
            status, answer = await api.call(method, path, token=READ_TOKEN, body=body)
            assert status == 403, (method, path)
            assert answer == {"error": "token 'viewer' has role read; this needs respond",
                              "field": None}
        for path in READS:
            status, _ = await api.call("GET", path.format(key=key), token=READ_TOKEN)
            assert status == 200, path
            status, _ = await api.call("GET", path.format(key=key), token=None)
            assert status == 401, path
        # nothing above changed the incident
        _, timeline = await api.call("GET", f"/api/v1/incidents/{key}/timeline")
        assert [e["kind"] for e in timeline["timeline"]] == ["opened", "triaged"]

        for method, path, body in CHANGES:
            status, answer = await api.call(method, path.format(key=key), token=RESPOND_TOKEN,
                                            body=body)
            assert status in (200, 201, 202), (method, path, answer)
        status, incident = await api.call("PATCH", f"/api/v1/incidents/{key}",
                                          token=ADMIN_TOKEN, body={"assignee": "carol"})
        assert status == 200
        assert (incident["severity"], incident["assignee"]) == ("low", "carol")
        _, timeline = await api.call("GET", f"/api/v1/incidents/{key}/timeline")
        actors = {(e["actor"], e["source"]) for e in timeline["timeline"][2:]}
        assert actors == {("responder", "api"), ("admin", "api")}
        _, whole = await api.call("GET", f"/api/v1/incidents/{key}")
        assert whole["timeline"] == timeline["timeline"]  # the same entries, ids and data
