"""How much mail the mailbox holds in memory while it is being received.

aiosmtpd keeps a message in memory from DATA until the handler has stored
it. `[smtp] max_data_in_memory` bounds those bytes over all connections, and
`max_data_in_memory_per_client` over the connections of one client, so that
neither a crowd nor one sender can make the daemon run out of memory. A
transfer on its own (in all, or of its client) is never cut short: the
largest mail always gets through.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

from daemon.config.mail import SmtpConfig

DATA_END = b"\r\n.\r\n"


class MailInMemory:
    """Bytes of mail being received now: in all, and per client (None: not counted apart)."""

    def __init__(self) -> None:
        self.total = 0
        self.by_client: collections.Counter[str] = collections.Counter()

    def why_not_start(self, client: str | None, smtp: SmtpConfig) -> str | None:
        """Why a new transfer may not start now; None when it may."""
        if self.total >= smtp.max_data_in_memory:
            return f"{self.total} bytes of mail being received"
        if client is not None and self.by_client[client] >= smtp.max_data_in_memory_per_client:
            return f"{self.by_client[client]} bytes of mail being received from this address"
        return None

    def add(self, transfer: Transfer, size: int, smtp: SmtpConfig) -> str | None:
        """Count `size` more bytes of `transfer`; say why it must stop, or None."""
        client = transfer.client
        transfer.held += size
        self.total += size
        if client is not None:
            self.by_client[client] += size
        others = self.total - transfer.held
        if self.total > smtp.max_data_in_memory and others > 0:
            return f"{others} bytes of other mail being received"
        if client is None:
            return None
        mine = self.by_client[client] - transfer.held
        if self.by_client[client] > smtp.max_data_in_memory_per_client and mine > 0:
            return f"{mine} bytes of other mail being received from this address"
        return None

    def release(self, transfer: Transfer) -> None:
        """The transfer is over (stored, refused or cut off): its bytes no longer count."""
        self.total -= transfer.held
        if transfer.client is not None:
            self.by_client[transfer.client] -= transfer.held
            if self.by_client[transfer.client] <= 0:
                del self.by_client[transfer.client]
        transfer.held = 0


@dataclass(slots=True)
class Transfer:
    """One DATA transfer: whose, how many bytes it holds, and where its end is."""

    client: str | None
    held: int = 0
    _tail: bytes | None = b"\r\n"  # the DATA line ended with one

    def mail_part(self, data: bytes) -> int:
        """How much of `data` is mail: what comes before the end of DATA, once seen.

        What follows it (a pipelined command) is not counted, so a connection
        whose mail is complete, and perhaps being stored, is never cut short.
        """
        if self._tail is None:
            return 0  # the end was seen already
        seam = (self._tail + data[:4]).find(DATA_END)
        if seam >= 0:
            end = seam + len(DATA_END) - len(self._tail)
        else:
            at = data.find(DATA_END)
            end = -1 if at < 0 else at + len(DATA_END)
        if end >= 0:
            self._tail = None
            return end
        self._tail = (self._tail + data[-4:])[-4:]
        return len(data)
