"""The mailbox listener: SMTP or LMTP, STARTTLS, AUTH, timeouts and line limits.

aiosmtpd's protocol classes run on the daemon's loop (`loop.create_server`),
never in the threaded `Controller`. What is added here:

- lines longer than RFC 5321's 1000 octets are accepted (RFC 5321 §4.5.3.1
  asks servers not to impose limits where they can avoid it, and real mail
  has them: HTML on one line, CR-only or LF-only line ends): a command line up
  to `MAX_LINE`, a line of mail up to the message size limit, which bounds the
  whole transfer anyway;
- a connection lives at most `[smtp] session_timeout`, however busy, besides
  aiosmtpd's idle timeout per command (`[smtp] timeout`);
- AUTH (PLAIN, LOGIN) only after STARTTLS, against `[smtp] auth_users`, at
  most three attempts per connection; without users AUTH is not offered;
- at most `[smtp] max_connections` connections at once, and
  `max_connections_per_client` from one address (a trusted proxy's are only
  counted in the total): one more is answered `421` and closed before the
  greeting, so idle connections cannot use up the daemon's file descriptors;
- at most `[smtp] max_data_in_memory` bytes of mail being received at once
  (`daemon.intake.smtp_memory`): DATA past it is answered `451`, and a
  transfer that would grow past it gets `421` and is closed;
- each new connection takes the `[smtp]` settings in force, so a reload
  changes users, TLS (the certificate is read again: a renewed one takes
  effect), requirements and timeouts for the connections that follow. Only
  the protocol, SMTP or LMTP, stays as it was at start-up.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from daemon.config import Config
from daemon.config.mail import SmtpConfig
from daemon.config.types import server_tls_context
from daemon.forwarded import host_of, is_trusted
from daemon.intake.passwords import DUMMY_HASH, verify_password
from daemon.intake.smtp import client_of
from daemon.intake.smtp_memory import MailInMemory, Transfer
from daemon.logs import RefusalLog

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024
AUTH_ATTEMPTS = 3
COMMANDS_PER_CONNECTION = 100_000  # a sanity cap; MTAs reuse connections for many mails
PROXY_TIMEOUT = 10.0  # seconds for a load balancer's PROXY header; it sends it at once


class _QuietSession(Session):
    """aiosmtpd logs a deprecation warning on every login; we use `auth_data` only."""

    login_data: Any = None


class OpenConnections:
    """The mailbox connections open now, in all and per client address."""

    def __init__(self) -> None:
        self.total = 0
        self.by_client: collections.Counter[str] = collections.Counter()

    def admit(self, client: str, smtp: SmtpConfig, *, proxy: bool) -> str | None:
        """Count a new connection in; or say why not, counting nothing."""
        if self.total >= smtp.max_connections:
            return f"{self.total} connections open"
        if not proxy and self.by_client[client] >= smtp.max_connections_per_client:
            return f"{self.by_client[client]} connections open from this address"
        self.total += 1
        self.by_client[client] += 1
        return None

    def release(self, client: str) -> None:
        """Count a closed connection out."""
        self.total -= 1
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]


class _Hardened(SMTP):
    line_length_limit = MAX_LINE
    session_limit = 3600.0
    _deadline: asyncio.TimerHandle | None = None
    # Set by the factory: the count to join, the settings, and the trusted proxies.
    _open: OpenConnections | None = None
    _limits: SmtpConfig | None = None
    _proxies: Sequence[Any] = ()
    _refusals: RefusalLog | None = None
    _in_memory: MailInMemory | None = None
    _mail_refusals: RefusalLog | None = None
    _counted_as: str | None = None  # the client address, once admitted
    _transfer: Transfer | None = None  # the DATA being received, counted in `_in_memory`
    refused = False  # answered 421 and closed before the greeting
    _deaf = False  # answered 421 and closing: nothing more is read

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        starting = self.transport is None  # STARTTLS calls this again for the TLS transport
        if starting and not self._admitted(transport):
            return
        super().connection_made(transport)
        if starting:
            self._deadline = self.loop.call_later(self.session_limit, self._expired)

    def _admitted(self, transport: asyncio.BaseTransport) -> bool:
        """Join the count of open connections; or answer 421, close, and say no."""
        if self._open is None or self._limits is None:
            return True
        client = host_of(transport.get_extra_info("peername")) or "unknown"
        why = self._open.admit(client, self._limits, proxy=is_trusted(client, self._proxies))
        if why is None:
            self._counted_as = client
            return True
        if self._refusals is not None:
            self._refusals.refused(client, why)
        self.refused = True
        self._refuse(transport, f"421 4.7.0 {self.hostname} too many connections; "
                                "try again later")
        return False

    def _refuse(self, transport: asyncio.BaseTransport, reply: str) -> None:
        """Answer `reply` and close: nothing more is read from this connection."""
        self._deaf = True
        self.count_refusal(reply[:3])
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(f"{reply}\r\n".encode())
        transport.close()

    def count_refusal(self, code: str) -> None:
        """A refusal not sent through `push` (the daemon counts them in its metrics)."""

    async def smtp_DATA(self, arg: str) -> None:
        """DATA, if the mail being received leaves room; its bytes count until it is stored."""
        budget, limits = self._in_memory, self._limits
        if budget is None or limits is None:
            await self._data_with_long_lines(arg)
            return
        client = self._data_client()
        why = budget.why_not_start(client, limits)
        if why is not None:
            self._mail_refused(why)
            await self.push("451 4.3.1 Too much mail being received; try again later")
            return
        self._transfer = Transfer(client)
        try:
            await self._data_with_long_lines(arg)  # reads the mail and stores it
        finally:
            budget.release(self._transfer)
            self._transfer = None

    async def _data_with_long_lines(self, arg: str) -> None:
        """DATA, where one line may be as long as the whole mail may be.

        A mail with bare LF (or CR) line ends is a single "line" to the CRLF
        reader; at the command line's limit, such a mail over 64 KiB got a
        permanent 500, so the sender's report was bounced. The reader's limit
        is asyncio's own attribute, the one `line_length_limit` set when the
        connection was made; it is put back for the commands that follow.
        """
        reader: Any = self._reader  # `_limit` is not in asyncio's typed interface
        most = self._most_held()
        if most is None or not isinstance(getattr(reader, "_limit", None), int):
            await super().smtp_DATA(arg)
            return
        # A line a little over the size limit still ends, and gets the size answer (552).
        reader._limit = self.line_length_limit = most
        try:
            await super().smtp_DATA(arg)
        finally:
            reader._limit = MAX_LINE
            del self.line_length_limit  # the class's MAX_LINE again

    def _most_held(self) -> int | None:
        """The most one DATA transfer holds, and so the longest line of mail (None: no limit).

        Past the size limit aiosmtpd keeps only a count, so what it holds stops
        growing there, but for the line being read.
        """
        limit = self.data_size_limit
        return limit + MAX_LINE if limit else None

    def _data_client(self) -> str | None:
        """Whom a transfer counts against apart: None for a trusted proxy (it speaks for many)."""
        client = client_of(self.session) if self.session is not None else None
        return None if client is None or is_trusted(client, self._proxies) else client

    def _mail_refused(self, why: str) -> None:
        if self._mail_refusals is not None:
            client = client_of(self.session) if self.session is not None else None
            self._mail_refusals.refused(client or "unknown", why)

    def data_received(self, data: bytes) -> None:
        if self._deaf:
            return
        transfer, budget, limits = self._transfer, self._in_memory, self._limits
        if transfer is not None and budget is not None and limits is not None:
            most = self._most_held()
            room = len(data) if most is None else max(0, most - transfer.held)
            counted = min(transfer.mail_part(data), room)
            why = budget.add(transfer, counted, limits) if counted else None
            if why is not None:
                self._mail_refused(why)
                assert self.transport is not None
                self._refuse(self.transport, f"421 4.3.1 {self.hostname} too much mail being "
                                             "received; try again later")
                return
        super().data_received(data)

    def eof_received(self) -> bool | None:
        return None if self.refused else super().eof_received()

    def connection_lost(self, error: Exception | None) -> None:
        if self.refused:
            return
        if self._counted_as is not None and self._open is not None:
            self._open.release(self._counted_as)
            self._counted_as = None
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(error)

    def _expired(self) -> None:
        peer = self.session.peer if self.session is not None else None
        log.info("smtp session of %r exceeded %.0fs; closing", peer, self.session_limit)
        if self.transport is not None:
            self.transport.close()


class MailboxSMTP(_Hardened):
    """SMTP with our limits."""


class MailboxLMTP(_Hardened, LMTP):
    """LMTP (LHLO, an answer per recipient) with our limits."""


def tls_context(smtp: SmtpConfig) -> ssl.SSLContext | None:
    """The server-side TLS context for STARTTLS, when a certificate is configured."""
    if smtp.tls_cert is None or smtp.tls_key is None:
        return None
    return server_tls_context(smtp.tls_cert, smtp.tls_key)


def authenticator(users: dict[str, str]
                  ) -> Callable[[SMTP, Session, Envelope, str, Any], AuthResult]:
    """The AUTH check for aiosmtpd: the login's scrypt hash must match the password."""

    def check(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
              auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        hashed = users.get(user)
        ok = verify_password(auth_data.password, hashed or DUMMY_HASH) and hashed is not None
        log.info("smtp auth %s user=%s peer=%s mechanism=%s", "ok" if ok else "failed",
                 user, client_of(session), mechanism)
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    return check


@dataclass(frozen=True, slots=True)
class _Settings:
    """What new connections are built from: a configuration, its TLS context and AUTH check."""

    config: Config
    tls: ssl.SSLContext | None
    check: Callable[[SMTP, Session, Envelope, str, Any], AuthResult] | None


def _load(config: Config, previous: _Settings | None,
          on_certificate: Callable[[Path], None]) -> _Settings:
    """Settings for `config`; after a reload, a certificate that fails to load keeps the old one."""
    try:
        tls = tls_context(config.smtp)
    except (OSError, ssl.SSLError) as exc:
        if previous is None:
            raise  # at start-up: the daemon does not start without its certificate
        log.error("smtp: cannot load the TLS certificate, keeping the one in use: %s", exc)
        tls = previous.tls
    else:
        if config.smtp.tls_cert is not None:
            on_certificate(config.smtp.tls_cert)
    users = dict(config.smtp.auth_users)
    return _Settings(config, tls, authenticator(users) if users else None)


def protocol_factory(
    config: Callable[[], Config], handler: object,
    *, wrap: Callable[[type[_Hardened]], type[_Hardened]] = lambda kind: kind,
    on_certificate: Callable[[Path], None] = lambda cert: None,
) -> Callable[[], SMTP]:
    """A protocol factory for `loop.create_server`, as `[smtp]` configures it.

    `config` gives the configuration in force; each new connection follows it.
    `wrap` may derive the protocol class (the daemon adds its metrics this way);
    `on_certificate` hears of each TLS certificate put in use.
    """
    current = _load(config(), None, on_certificate)
    kind = wrap(MailboxLMTP if current.config.smtp.protocol == "lmtp" else MailboxSMTP)
    connections = OpenConnections()
    in_memory = MailInMemory()
    refusals = RefusalLog(log, "smtp connection")
    mail_refusals = RefusalLog(log, "smtp mail")

    def factory() -> SMTP:
        nonlocal current
        in_force = config()
        if in_force is not current.config:  # reloaded since the last connection
            current = _load(in_force, current, on_certificate)
        smtp = current.config.smtp
        protocol = kind(
            handler, hostname=current.config.server.hostname, ident="incidentd ESMTP",
            data_size_limit=current.config.server.max_message_size, enable_SMTPUTF8=True,
            decode_data=False, timeout=smtp.timeout.total_seconds(),
            tls_context=current.tls, require_starttls=smtp.require_tls,
            auth_required=smtp.auth_required, auth_require_tls=True,
            authenticator=current.check,
            auth_exclude_mechanism=None if current.check else ("PLAIN", "LOGIN"),
            command_call_limit={"AUTH": AUTH_ATTEMPTS, "*": COMMANDS_PER_CONNECTION},
            proxy_protocol_timeout=PROXY_TIMEOUT if smtp.proxy_protocol else None)
        protocol.session_limit = smtp.session_timeout.total_seconds()
        protocol._open, protocol._limits = connections, smtp
        protocol._proxies = current.config.server.trusted_proxies
        protocol._refusals = refusals
        protocol._in_memory, protocol._mail_refusals = in_memory, mail_refusals
        return protocol

    return factory
