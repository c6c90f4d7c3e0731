"""The HTTP listener, with caps on open connections.

aiohttp itself accepts every connection. Each open one holds a file
descriptor, and idle keep-alive connections stay open for a while, so a flood
of them could use up the daemon's descriptors and stop the mailbox and the
database with them. Beyond `[server] max_http_connections`, or
`max_http_connections_per_client` from one address (a trusted proxy's count
only in the total), a new connection is answered `503` with `Retry-After`
before its request is read, and closed; the connections already open carry on.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from daemon.forwarded import Network, host_of, is_trusted
from daemon.logs import RefusalLog
from daemon.ops.http_tls import HttpTls

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
LINGER_SECONDS = 1.0
_BODY = b'{"error": "too many connections; retry later", "field": null}'
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: " + str(RETRY_AFTER_SECONDS).encode() + b"\r\nConnection: close\r\n"
    b"Content-Length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY)


class _Busy(asyncio.Protocol):
    """Answers 503, then discards what the client sends until it closes, for a second.

    Closing at once with the request unread would make the kernel reset the
    connection, and the client could lose the answer before reading it.
    """

    def __init__(self) -> None:
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(BUSY_RESPONSE)
        if transport.can_write_eof():
            transport.write_eof()
        self._deadline = asyncio.get_running_loop().call_later(LINGER_SECONDS, transport.close)

    def data_received(self, data: bytes) -> None:
        """The request nobody will read."""

    def eof_received(self) -> bool:
        return False  # the client is done too: close

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The caps in force: in all, and per client address except for trusted proxies."""

    total: int
    per_client: int | None = None
    trusted: Sequence[Network] = ()


class _Admission(asyncio.Protocol):
    """Stands in until the peer is known, then hands the connection to aiohttp or refuses it.

    Under TLS that is after the handshake: the peer's address is known at
    once, but the protocol only starts with the decrypted stream.
    """

    def __init__(self, admit: Callable[[asyncio.BaseTransport], asyncio.Protocol]) -> None:
        self._admit = admit

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        protocol = self._admit(transport)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)


class CappedSite(web.BaseSite):
    """A listening site for `runner`, on `host`/`port` or on `sock` (socket activation)."""

    def __init__(self, runner: web.AppRunner, limits: Callable[[], ConnectionLimits], *,
                 host: str = "", port: int = 0, sock: socket.socket | None = None,
                 tls: HttpTls | None = None) -> None:
        super().__init__(runner)
        self._host, self._port, self._sock = host, port, sock
        self._limits = limits
        self._tls = tls
        self._refusals = RefusalLog(log, "http connection")
        self._bound = f"{host}:{port}"

    @property
    def name(self) -> str:
        """Where it listens (the port chosen when 0 was asked for)."""
        return f"{'https' if self._tls else 'http'}://{self._bound}"

    def _protocol(self) -> asyncio.BaseProtocol:
        if self._tls is not None:
            self._tls.refresh()  # before this connection's handshake
        return _Admission(self._admit)

    def _admit(self, transport: asyncio.BaseTransport) -> asyncio.Protocol:
        server = self._runner.server
        assert server is not None
        peer = host_of(transport.get_extra_info("peername"))
        why = self._why_refused(server, peer, self._limits())
        if why is None:
            protocol = server()
            assert isinstance(protocol, asyncio.Protocol)
            return protocol
        self._refusals.refused(peer or "-", why)
        return _Busy()

    @staticmethod
    def _why_refused(server: web.Server, peer: str | None,
                     limits: ConnectionLimits) -> str | None:
        open_now = len(server.connections)
        if open_now >= limits.total:
            return f"{open_now} connections open (max_http_connections {limits.total})"
        if limits.per_client is None or peer is None or is_trusted(peer, limits.trusted):
            return None
        # Counted when needed rather than kept: aiohttp tells nobody when one closes.
        mine = sum(1 for handler in server.connections if handler.transport is not None
                   and host_of(handler.transport.get_extra_info("peername")) == peer)
        if mine >= limits.per_client:
            return (f"{mine} connections open from this address "
                    f"(max_http_connections_per_client {limits.per_client})")
        return None

    async def start(self) -> None:
        """Listen."""
        await super().start()
        loop = asyncio.get_running_loop()
        tls = self._tls.context if self._tls is not None else None
        if self._sock is not None:
            server = await loop.create_server(self._protocol, sock=self._sock,
                                              backlog=self._backlog, ssl=tls)
        else:
            server = await loop.create_server(self._protocol, self._host, self._port,
                                              reuse_address=True, backlog=self._backlog,
                                              ssl=tls)
        self._server = server
        address = server.sockets[0].getsockname() if server.sockets else None
        if isinstance(address, tuple):
            host = f"[{address[0]}]" if ":" in str(address[0]) else str(address[0])
            self._bound = f"{host}:{address[1]}"
