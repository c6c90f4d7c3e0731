"""The incident mailbox's SMTP server (aiosmtpd, on the daemon's own event loop).

Mail is accepted only for the configured mailbox addresses (no relaying) and
acknowledged with 250 only after the raw message is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiosmtpd.smtp import SMTP, Envelope, Session

from daemon.clock import Clock
from daemon.intake.writer import IntakeRecord, IntakeWriter, StoreUnavailable

log = logging.getLogger(__name__)


class MailboxHandler:
    """aiosmtpd handler: RCPT policy and durable DATA."""

    def __init__(
        self,
        writer: IntakeWriter,
        clock: Clock,
        addresses: Callable[[], frozenset[str]],
        max_recipients: int,
    ) -> None:
        self._writer = writer
        self._clock = clock
        self._addresses = addresses
        self._max_recipients = max_recipients
        self.in_flight = 0  # messages between end of DATA and our answer
        self._idle = asyncio.Event()
        self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no message is being stored; False if `seconds` ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept only our mailbox addresses."""
        if address.lower() not in self._addresses():
            log.info("smtp refused recipient peer=%s rcpt=%s", _peer(session), address)
            return f"550 5.7.1 <{address}>: not an incident mailbox here; relaying denied"
        if len(envelope.rcpt_tos) >= self._max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope,
    ) -> str:
        """Commit the raw message, then answer 250; 451 when the store fails."""
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        record = IntakeRecord(
            received_at=self._clock.now(),
            source="smtp",
            raw=raw,
            peer=_peer(session),
            mail_from=envelope.mail_from or "",
            rcpt_to=[a.lower() for a in envelope.rcpt_tos],
            content_type="message/rfc822",
        )
        self.in_flight += 1
        self._idle.clear()
        try:
            intake_id = await self._writer.submit(record)
        except StoreUnavailable as exc:
            log.warning("smtp store failed peer=%s error=%s", record.peer, exc)
            return "451 4.3.0 Temporary failure storing the message; please try again later"
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()
        log.info("smtp accepted intake=%d peer=%s size=%d", intake_id, record.peer, len(raw))
        return f"250 2.0.0 OK queued as {intake_id}"


def _peer(session: Session) -> str | None:
    peer = session.peer
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer) if peer else None
