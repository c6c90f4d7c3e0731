"""A small HTTP client for the API tests (real sockets, a running daemon)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, Daemon, auth, wait_for


class Api:
    """Calls the daemon's API; answers (status, decoded body)."""

    def __init__(self, daemon: Daemon, http: aiohttp.ClientSession) -> None:
        self.daemon = daemon
        self.http = http

    async def call(self, method: str, path: str, *, token: str | None = ADMIN_TOKEN,
                   body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        headers = dict(auth(token)) if token else {}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.http.request(method, f"{self.daemon.url}{path}", data=data,
                                     headers=headers) as response:
            text = await response.text()
            if response.content_type == "application/json":
                return response.status, json.loads(text)
            return response.status, text

    async def call_with_type(self, method: str, path: str, *, token: str | None = ADMIN_TOKEN,
                             body: Any = None) -> tuple[int, str, Any]:
        """Like `call`, plus the answer's media type."""
        headers = dict(auth(token)) if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        async with self.http.request(method, f"{self.daemon.url}{path}", data=data,
                                     headers=headers) as response:
            text = await response.text()
            if response.content_type == "application/json":
                return response.status, response.content_type, json.loads(text)
            return response.status, response.content_type, text

    async def open_incident(self, payload: dict[str, Any]) -> str:
        """Post a generic webhook and wait until it made (or joined) an incident."""
        async with self.http.post(f"{self.daemon.url}/api/v1/webhooks/generic",
                                  data=json.dumps(payload).encode(),
                                  headers={**auth(GENERIC_TOKEN),
                                           "Content-Type": "application/json"}) as response:
            assert response.status == 202
            intake_id = (await response.json())["intake_id"]

        async def done() -> str | None:
            status, body = await self.call("GET", f"/api/v1/intake/{intake_id}")
            assert status == 200
            return body["incidents"][0] if body["status"] == "parsed" else None

        return str(await wait_for(done))
