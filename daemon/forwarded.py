"""The client's address behind a reverse proxy or load balancer (`[server] trusted_proxies`).

For HTTP it comes from X-Forwarded-For (below); for SMTP from a PROXY
protocol header (`daemon.intake.smtp`), which only a trusted peer may send.

A proxy appends the address it received the request from to X-Forwarded-For,
so the header reads "client, proxy1, proxy2" and the connection comes from the
last proxy. Only a peer in a trusted network may speak for the client: the
list is read from the right, past our own proxies, and the first address that
is not one of them is the client. Anything to its left was written by that
client and may be forged; an untrusted peer's header is ignored altogether.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from daemon.keys import RUNTIME
from daemon.web import CLIENT, Handler

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def host_of(peername: Any) -> str | None:
    """The address in a socket's peer name: `("192.0.2.1", 25)` → "192.0.2.1"."""
    if isinstance(peername, tuple) and peername:
        return str(peername[0])
    return str(peername) if peername else None


def _parse(address: str) -> Address | None:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped  # a dual-stack listener's view of an IPv4 peer
    return parsed


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address in network for network in networks)


def is_trusted(peer: str | None, networks: Sequence[Network]) -> bool:
    """Whether `peer` (an IP address as text) is in one of `networks`."""
    address = _parse(peer) if peer is not None else None
    return address is not None and _trusted(address, networks)


def client_address(peer: str | None, forwarded_for: Sequence[str],
                   trusted: Sequence[Network]) -> str | None:
    """The client behind `peer`, or `peer` itself when nothing trustworthy says otherwise.

    `forwarded_for` holds the X-Forwarded-For header lines in order. A list
    with an entry that is not an IP address (a port, `unknown`, an obfuscated
    name) is not used at all: a broken proxy chain names nobody reliably.
    """
    if not forwarded_for or not is_trusted(peer, trusted):
        return peer
    entries = [entry for line in forwarded_for for entry in line.split(",")]
    hops = [hop for hop in map(_parse, entries) if hop is not None]
    if not hops or len(hops) != len(entries):
        return peer
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return str(hop)
    return str(hops[0])  # every hop is one of ours: the farthest is all we know


@web.middleware
async def forwarded_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Handlers, logs and metrics see the client, not the proxy, as `request.remote`."""
    trusted = request.app[RUNTIME].config.server.trusted_proxies  # follows reloads
    if not trusted:
        return await handler(request)
    forwarded_for = request.headers.getall("X-Forwarded-For", ())
    client = client_address(request.remote, forwarded_for, trusted)
    if client is None or client == request.remote:
        return await handler(request)
    request[CLIENT] = client
    return await handler(request.clone(remote=client))
