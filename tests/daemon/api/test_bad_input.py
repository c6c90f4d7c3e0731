"""Input the API cannot use gets a 4xx that says why, never a 500 (over real HTTP).

Each case here once answered 500: bodies that are not UTF-8, ids that
`str.isdigit()` accepts and `int()` does not ("³"), ids beyond 64 bits, and
durations too long for a date. A malformed request line is logged as one
line, not as an error with a traceback.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from daemon.config import Config
from tests.daemon.api.client import Api
from tests.support import GENERIC_TOKEN, auth, running_daemon

NOT_UTF8 = b'{"text": "caf\xe9"}'  # Latin-1, as an old client might send it

BODY_ROUTES = [
    ("PATCH", "/api/v1/incidents/{key}"),
    ("POST", "/api/v1/incidents/{key}/notes"),
    ("POST", "/api/v1/incidents/{key}/tasks"),
    ("PATCH", "/api/v1/incidents/{key}/tasks/1"),
    ("PUT", "/api/v1/incidents/{key}/review"),
    ("POST", "/api/v1/incidents/{key}/recipients"),
    ("DELETE", "/api/v1/incidents/{key}/recipients"),
    ("POST", "/api/v1/silences"),
]
TOO_LONG = "9" * 19  # beyond any 64-bit row id
ID_ROUTES = [  # (method, path, the id's field)
    ("GET", "/api/v1/intake/{id}", "intake_id"),
    ("POST", "/api/v1/outbox/{id}/retry", "outbox_id"),
    ("PATCH", "/api/v1/incidents/{key}/tasks/{id}", "task_id"),
    ("GET", "/api/v1/incidents/{key}/attachments/{id}", "attachment_id"),
    ("DELETE", "/api/v1/silences/{id}", "silence_id"),
]


@pytest.fixture
async def api(sqlite_config: Config) -> AsyncIterator[Api]:
    async with running_daemon(sqlite_config) as daemon, aiohttp.ClientSession() as http:
        yield Api(daemon, http)


async def test_a_body_that_is_not_utf8(api: Api) -> None:
    key = await api.open_incident({"title": "Disk full", "dedup_key": "disk"})
    status, _ = await api.call("POST", f"/api/v1/incidents/{key}/tasks", body={"title": "x"})
    assert status == 201
    for method, path in BODY_ROUTES:
        status, answer = await api.call(method, path.format(key=key), raw=NOT_UTF8)
        assert (status, answer) == (400, {"error": "body is not UTF-8 text", "field": "body"}), \
            (method, path)
    status, answer = await api.call("POST", f"/api/v1/incidents/{key}/notes",
                                    raw=b'{"text": [[[' + b"[" * 100_000)
    assert (status, answer["field"]) == (400, "body"), answer


async def test_a_note_kind_that_is_not_a_word(api: Api) -> None:
    key = await api.open_incident({"title": "Disk full", "dedup_key": "disk"})
    kinds: list[Any] = [{}, [], 1, "gossip"]
    for kind in kinds:
        status, answer = await api.call("POST", f"/api/v1/incidents/{key}/notes",
                                        body={"text": "x", "kind": kind})
        assert (status, answer["field"]) == (422, "kind"), answer
        assert answer["error"] == "kind must be one of note, investigation, containment"


async def test_ids_that_are_not_row_ids(api: Api) -> None:
    key = await api.open_incident({"title": "Disk full", "dedup_key": "disk"})
    for method, path, field in ID_ROUTES:
        for bad in ("³", "٣", TOO_LONG, "-1", "1_0"):
            status, answer = await api.call(method, path.format(key=key, id=bad), body={})
            assert status == 400, (method, path, bad, answer)
            assert answer["field"] == field
            assert answer["error"].endswith("must be a number")
    for bad in ("³", "INC-³", f"INC-{TOO_LONG}"):
        for path in ("/api/v1/incidents/{key}", "/api/v1/incidents/{key}/review",
                     "/api/v1/incidents/{key}/timeline"):
            status, answer = await api.call("GET", path.format(key=bad))
            assert status == 400, (path, bad, answer)
            assert answer["field"] == "key"
    # a real id that does not exist is still a 404
    status, _ = await api.call("GET", "/api/v1/intake/" + "9" * 18)
    assert status == 404


async def test_limits_that_are_not_numbers(api: Api) -> None:
    for path in ("/api/v1/incidents?limit=³", "/api/v1/suppressed?limit=³"):
        status, answer = await api.call("GET", path)
        assert status == 400, (path, answer)
        assert "limit" in answer["error"] or answer["field"] == "limit"


async def test_a_silence_longer_than_a_century(api: Api) -> None:
    status, answer = await api.call("POST", "/api/v1/silences", body={
        "name": "forever", "match": {"service": "db"}, "duration": "9" * 30 + "h"})
    assert status == 422, answer
    assert "too long a duration" in answer["error"], answer
    status, answer = await api.call("POST", "/api/v1/silences", body={
        "name": "week", "match": {"service": "db"}, "duration": "7d"})
    assert status == 201, answer


async def test_a_task_can_become_an_action_item(api: Api) -> None:
    key = await api.open_incident({"title": "Disk full", "dedup_key": "disk"})
    path = f"/api/v1/incidents/{key}/tasks"
    status, task = await api.call("POST", path, body={"title": "Order disks"})
    assert (status, task["kind"]) == (201, "checklist")
    status, task = await api.call("PATCH", f"{path}/{task['id']}", body={"kind": "action"})
    assert (status, task["kind"]) == (200, "action"), task
    _, timeline = await api.call("GET", f"/api/v1/incidents/{key}/timeline")
    assert timeline["timeline"][-1]["text"] == "Task #1 (Order disks): now an action item"
    status, answer = await api.call("PATCH", f"{path}/{task['id']}", body={"kind": "chore"})
    assert (status, answer["field"]) == (422, "kind")


async def test_a_malformed_request_is_one_info_line(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    host, port = api.daemon.url.removeprefix("http://").rsplit(":", 1)
    caplog.set_level(logging.INFO, logger="aiohttp.server")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Probe: \x00\r\n\r\n")
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    assert status_line.split()[1] == b"400", status_line
    (record,) = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert record.getMessage() == ("bad HTTP request peer=127.0.0.1 status=400 "
                                   "reason=Invalid header value char")


async def test_compressed_webhooks(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    url = f"{api.daemon.url}/api/v1/webhooks/generic"
    body = json.dumps({"title": "Compressed alert", "dedup_key": "gz"}).encode()

    async def post(data: bytes, encoding: str) -> tuple[int, Any]:
        async with api.http.post(url, data=data, headers={
                **auth(GENERIC_TOKEN), "Content-Type": "application/json",
                "Content-Encoding": encoding}) as response:
            return response.status, await response.json(content_type=None)

    for encoding, data in (("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))):
        status, answer = await post(data, encoding)
        assert status == 202, answer
    status, intake = await api.call("GET", f"/api/v1/intake/{answer['intake_id']}")
    assert intake["integration"] == "generic"

    bomb = gzip.compress(b'{"title": "' + b"a" * (20 * 1024 * 1024) + b'"}')  # 20 KiB → 20 MiB
    status, answer = await post(bomb, "gzip")
    assert (status, answer["field"]) == (413, "body"), answer

    status, answer = await post(b"\x1f\x8b not gzip at all", "gzip")
    assert status == 400
    assert answer == {"error": "the body could not be read: Can not decode content-encoding: "
                               "gzip", "field": "body"}
    await asyncio.sleep(0.05)  # aiohttp drains the rest of the body after the answer
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "bad HTTP request peer=- status=400 reason=Can not decode content-encoding: gzip" \
        in [r.getMessage() for r in caplog.records]
