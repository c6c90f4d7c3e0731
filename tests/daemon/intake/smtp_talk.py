"""Talking SMTP over a socket in the listener tests: replies and refusal counts."""

from __future__ import annotations

import asyncio

from daemon.ops.metrics import METRICS
from tests.support import Daemon


async def read_reply(reader: asyncio.StreamReader) -> bytes:
    """The next reply, all its lines; empty when the server closed the connection."""
    lines = []
    while True:
        line = await asyncio.wait_for(reader.readline(), 10)
        lines.append(line)
        if not line or line[3:4] != b"-":
            return b"".join(lines)


def rejections(daemon: Daemon, code: str) -> float:
    """How many replies with `code` the daemon counted in its metrics."""
    registry = daemon.app[METRICS].registry
    return registry.get_sample_value("incidentd_smtp_rejections_total", {"code": code}) or 0
