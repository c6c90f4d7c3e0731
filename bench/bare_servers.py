"""Baseline servers for the ingest benchmark: accept and discard, nothing else.

    python bench/bare_servers.py http PORT
    python bench/bare_servers.py smtp PORT
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session


async def accept(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"status": "accepted", "intake_id": 0}, status=202)


class Discard:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        return "250 2.0.0 OK queued as 0"


async def smtp_forever(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Discard(), hostname="bare", data_size_limit=25 * 1024 * 1024,
                     enable_SMTPUTF8=True, decode_data=False),
        host="127.0.0.1", port=port)
    async with server:
        await server.serve_forever()


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "http":
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/api/v1/webhooks/{integration}", accept)
        web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
    else:
        asyncio.run(smtp_forever(port))


if __name__ == "__main__":
    main()
