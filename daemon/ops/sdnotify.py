"""The systemd notification protocol (sd_notify(3)), without a library.

A message is a few `NAME=value` lines in one datagram sent to the AF_UNIX socket
named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). The
watchdog interval comes from `$WATCHDOG_USEC` (and `$WATCHDOG_PID`, when set,
must be our pid). Outside systemd nothing is set and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


def socket_address(value: str) -> str | None:
    """The `connect()` address for a `$NOTIFY_SOCKET` value; None when unusable."""
    if value.startswith("@"):
        return "\0" + value[1:]  # Linux abstract namespace
    if value.startswith("/"):
        return value
    return None


def watchdog_interval(environ: Mapping[str, str] | None = None,
                      pid: int | None = None) -> float | None:
    """Seconds between `WATCHDOG=1` pings (half the timeout), or None without a watchdog."""
    environ = os.environ if environ is None else environ
    usec = environ.get("WATCHDOG_USEC", "")
    if not usec.isdecimal() or int(usec) == 0:
        return None
    owner = environ.get("WATCHDOG_PID", "")
    if owner and owner != str(os.getpid() if pid is None else pid):
        return None  # meant for another process (e.g. the one that exec'd us)
    return int(usec) / 1_000_000 / 2


class SystemdNotifier:
    """Sends state changes to the service manager; a no-op when not run by systemd."""

    def __init__(self, address: str | None) -> None:
        self._address = address
        self.sent: int = 0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        """The notifier `$NOTIFY_SOCKET` asks for."""
        environ = os.environ if environ is None else environ
        return cls(socket_address(environ.get("NOTIFY_SOCKET", "")))

    @property
    def enabled(self) -> bool:
        """True when there is a service manager to tell."""
        return self._address is not None

    def notify(self, *lines: str) -> bool:
        """Send `lines` (`READY=1`, `STATUS=…`) as one message; False if not delivered."""
        if self._address is None or not lines:
            return False
        payload = "\n".join(line.replace("\n", " ") for line in lines).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # Never block the event loop: systemd reads promptly, and a lost
                # STATUS= matters less than a stalled daemon.
                sock.setblocking(False)
                sock.connect(self._address)
                sock.send(payload)
        except OSError as exc:
            log.warning("sd_notify failed socket=%s error=%s", self._address.replace("\0", "@"),
                        exc)
            return False
        self.sent += 1
        return True

    def ready(self, status: str) -> bool:
        """The service is up: listeners bound, database migrated."""
        return self.notify("READY=1", f"STATUS={status}")

    def reloading(self) -> bool:
        """A reload started; `ready()` ends it."""
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}",
                           "STATUS=reloading configuration")

    def stopping(self, status: str = "stopping: draining in-flight work") -> bool:
        """Shutdown started."""
        return self.notify("STOPPING=1", f"STATUS={status}")

    def status(self, text: str) -> bool:
        """A one-line state shown by `systemctl status`."""
        return self.notify(f"STATUS={text}")

    def watchdog(self) -> bool:
        """The event loop is alive."""
        return self.notify("WATCHDOG=1")
