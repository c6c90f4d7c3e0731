"""Deliver through an SMTP relay with aiosmtplib (plain, STARTTLS or implicit TLS)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import aiosmtplib

from notifiers import OutgoingMessage, PermanentDeliveryError, TemporaryDeliveryError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RelaySettings:
    """Where and how to reach the relay."""

    host: str
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None
    local_hostname: str | None = None  # our name in EHLO


class SmtpNotifier:
    """One connection per message: simple, and robust against idle relay timeouts."""

    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings

    async def deliver(self, message: OutgoingMessage) -> Mapping[str, str]:
        """See `Notifier`. 4xx and network errors are temporary, 5xx permanent."""
        s = self.settings
        try:
            errors, _ = await aiosmtplib.send(
                message.raw,
                sender=message.envelope_from,
                recipients=list(message.recipients),
                hostname=s.host,
                port=s.port,
                use_tls=s.security == "tls",
                start_tls=s.security == "starttls",
                username=s.username,
                password=s.password,
                timeout=s.timeout,
                tls_context=s.tls_context,
                local_hostname=s.local_hostname,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _classify(exc.recipients[0].code if exc.recipients else 550,
                            f"all recipients refused: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(exc.code, f"relay answered {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporaryDeliveryError(f"relay {s.host}:{s.port}: {exc}") from exc
        # Some recipients may be refused while others accepted: the message went
        # out, so it is not resent; the caller records the refusals.
        refused = {address: f"{code} {text}" for address, (code, text) in errors.items()}
        if refused:
            log.warning("relay refused %d of %d recipients of %s", len(refused),
                        len(message.recipients), message.message_id)
        return refused


def _classify(code: int, text: str) -> TemporaryDeliveryError | PermanentDeliveryError:
    if 400 <= code < 500:
        return TemporaryDeliveryError(text)
    return PermanentDeliveryError(text)
