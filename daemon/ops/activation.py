"""Listening sockets handed over by systemd (socket activation, `systemd/incidentd.socket`).

With a socket unit, systemd binds the addresses itself: port 25 then needs no
privilege in the daemon, and the sockets stay open across a restart, so
senders wait in the backlog instead of being refused. systemd starts the
service with them as file descriptors 3, 4, … and says so in `LISTEN_PID`,
`LISTEN_FDS` and `LISTEN_FDNAMES` (sd_listen_fds(3)); each socket's
`FileDescriptorName=` must be `http` or `smtp`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import MutableMapping

from aiohttp import web

log = logging.getLogger(__name__)

FIRST_FD = 3  # SD_LISTEN_FDS_START
NAMES = ("http", "smtp")

# The sockets `incidentd serve` inherited, by name, for the listeners to use.
LISTENERS = web.AppKey("listeners", dict[str, socket.socket])


class ActivationError(Exception):
    """systemd passed sockets incidentd cannot use; the message says how to fix the unit."""


def inherited_sockets(environ: MutableMapping[str, str] | None = None
                      ) -> dict[str, socket.socket]:
    """The listening sockets systemd passed to this process, by name.

    The variables are removed, as sd_listen_fds(3) does, so that nothing this
    process starts takes the sockets for its own. Sockets meant for another
    process (a different `LISTEN_PID`) are not touched.
    """
    environ = os.environ if environ is None else environ
    pid = environ.pop("LISTEN_PID", None)
    count = environ.pop("LISTEN_FDS", None)
    names = environ.pop("LISTEN_FDNAMES", "")
    if pid is None or count is None or pid != str(os.getpid()):
        return {}
    if not count.isdecimal():
        raise ActivationError(f"LISTEN_FDS={count!r} is not a number of sockets")
    labels = names.split(":") if names else []
    sockets: dict[str, socket.socket] = {}
    for index in range(int(count)):
        fd = FIRST_FD + index
        name = labels[index] if index < len(labels) else ""
        try:
            sock = socket.socket(fileno=fd)
        except OSError as exc:  # not a socket (ListenFIFO=), or not open at all
            raise ActivationError(f"file descriptor {fd} from systemd is not a socket: "
                                  f"{exc.strerror}; use ListenStream= in the socket unit"
                                  ) from None
        sock.set_inheritable(False)
        if name not in NAMES or name in sockets:
            sock.close()
            raise ActivationError(
                f"systemd passed a socket named {name!r}; give each socket in the unit "
                f"FileDescriptorName=http or FileDescriptorName=smtp, once each")
        if sock.type != socket.SOCK_STREAM or not sock.getsockopt(socket.SOL_SOCKET,
                                                                   socket.SO_ACCEPTCONN):
            sock.close()
            raise ActivationError(f"the socket named {name!r} is not a listening stream "
                                  "socket; use ListenStream= in the socket unit")
        sock.setblocking(False)
        sockets[name] = sock
    return sockets


def describe(sock: socket.socket) -> str:
    """`host:port` of a listening socket, for the log."""
    address = sock.getsockname()
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return str(address)
