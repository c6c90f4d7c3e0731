"""A request body that stops arriving gets 408 and its connection back (`http_body_timeout`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support import (
    ADMIN_TOKEN,
    GENERIC_TOKEN,
    PAGERDUTY_ROUTING_KEY,
    make_config,
    migrate,
    running_daemon,
)


async def half_a_request(port: int, path: str, token: str | None) -> tuple[bytes, bytes]:
    """Send headers for a 100-byte body and 10 bytes of it; the status line and the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    writer.write(f"POST {path} HTTP/1.1\r\nHost: test\r\n{auth}Content-Type: application/json\r\n"
                 f"Content-Length: 100\r\n\r\n{{\"title\":".encode())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        lines = head.decode().split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
        assert headers["connection"] == "close"
        body = await reader.readexactly(int(headers["content-length"]))
    finally:
        writer.close()
    return lines[0].encode(), body


@pytest.mark.parametrize(("path", "token"), [
    ("/api/v1/webhooks/generic", GENERIC_TOKEN),
    ("/api/v1/incidents/INC-1/notes", ADMIN_TOKEN),
    ("/v2/enqueue", None),  # PagerDuty's events: the routing key is in the body
])
async def test_a_body_that_stops_arriving_gets_408(tmp_path: Path, path: str,
                                                   token: str | None) -> None:
    assert PAGERDUTY_ROUTING_KEY  # /v2/enqueue exists only with a pagerduty integration
    config = make_config(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
                         **{"server.http_body_timeout": "1s"})
    await migrate(config)
    async with running_daemon(config) as daemon:
        started = asyncio.get_running_loop().time()
        status, body = await half_a_request(daemon.server.port, path, token)
        waited = asyncio.get_running_loop().time() - started
    assert status == b"HTTP/1.1 408 Request Timeout"
    assert json.loads(body) == {"error": "the body did not arrive within 1s", "field": "body"}
    assert 0.9 < waited < 5
