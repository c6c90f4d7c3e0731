"""A real SMTP server in the test's event loop that records what it receives."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One accepted message."""

    sender: str
    recipients: list[str]
    data: bytes
    tls: bool


@dataclass
class Sink:
    """Accepts mail, or answers the scripted replies first (e.g. `451 …`, `554 …`)."""

    replies: list[str] = field(default_factory=list)  # answers to DATA, used up in order
    refuse: set[str] = field(default_factory=set)  # recipients refused with 550
    messages: list[Received] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.replies:
            return self.replies.pop(0)
        assert envelope.content is not None
        content = envelope.content
        self.messages.append(Received(
            sender=str(envelope.mail_from), recipients=list(envelope.rcpt_tos),
            data=content if isinstance(content, bytes) else content.encode(),
            tls=session.ssl is not None))
        return "250 OK queued"


@asynccontextmanager
async def smtp_sink(sink: Sink | None = None, *, tls: ssl.SSLContext | None = None,
                    require_starttls: bool = False) -> AsyncIterator[Sink]:
    """Serve `sink` on a free loopback port until the block ends."""
    sink = sink or Sink()

    def factory() -> Any:
        return SMTP(sink, hostname="sink.test", tls_context=tls,
                    require_starttls=require_starttls, decode_data=False)

    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    sink.port = server.sockets[0].getsockname()[1]
    try:
        yield sink
    finally:
        server.close()
        await server.wait_closed()
