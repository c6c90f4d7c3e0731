"""The incident mailbox's SMTP/LMTP handler (aiosmtpd, on the daemon's own event loop).

Mail is accepted only for the configured mailbox addresses (no relaying) and
acknowledged with 250 only after the raw message is committed. With
`sender_policy = "reject"` an envelope sender outside `[mailbox]
allowed_senders` is refused at MAIL FROM; every other check on the mail
itself runs in the pipeline. Over LMTP each recipient gets its own answer
(RFC 2033 §4.2), all from the one commit. Behind a TCP load balancer that
sends a PROXY protocol header (`[smtp] proxy_protocol`), the address it names
is the peer, if the balancer is one of `[server] trusted_proxies`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiosmtpd.lmtp import LMTP
from aiosmtpd.proxy_protocol import ProxyData
from aiosmtpd.smtp import SMTP, Envelope, Session

from daemon.clock import Clock
from daemon.config.mail import MailboxConfig
from daemon.forwarded import Network, host_of, is_trusted
from daemon.intake.text import valid_text
from daemon.intake.writer import IntakeRecord, IntakeWriter, StoreUnavailable
from daemon.logs import Throttle

log = logging.getLogger(__name__)
# While the store is down every mail fails alike: a line per 10 s, with a count.
STORE_FAILED = "smtp store failed peer=%s error=%s"
log.addFilter(Throttle([STORE_FAILED]))


class MailboxHandler:
    """aiosmtpd handler: MAIL and RCPT policy, durable DATA."""

    def __init__(
        self,
        writer: IntakeWriter,
        clock: Clock,
        addresses: Callable[[], frozenset[str]],
        max_recipients: int,
        mailbox: Callable[[], MailboxConfig] | None = None,
        trusted_proxies: Callable[[], Sequence[Network]] = tuple,
    ) -> None:
        self._writer = writer
        self._trusted_proxies = trusted_proxies
        self._clock = clock
        self._addresses = addresses
        self._max_recipients = max_recipients
        self._mailbox = mailbox
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

    async def handle_PROXY(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, proxy_data: ProxyData,
    ) -> bool:
        """Take the PROXY header's client address, but only from a trusted load balancer.

        A header without one (v1 `UNKNOWN`, v2 `LOCAL`: the balancer's own
        health check) keeps the balancer as the peer. Refused: the connection
        is closed before the greeting.
        """
        balancer = _direct_peer(session)
        if not is_trusted(balancer, self._trusted_proxies()):
            log.warning("smtp refused PROXY header from untrusted peer=%s", balancer)
            return False
        return True

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Keep aiosmtpd's EHLO (and LHLO) answer, minus an AUTH line without mechanisms."""
        session.host_name = hostname  # aiosmtpd leaves this to a handler with this hook
        return [line for line in responses if line.strip() != "250-AUTH"]

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        mail_options: list[str],
    ) -> str:
        """Refuse senders outside the allow-list when the policy says reject."""
        mailbox = self._mailbox() if self._mailbox is not None else None
        sender = address.strip().strip("<>")
        # The null sender stays welcome: bounces must be accepted (RFC 5321 §4.5.5).
        if (mailbox is not None and sender and mailbox.sender_policy == "reject"
                and not mailbox.sender_allowed(sender)):
            log.info("smtp refused sender peer=%s from=%s", client_of(session), sender)
            return (f"550 5.7.1 <{valid_text(sender)}>: sender not allowed to report incidents "
                    "here")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept only our mailbox addresses."""
        if address.strip("<>") == "":  # aiosmtpd passes `RCPT TO:<>` on as "<>"
            return "553 5.1.3 A recipient address is needed"
        if address.lower() not in self._addresses():
            log.info("smtp refused recipient peer=%s rcpt=%s", client_of(session), address)
            return (f"550 5.7.1 <{valid_text(address)}>: not an incident mailbox here; relaying "
                    "denied")
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
            peer=client_of(session),
            mail_from=envelope.mail_from or "",
            rcpt_to=[a.lower() for a in envelope.rcpt_tos],
            content_type="message/rfc822",
            auth_user=session.auth_data if isinstance(session.auth_data, str) else None,
        )
        self.in_flight += 1
        self._idle.clear()
        try:
            intake_id = await self._writer.submit(record)
        except StoreUnavailable as exc:
            log.warning(STORE_FAILED, record.peer, exc)
            return _answer(server, envelope, "451 4.3.0 Temporary failure storing the "
                                             "message; please try again later")
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()
        log.info("smtp accepted intake=%d peer=%s size=%d", intake_id, record.peer, len(raw))
        return _answer(server, envelope, f"250 2.0.0 OK queued as {intake_id}")


def _answer(server: SMTP, envelope: Envelope, reply: str) -> str:
    """One reply for SMTP; over LMTP one per accepted recipient, naming it."""
    if not isinstance(server, LMTP):
        return reply
    code, status, text = reply.split(" ", 2)  # "250 2.0.0 OK …": basic, enhanced, text
    return "\r\n".join(f"{code} {status} <{rcpt}> {text}" for rcpt in envelope.rcpt_tos)


def client_of(session: Session) -> str | None:
    """The client: as a trusted load balancer's PROXY header names it, else the connection's."""
    proxied = session.proxy_data
    if proxied is not None and proxied.valid and proxied.src_addr:
        return str(proxied.src_addr)
    return _direct_peer(session)


def _direct_peer(session: Session) -> str | None:
    return host_of(session.peer)
