"""Every operation of the API, fuzzed from its own OpenAPI document: no request gets a 500.

Schemathesis reads `/api/v1/openapi.json` from a running daemon and sends
requests built from it: valid ones, boundary values, and bodies, paths and
parameters that break the schema. The daemon must answer each with something
other than a server error. One pass lets the incident key vary, one keeps it on
an incident that exists (so the handlers behind the 404 run too), and one posts
to the generic webhook with its token. Seeded and deterministic, so a failure
reproduces; the output names the request to replay.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import aiohttp
import pytest

from daemon.config import Config
from tests.daemon.api.client import Api
from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, running_daemon

EXAMPLES_PER_OPERATION = 15
PASSES = {  # name: (token, fixed path parameters, only the paths matching)
    "any key": (ADMIN_TOKEN, {}, None),
    "existing incident": (ADMIN_TOKEN, {"key": "INC-1"}, None),
    "generic webhook": (GENERIC_TOKEN, {"integration": "generic"}, "webhooks"),
}


async def _schemathesis(url: str, directory: Path, token: str, fixed: dict[str, str],
                        paths: str | None) -> tuple[int, str]:
    config = directory / "schemathesis.toml"
    config.write_text("[parameters]\n" + "".join(
        f'"path.{name}" = "{value}"\n' for name, value in fixed.items()), encoding="utf-8")
    args = ["--config-file", str(config), "run", f"{url}/api/v1/openapi.json", "--url", url,
            "-H", f"Authorization: Bearer {token}", "--checks", "not_a_server_error",
            "-n", str(EXAMPLES_PER_OPERATION), "--seed", "1", "--generation-deterministic",
            "--no-color", "--workers", "1"]
    if paths:
        args += ["--include-path-regex", paths]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", *args, cwd=directory,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.parametrize("name", PASSES)
async def test_no_request_gets_a_server_error(
        name: str, sqlite_config: Config, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    token, fixed, paths = PASSES[name]
    async with running_daemon(sqlite_config) as daemon, aiohttp.ClientSession() as http:
        api = Api(daemon, http)
        key = await api.open_incident({"title": "Disk full", "severity": "critical",
                                       "dedup_key": "disk", "service": "db"})
        assert key == "INC-1"
        for method, path, body in [
                ("POST", f"/api/v1/incidents/{key}/tasks", {"title": "Order disks"}),
                ("POST", f"/api/v1/incidents/{key}/notes", {"text": "Looking"}),
                ("POST", "/api/v1/silences", {"name": "db", "match": {"service": "db"},
                                              "duration": "1h"})]:
            status, answer = await api.call(method, path, body=body)
            assert status == 201, (path, answer)
        code, output = await _schemathesis(daemon.url, tmp_path, token, fixed, paths)
    assert code == 0, output[-6000:]
    assert "Tested:" in output  # it did run the operations
    unhandled = [r.getMessage() for r in caplog.records
                 if r.levelno >= logging.ERROR and r.name.startswith("daemon")]
    assert not unhandled
