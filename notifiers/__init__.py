"""Notifiers deliver already rendered messages; they decide nothing.

A notifier is any object with ``async deliver(message)`` that raises
`TemporaryDeliveryError` (retry later) or `PermanentDeliveryError` (stop).
When the message went out but some recipients were refused, it returns
them (address → the server's answer) so that the outbox can show them;
otherwise it returns None or an empty mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DeliveryError",
    "Notifier",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "TemporaryDeliveryError",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    """A complete RFC 5322 message plus its envelope."""

    message_id: str
    envelope_from: str
    recipients: Sequence[str]
    raw: bytes


class DeliveryError(Exception):
    """Delivery did not happen."""


class TemporaryDeliveryError(DeliveryError):
    """Try again later (connection refused, 4xx, timeout, disk full)."""


class PermanentDeliveryError(DeliveryError):
    """Do not try again (5xx for every recipient, malformed message)."""


class Notifier(Protocol):
    """The delivery interface every channel implements."""

    async def deliver(self, message: OutgoingMessage) -> Mapping[str, str] | None:
        """Deliver `message` or raise a `DeliveryError`; return refused recipients."""
